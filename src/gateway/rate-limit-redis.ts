// The per-(account, action) limits in Redis, shared by every node: the same exact sliding window as the memory
// limiter, kept as a sorted set of acceptance times per key and decided atomically by one Lua script that reads
// Redis' own clock, so nodes with skewed clocks still agree.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError } from '../errors.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * Drops acceptances older than the window, and accepts (recording the time) only while fewer than `limit`
 * remain: no window of WINDOW ms, anywhere in time, ever holds more than `limit` accepted requests.
 */
const SLIDING_WINDOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 1
end
return 0
`;

type LimiterRedis = Redis & {
  slidingWindow(key: string, limit: number, windowMs: number, member: string): Promise<number>;
};

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: LimiterRedis;
  private readonly prefix: string;

  constructor(url: string, opts: { prefix?: string } = {}) {
    this.prefix = opts.prefix ?? 'tcssl:rl:';
    // Fail fast instead of queueing while Redis is away: a request must not hang on its rate limit.
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      lazyConnect: false,
    }) as LimiterRedis;
    this.redis.on('error', () => {});
    this.redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  }

  /** Resolves once connected (startup waits for it, so a wrong URL fails the start, not the first request). */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis did not answer in time')), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async take(key: string, perSecond: number): Promise<boolean> {
    try {
      const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
      return (await this.redis.slidingWindow(this.prefix + key, perSecond, 1000, member)) === 1;
    } catch {
      // Without Redis the shared limit cannot be kept; refuse (retryably) rather than let every node run free.
      throw new DomainError('Unavailable', 'the rate-limit store is unreachable; retry later');
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
