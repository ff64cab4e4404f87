// Per-(account, action) request limits behind one interface: an in-memory sliding window for one node here,
// and a shared store for many nodes behind the same interface.

export interface RateLimiter {
  /** true when one more request under `key` is accepted within `perSecond` in every 1-second window */
  take(key: string, perSecond: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Exact sliding window: the last `perSecond` acceptance times of each key sit in a ring; a request is accepted
 * when the oldest of them is at least 1000 ms old. So no 1-second interval ever holds more than `perSecond`
 * accepted requests (a refilling token bucket would let a burst through). O(1) per request; idle keys are swept.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly rings = new Map<string, { times: number[]; next: number; last: number }>();
  private readonly now: () => number;
  private sweepAt = 0;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
  }

  async take(key: string, perSecond: number): Promise<boolean> {
    return this.takeSync(key, perSecond);
  }

  takeSync(key: string, perSecond: number): boolean {
    const t = this.now();
    this.sweep(t);
    let ring = this.rings.get(key);
    if (!ring || ring.times.length !== perSecond) {
      ring = { times: new Array(perSecond).fill(Number.NEGATIVE_INFINITY), next: 0, last: t };
      this.rings.set(key, ring);
    }
    ring.last = t;
    if (t - ring.times[ring.next] < 1000) return false;
    ring.times[ring.next] = t;
    ring.next = (ring.next + 1) % perSecond;
    return true;
  }

  /** Drops keys idle for over a second, at most once a second, so memory follows the active keys only. */
  private sweep(t: number): void {
    if (t < this.sweepAt) return;
    this.sweepAt = t + 1000;
    for (const [k, ring] of this.rings) if (t - ring.last >= 1000) this.rings.delete(k);
  }

  size(): number {
    return this.rings.size;
  }

  async close(): Promise<void> {
    this.rings.clear();
  }
}

/** Used when limits are lifted by configuration (benchmarks). */
export class NoRateLimiter implements RateLimiter {
  async take(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}
