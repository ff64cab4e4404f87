import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_POOLED, pooledRandomBytes } from '../src/random.js';

describe('pooledRandomBytes', () => {
  test('gives n random bytes', () => {
    for (const n of [1, 6, 16, MAX_POOLED]) assert.equal(pooledRandomBytes(n).length, n);
    assert.ok(pooledRandomBytes(MAX_POOLED).some((b) => b !== 0));
  });

  test('never hands the same bytes out twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 20,000 draws of 16 bytes are about 80 refills of the 4 KB pool, with draws of other sizes in between so that
    // draws straddle its end; a repeat of 16 random bytes by chance is not to be expected (2^-128 per pair).
    for (let i = 0; i < 20_000; i++) {
      const hex = pooledRandomBytes(16).toString('hex');
      assert.ok(!seen.has(hex), `draw ${i} repeated`);
      seen.add(hex);
      if (i % 7 === 0) pooledRandomBytes(1 + (i % 200));
    }
  });

  test('the bytes look uniform: every value about equally often over 1 MB', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4096; i++) for (const b of pooledRandomBytes(256)) counts[b]++;
    // 4,096 expected each; a deviation of 10 standard deviations (64 each) would not happen by chance.
    for (const [value, n] of counts.entries()) assert.ok(Math.abs(n - 4096) < 640, `byte ${value}: ${n}`);
  });

  test('refuses sizes it could not serve from one refill', () => {
    for (const n of [0, -1, 1.5, MAX_POOLED + 1, Number.NaN]) assert.throws(() => pooledRandomBytes(n), RangeError);
  });
});
