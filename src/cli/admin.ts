// Runs one admin operation against the store and closes it, whatever happens.

import type { Config } from '../config.js';
import type { Assembled } from './assemble.js';

export async function withServices<T>(config: Config, fn: (s: Assembled) => Promise<T>): Promise<T> {
  // Loaded on demand: `tcssl --help` and `tcssl call` never pay for the store, the CA code and their imports.
  const { assemble } = await import('./assemble.js');
  const s = await assemble(config);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
