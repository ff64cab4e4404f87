// The Redis limiter keeps the same exact sliding window as the memory one, shared by every client of one Redis.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDomainError } from '../../src/errors.js';
import { RedisRateLimiter } from '../../src/gateway/rate-limit-redis.js';
import { serviceUrl, skipWithout } from '../support/services.js';

describe('RedisRateLimiter', { skip: skipWithout('TCSSL_TEST_REDIS_URL') }, () => {
  const url = () => serviceUrl('TCSSL_TEST_REDIS_URL') as string;

  test('two limiters on one Redis (two nodes) accept exactly the limit between them in one second', async () => {
    const a = new RedisRateLimiter(url());
    const b = new RedisRateLimiter(url());
    await Promise.all([a.ready(), b.ready()]);
    try {
      const key = `acct-${randomBytes(4).toString('hex')}:SubmitCertificateInformation`;
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).take(key, 20)));
      const elapsed = Date.now() - started;
      // 50 round trips to loopback Redis finish well inside the window; if not, the window may legally reopen.
      if (elapsed < 900) assert.equal(results.filter(Boolean).length, 20);
      else assert.ok(results.filter(Boolean).length <= 20 * Math.ceil(elapsed / 1000) + 20);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('after a second the window has room again, and other keys were never affected', async () => {
    const a = new RedisRateLimiter(url());
    await a.ready();
    try {
      const key = `acct-${randomBytes(4).toString('hex')}:X`;
      for (let i = 0; i < 5; i++) assert.equal(await a.take(key, 5), true);
      assert.equal(await a.take(key, 5), false);
      assert.equal(await a.take(`${key}-other`, 5), true);
      await sleep(1050);
      assert.equal(await a.take(key, 5), true);
    } finally {
      await a.close();
    }
  });

  test('an unreachable Redis refuses with the retryable Unavailable kind instead of hanging', async () => {
    const dead = new RedisRateLimiter('redis://127.0.0.1:1');
    try {
      const started = Date.now();
      await assert.rejects(dead.take('k', 5), (e) => isDomainError(e) && e.kind === 'Unavailable');
      assert.ok(Date.now() - started < 5000);
    } finally {
      await dead.close();
    }
  });
});
