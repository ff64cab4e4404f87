// Named key specs ('RSA-2048', 'EC-P256', ...) mapped to background-filled pools, one per spec in use.
// Knows nothing of orders: it hands out fresh key pairs by name.

import { KeyPool } from './key-pool.js';
import { KeyThreads } from './key-threads.js';
import { type GeneratedKey, generateKey, type KeySpec } from './keys.js';

export const KEY_SPECS: Readonly<Record<string, KeySpec>> = {
  'RSA-2048': { algorithm: 'RSA', rsaBits: 2048 },
  'RSA-4096': { algorithm: 'RSA', rsaBits: 4096 },
  'EC-P256': { algorithm: 'ECC', curve: 'P-256' },
  'EC-P384': { algorithm: 'ECC', curve: 'P-384' },
};

export interface KeySourceOptions {
  /** Told of a failed background generation. */
  onError?: (err: unknown) => void;
  /** Low-priority threads for RSA keys (key-threads.ts); default one per core; 0 makes them on libuv's threadpool. */
  keyThreads?: number;
  /** For the key threads' own failures. */
  log?: { error(o: object, msg?: string): void };
  /** How long a request waits for a low-priority RSA key before one is also made at normal priority; default 10 s. */
  urgentPatienceMs?: number;
}

const URGENT_PATIENCE_MS = 10_000;

/**
 * `first`, unless it has not settled within `ms`: then `fallback()` starts too and whichever gives a value first
 * wins. A rejection counts only when nothing else can still succeed: `first`'s before the fallback starts (the
 * fallback then never starts), or the later of the two once both ran.
 */
export function patient<T>(first: Promise<T>, fallback: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let pending = 1;
    const win = (value: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    const lose = (err: unknown) => {
      pending--;
      if (done || pending > 0) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => {
      if (done) return;
      pending++;
      let next: Promise<T>;
      try {
        next = fallback();
      } catch (err) {
        next = Promise.reject(err);
      }
      next.then(win, lose);
    }, ms);
    // A waiting request keeps the process up by itself; the timer need not.
    timer.unref();
    first.then(win, lose);
  });
}

export class KeySourcePools {
  readonly #pools = new Map<string, KeyPool>();
  readonly #threads: KeyThreads | undefined;

  /** sizes: pool size per spec name; specs not named get a pool of 0 (generate on demand). */
  constructor(sizes: Record<string, number>, opts: KeySourceOptions = {}) {
    this.#threads = opts.keyThreads === 0 ? undefined : new KeyThreads({ threads: opts.keyThreads, log: opts.log });
    const threads = this.#threads;
    const patienceMs = opts.urgentPatienceMs ?? URGENT_PATIENCE_MS;
    for (const [name, spec] of Object.entries(KEY_SPECS)) {
      // RSA only: an EC key takes a tenth of a millisecond, less than a trip to a thread and back.
      const viaThreads = threads && spec.algorithm === 'RSA';
      this.#pools.set(
        name,
        new KeyPool({
          spec,
          size: sizes[name] ?? 0,
          onError: opts.onError,
          // At the lowest priority, refills may take every core: they only get what requests leave idle.
          ...(viaThreads
            ? {
                concurrency: threads.size,
                generate: (s, urgent) => {
                  const onThread = generateKey(s, (resolved) => threads.generate(resolved, urgent));
                  // A request waiting for a key is not left to nice 19 forever: while both cores stay busy, a
                  // second generation at normal priority starts after a while, and the first key wins.
                  return urgent ? patient(onThread, () => generateKey(s), patienceMs) : onThread;
                },
              }
            : {}),
        }),
      );
    }
  }

  start(): void {
    for (const pool of this.#pools.values()) pool.start();
  }

  take(spec: string): Promise<GeneratedKey> {
    const pool = this.#pools.get(spec);
    if (!pool) return Promise.reject(new Error(`unknown key spec ${spec}`));
    return pool.take();
  }

  ready(spec: string): number {
    return this.#pools.get(spec)?.size() ?? 0;
  }

  /** Closes the pools (which wait for their refills in flight), then ends the key threads. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    await this.#threads?.close();
  }
}
