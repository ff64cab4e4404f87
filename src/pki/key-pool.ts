// A bounded pool of pre-generated key pairs, refilled in the background, so an online CSR need not wait for RSA.
// Knows one KeySpec and a generator; not who takes the keys, nor where they are stored.

import { type GeneratedKey, generateKey, type KeySpec } from './keys.js';

export interface KeyPoolOptions {
  spec: KeySpec;
  /** Target number of ready keys; 0 disables pooling (every take generates). */
  size: number;
  /** Generations in flight while refilling; default 2, leaving libuv's default 4 threads for other work. */
  concurrency?: number;
  /** Default generateKey. `urgent` when a take waits for the key, rather than a refill. */
  generate?: (spec: KeySpec, urgent: boolean) => Promise<GeneratedKey>;
  /** Told of a failed background generation; refilling then pauses until the next take. */
  onError?: (err: unknown) => void;
}

export class KeyPool {
  readonly #spec: KeySpec;
  readonly #size: number;
  readonly #concurrency: number;
  readonly #generate: (spec: KeySpec, urgent: boolean) => Promise<GeneratedKey>;
  readonly #onError: (err: unknown) => void;
  readonly #ready: GeneratedKey[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #started = false;
  #closed = false;
  // After a failure, wait for demand before trying again, so a broken generator cannot spin.
  #paused = false;

  constructor(opts: KeyPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 0) throw new Error('key pool size must be a whole number >= 0');
    const concurrency = opts.concurrency ?? 2;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('key pool concurrency must be >= 1');
    this.#spec = opts.spec;
    this.#size = opts.size;
    this.#concurrency = concurrency;
    this.#generate = opts.generate ?? ((spec) => generateKey(spec));
    this.#onError = opts.onError ?? (() => {});
  }

  /** Begins filling in the background. Idempotent; does nothing after close. */
  start(): void {
    this.#started = true;
    this.#refill();
  }

  /** A pooled key at once if one is ready (then refills), else one generated now, off the event loop. */
  take(): Promise<GeneratedKey> {
    this.#paused = false;
    const key = this.#ready.shift();
    this.#refill();
    return key ? Promise.resolve(key) : this.#generateOne(true);
  }

  /** Keys ready now. */
  size(): number {
    return this.#ready.length;
  }

  /** Stops refilling, waits for generations in flight, and drops the pooled keys; take still works, on demand. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
    this.#ready.length = 0;
  }

  #refill(): void {
    if (!this.#started || this.#closed || this.#paused) return;
    // Counting in-flight generations against the target is what keeps the pool from ever exceeding it.
    while (this.#ready.length + this.#inFlight.size < this.#size && this.#inFlight.size < this.#concurrency) {
      const run: Promise<void> = this.#generateOne(false).then(
        (key) => {
          if (!this.#closed) this.#ready.push(key);
        },
        (err: unknown) => {
          this.#paused = true;
          try {
            this.#onError(err);
          } catch {
            // a throwing listener must not become an unhandled rejection
          }
        },
      );
      this.#inFlight.add(run);
      void run.finally(() => {
        this.#inFlight.delete(run);
        this.#refill();
      });
    }
  }

  // Through a promise even if an injected generator throws synchronously.
  #generateOne(urgent: boolean): Promise<GeneratedKey> {
    return Promise.resolve().then(() => this.#generate(this.#spec, urgent));
  }
}
