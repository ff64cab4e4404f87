// Named key specs ('RSA-2048', 'EC-P256', ...) mapped to background-filled pools, one per spec in use.
// Knows nothing of orders: it hands out fresh key pairs by name.

import { KeyPool } from './key-pool.js';
import type { GeneratedKey, KeySpec } from './keys.js';

export const KEY_SPECS: Readonly<Record<string, KeySpec>> = {
  'RSA-2048': { algorithm: 'RSA', rsaBits: 2048 },
  'RSA-4096': { algorithm: 'RSA', rsaBits: 4096 },
  'EC-P256': { algorithm: 'ECC', curve: 'P-256' },
  'EC-P384': { algorithm: 'ECC', curve: 'P-384' },
};

export class KeySourcePools {
  readonly #pools = new Map<string, KeyPool>();

  /** sizes: pool size per spec name; specs not named get a pool of 0 (generate on demand). */
  constructor(
    sizes: Record<string, number>,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    for (const [name, spec] of Object.entries(KEY_SPECS)) {
      this.#pools.set(name, new KeyPool({ spec, size: sizes[name] ?? 0, onError: this.onError }));
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

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }
}
