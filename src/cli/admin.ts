// Runs one admin operation against the store and closes it, whatever happens.

import type { Config } from '../config.js';
import { type Assembled, assemble } from './assemble.js';

export async function withServices<T>(config: Config, fn: (s: Assembled) => Promise<T>): Promise<T> {
  const s = await assemble(config);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
