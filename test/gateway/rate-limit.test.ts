import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MemoryRateLimiter, NoRateLimiter } from '../../src/gateway/rate-limit.js';

function clocked(start = 0) {
  const clock = { t: start };
  return { clock, limiter: new MemoryRateLimiter({ now: () => clock.t }) };
}

function takeMany(limiter: MemoryRateLimiter, key: string, perSecond: number, n: number): number {
  let accepted = 0;
  for (let i = 0; i < n; i++) if (limiter.takeSync(key, perSecond)) accepted++;
  return accepted;
}

describe('MemoryRateLimiter', () => {
  test('a burst at one instant gets exactly perSecond requests through and the rest RequestLimitExceeded', () => {
    const { limiter } = clocked(5000);
    assert.equal(takeMany(limiter, 'k', 20, 50), 20);
  });

  test('the 21st request inside one second is refused and the next second admits 20 again', () => {
    const { clock, limiter } = clocked(0);
    for (let i = 0; i < 20; i++) {
      clock.t = i * 10;
      assert.equal(limiter.takeSync('k', 20), true, `request ${i}`);
    }
    clock.t = 999;
    assert.equal(limiter.takeSync('k', 20), false);
    clock.t = 1000;
    assert.equal(limiter.takeSync('k', 20), true);
    assert.equal(limiter.takeSync('k', 20), false);
  });

  test('across a window boundary only the requests that have aged out are admitted again', () => {
    const { clock, limiter } = clocked(0);
    assert.equal(takeMany(limiter, 'k', 20, 10), 10);
    clock.t = 999;
    assert.equal(takeMany(limiter, 'k', 20, 30), 10);
    // A fixed window starting at 1000 would admit 20 more here; the sliding window admits the 10 from t=0 only.
    let admitted = 0;
    for (clock.t = 1000; clock.t <= 1998; clock.t += 1) admitted += takeMany(limiter, 'k', 20, 3);
    assert.equal(admitted, 10);
    clock.t = 1999;
    assert.equal(takeMany(limiter, 'k', 20, 30), 10);
  });

  test('20 at t=999 leave nothing for t=1000..1998 and 20 more at t=1999', () => {
    const { clock, limiter } = clocked(999);
    assert.equal(takeMany(limiter, 'k', 20, 20), 20);
    let admitted = 0;
    for (clock.t = 1000; clock.t <= 1998; clock.t += 7) admitted += takeMany(limiter, 'k', 20, 2);
    assert.equal(admitted, 0);
    clock.t = 1999;
    assert.equal(takeMany(limiter, 'k', 20, 25), 20);
  });

  test('no 1000 ms interval ever holds more than perSecond accepted requests, and nothing is refused needlessly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 400 }),
        (perSecond, arrivals) => {
          arrivals.sort((x, y) => x[0] - y[0]);
          const { clock, limiter } = clocked(0);
          const accepted = new Map<string, number[]>();
          for (const [t, key] of arrivals) {
            clock.t = t;
            const times = accepted.get(key) ?? [];
            accepted.set(key, times);
            const inWindow = times.filter((a) => a > t - 1000).length;
            const ok = limiter.takeSync(key, perSecond);
            // Refused only when the last second already holds perSecond acceptances; accepted only when it does not.
            assert.equal(ok, inWindow < perSecond, `t=${t} key=${key} inWindow=${inWindow}`);
            if (ok) times.push(t);
          }
          for (const times of accepted.values()) {
            for (let i = 0; i + perSecond < times.length; i++) {
              assert.ok(times[i + perSecond] - times[i] >= 1000, `${perSecond + 1} accepted within 1000 ms`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('keys are independent: one key at its limit leaves another untouched', () => {
    const { limiter } = clocked(0);
    assert.equal(takeMany(limiter, '100000000001:SubmitCertificateInformation', 20, 25), 20);
    assert.equal(takeMany(limiter, '100000000001:DescribeCertificates', 20, 25), 20);
    assert.equal(takeMany(limiter, '100000000002:SubmitCertificateInformation', 20, 25), 20);
    assert.equal(limiter.size(), 3);
  });

  test('keys idle for a second are swept, so size() shrinks to the active keys', () => {
    const { clock, limiter } = clocked(0);
    for (let i = 0; i < 100; i++) limiter.takeSync(`k${i}`, 5);
    assert.equal(limiter.size(), 100);
    clock.t = 500;
    limiter.takeSync('k0', 5);
    assert.equal(limiter.size(), 100);
    clock.t = 1000;
    limiter.takeSync('fresh', 5);
    // k0 was used at 500, so it is idle for 500 ms only and stays.
    assert.equal(limiter.size(), 2);
    clock.t = 2500;
    limiter.takeSync('fresh', 5);
    assert.equal(limiter.size(), 1);
  });

  test('a key kept busy by refused requests is not swept and stays limited', () => {
    const { clock, limiter } = clocked(0);
    assert.equal(takeMany(limiter, 'k', 3, 3), 3);
    clock.t = 990;
    assert.equal(limiter.takeSync('k', 3), false);
    clock.t = 1500;
    limiter.takeSync('other', 3);
    assert.equal(limiter.size(), 2);
    clock.t = 1999;
    assert.equal(takeMany(limiter, 'k', 3, 5), 3);
  });

  test('a swept key starts afresh with its full allowance', () => {
    const { clock, limiter } = clocked(0);
    assert.equal(takeMany(limiter, 'k', 4, 10), 4);
    clock.t = 3000;
    limiter.takeSync('other', 4);
    assert.equal(limiter.size(), 1);
    assert.equal(takeMany(limiter, 'k', 4, 10), 4);
  });

  test('changing perSecond for a key resets its window, so the new limit applies in full at once', () => {
    const { limiter } = clocked(0);
    assert.equal(takeMany(limiter, 'k', 5, 10), 5);
    assert.equal(takeMany(limiter, 'k', 8, 10), 8);
    assert.equal(takeMany(limiter, 'k', 2, 10), 2);
  });

  test('take answers as takeSync does, and close forgets every key', async () => {
    const { limiter } = clocked(0);
    assert.equal(await limiter.take('k', 1), true);
    assert.equal(await limiter.take('k', 1), false);
    await limiter.close();
    assert.equal(limiter.size(), 0);
    assert.equal(await limiter.take('k', 1), true);
  });

  test('the default clock admits perSecond requests in a burst and refuses the next', async () => {
    const limiter = new MemoryRateLimiter();
    let accepted = 0;
    for (let i = 0; i < 30; i++) if (await limiter.take('k', 20)) accepted++;
    assert.equal(accepted, 20);
  });
});

describe('NoRateLimiter', () => {
  test('accepts every request', async () => {
    const limiter = new NoRateLimiter();
    for (let i = 0; i < 1000; i++) assert.equal(await limiter.take(), true);
    await limiter.close();
  });
});
