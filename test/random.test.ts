import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_POOLED, pooledRandomBytes, timeOrderedUuid } from '../src/random.js';

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

describe('timeOrderedUuid', () => {
  test('is a version 7 UUID carrying the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 28, 9, 30, 0, 123);
    const id = timeOrderedUuid(at);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
    assert.match(timeOrderedUuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  test('sorts as text in the order of its times, and never repeats', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) ids.push(timeOrderedUuid(t0 + i * 997));
    assert.deepEqual([...ids].sort(), ids);
    const same = new Set(Array.from({ length: 5000 }, () => timeOrderedUuid(t0)));
    assert.equal(same.size, 5000);
  });
});
