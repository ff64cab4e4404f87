// The physical limit of online RSA: how many RSA-2048 key pairs crypto.generateKeyPair makes per second with one
// generation in flight per core, in its own process (`node --import tsx bench/keygen.ts <seconds>`).

import { generateKeyPair } from 'node:crypto';
import { availableParallelism } from 'node:os';

const seconds = Number(process.argv[2] ?? 10);
const cores = availableParallelism();
const generate = () =>
  new Promise<void>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err) => (err ? reject(err) : resolve())),
  );

const start = performance.now();
const end = start + seconds * 1000;
let done = 0;
let lastAt = start;
async function lane(): Promise<void> {
  while (performance.now() < end) {
    await generate();
    done++;
    lastAt = performance.now();
  }
}
await Promise.all(Array.from({ length: cores }, lane));
// Counted up to the last completion, so a generation still running at the deadline does not dilute the rate.
const keysPerSecond = done / ((lastAt - start) / 1000);
process.stdout.write(
  `BENCH_KEYGEN ${JSON.stringify({ keys: done, seconds: (lastAt - start) / 1000, keysPerSecond, cores })}\n`,
);
