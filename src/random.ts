// Random bytes for identifiers (certificate and deal ids), drawn from one buffer that node:crypto's CSPRNG refills
// when it is spent. Each crypto.randomBytes call is a trip into OpenSSL, measured at 6-14 µs for a few bytes on the
// benchmark's VM, and a CreateCertificate made two of them; this costs one such trip per few hundred ids. The bytes
// are the same CSPRNG's, and no byte is handed out twice.

import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
/** Most bytes one call may take, so that a refill always serves it. */
export const MAX_POOLED = 256;

const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** n fresh random bytes (1 to MAX_POOLED), in a buffer of their own. */
export function pooledRandomBytes(n: number): Buffer {
  if (!Number.isInteger(n) || n < 1 || n > MAX_POOLED) {
    throw new RangeError(`pooledRandomBytes: n must be an integer from 1 to ${MAX_POOLED}, not ${n}`);
  }
  if (used + n > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + n));
  used += n;
  return out;
}
