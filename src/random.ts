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

/**
 * A UUID of version 7 (RFC 9562): the Unix time in milliseconds in its first 48 bits, then 74 random bits. Ids made
 * one after another sort together, so a B-tree index of them grows at its right edge: a random (version 4) key sends
 * each insert to a page of its own, which on a store of half a million log entries made every Submit write and read
 * pages all over the index.
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  const b = pooledRandomBytes(16);
  b.writeUIntBE(Math.max(0, Math.min(Math.floor(nowMs), 0xffff_ffff_ffff)), 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
