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
}

export class KeySourcePools {
  readonly #pools = new Map<string, KeyPool>();
  readonly #threads: KeyThreads | undefined;

  /** sizes: pool size per spec name; specs not named get a pool of 0 (generate on demand). */
  constructor(sizes: Record<string, number>, opts: KeySourceOptions = {}) {
    this.#threads = opts.keyThreads === 0 ? undefined : new KeyThreads({ threads: opts.keyThreads, log: opts.log });
    const threads = this.#threads;
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
                generate: (s, urgent) => generateKey(s, (resolved) => threads.generate(resolved, urgent)),
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
