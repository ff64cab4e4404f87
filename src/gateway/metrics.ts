// Prometheus metrics of one gateway: requests by action and code, their latency, rejections (rate limit, overload),
// and gauges read when scraped (orders by status, worker queue depth). Owns its registry; reads no store itself.

import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_STATUSES } from '../orders/status.js';
import { isErrorCode } from './error-codes.js';
import { withTimeout } from './health.js';

export interface MetricsOptions {
  /** Action names that may become label values; any other name a client sends is counted as 'other'. */
  knownActions: ReadonlySet<string>;
  /** Certificates per status code (store/stats-repo.ts ordersByStatus); no tcssl_orders gauge without it. */
  collectOrders?: () => Promise<ReadonlyArray<{ status: number; count: number }>>;
  /** Orders due for the worker (certificates-repo countDue); no tcssl_worker_queue_depth gauge without it. */
  collectQueueDepth?: () => Promise<number>;
  /** A collected value is reused for this long, ms: several Prometheus replicas scraping every few seconds then
   * cost one store query per period, not one each. 0 reads the store on every scrape. */
  collectCacheMs?: number;
  /** The store's counts so far (Store.stats); no tcssl_store_* counters without it. */
  storeStats?: () => Readonly<{ transactions: number; commits: number; reads: number; readHits: number }>;
  /** Time limit of one collector, ms: a hung store leaves its gauge empty (NaN) but /metrics still answers. */
  collectTimeoutMs?: number;
  /** Node's process metrics (CPU, memory, event loop lag, GC); on by default. */
  processMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** One answered API request: its action (undefined when none was decoded), result code and duration. */
  observe(action: string | undefined, code: string, seconds: number): void;
  /** One request shed by the overload guard (overload.ts onReject). */
  overloadRejected(): void;
  /** GET /metrics in Prometheus' text format. */
  registerMetricsRoute(app: FastifyInstance): void;
}

/** 1 ms to 5 s: a cached read takes about a millisecond; a Submit that makes an RSA key or a manual domain check
 * (DNS and HTTP, each up to dcv.timeoutMs) takes seconds. Slower than 5 s lands in +Inf. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const DEFAULT_COLLECT_CACHE_MS = 5000;
const DEFAULT_COLLECT_TIMEOUT_MS = 2000;

/**
 * Reads through fn at most once per cacheMs, with at most one read in flight: a hung store costs one pending
 * query, however often it is scraped.
 */
function cachedCollector<T>(fn: () => Promise<T>, cacheMs: number, timeoutMs: number, what: string): () => Promise<T> {
  let last: { at: number; value: T } | undefined;
  let running: Promise<T> | undefined;
  return () => {
    if (last && performance.now() - last.at < cacheMs) return Promise.resolve(last.value);
    running ??= Promise.resolve()
      .then(fn)
      .then((value) => {
        last = { at: performance.now(), value };
        return value;
      })
      .finally(() => {
        running = undefined;
      });
    return withTimeout(running, timeoutMs, what);
  };
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const cacheMs = opts.collectCacheMs ?? DEFAULT_COLLECT_CACHE_MS;
  const timeoutMs = opts.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  const registers = [registry];

  // Label values come only from fixed sets, so a client sending random Action names cannot grow the registry.
  const actionLabel = (action: string | undefined): string =>
    !action ? '-' : opts.knownActions.has(action) ? action : 'other';
  const codeLabel = (code: string): string => (code === 'Success' || isErrorCode(code) ? code : 'other');

  const requests = new Counter({
    name: 'tcssl_requests_total',
    help: "API requests answered on /, by action ('-': none decoded, 'other': not an action) and result code.",
    labelNames: ['action', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'tcssl_request_duration_seconds',
    help: 'Time from receiving an API request to the end of its response, by action.',
    labelNames: ['action'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const rateLimited = new Counter({
    name: 'tcssl_rate_limited_total',
    help: 'API requests refused with RequestLimitExceeded (per-account, per-action rate limit), by action.',
    labelNames: ['action'] as const,
    registers,
  });
  const overload = new Counter({
    name: 'tcssl_overload_rejected_total',
    help: 'API requests refused at once with ServiceUnavailable because too many were already in flight.',
    registers,
  });
  const storeStats = opts.storeStats;
  // Read from the store's own counts when scraped (no store query): transactions per commit is the group size, and
  // hits per read what the read cache saves.
  const storeCounters = [
    ['transactions', 'transactions', 'Write transactions run by this process (committed or rolled back).'],
    ['commits', 'commits', 'Commits made by this process; on SQLite one commit serves a group of transactions.'],
    ['reads', 'reads', "Hot-path reads (a request's key version, the certificate it names, a list page)."],
    ['readHits', 'read_cache_hits', 'Hot-path reads that SQLite answered from memory: no commit since the same read.'],
  ] as const;
  for (const [key, name, help] of storeStats ? storeCounters : []) {
    new Counter({
      name: `tcssl_store_${name}_total`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(storeStats?.()[key] ?? 0);
      },
    });
  }
  // The store-backed series are filled by one refresh per scrape, which every one of them awaits: prom-client
  // collects all metrics concurrently, so the error counter must wait for the reads it reports on. refresh runs only
  // when scraped, by which time the series declared after it exist.
  const readOrders = opts.collectOrders && cachedCollector(opts.collectOrders, cacheMs, timeoutMs, 'orders by status');
  const readDepth =
    opts.collectQueueDepth && cachedCollector(opts.collectQueueDepth, cacheMs, timeoutMs, 'worker queue depth');
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      const [rows, depth] = await Promise.allSettled([readOrders?.(), readDepth?.()]);
      if (ordersGauge) {
        ordersGauge.reset();
        if (rows.status === 'fulfilled' && rows.value) setOrders(rows.value);
        else collectErrors?.inc({ collector: 'orders' });
      }
      if (depthGauge) {
        if (depth.status === 'fulfilled' && depth.value !== undefined) {
          depthGauge.set(depth.value);
        } else {
          // NaN, not 0: an unlabelled gauge always has a sample, and 0 would claim an empty queue.
          depthGauge.set(Number.NaN);
          collectErrors?.inc({ collector: 'queue_depth' });
        }
      }
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const ordersGauge =
    readOrders &&
    new Gauge({
      name: 'tcssl_orders',
      help: 'Certificates in the store by status code (0 reviewing, 1 issued, ... 15 migrating).',
      labelNames: ['status'] as const,
      registers,
      collect: refresh,
    });
  const setOrders = (rows: ReadonlyArray<{ status: number; count: number }>) => {
    // Every known status is present, 0 when empty, so a series does not vanish when its last row moves on.
    const counts = new Map<string, number>(ALL_STATUSES.map((st) => [String(st), 0]));
    for (const r of rows) {
      const label = counts.has(String(r.status)) ? String(r.status) : 'other';
      counts.set(label, (counts.get(label) ?? 0) + r.count);
    }
    for (const [status, n] of counts) ordersGauge?.set({ status }, n);
  };
  const depthGauge =
    readDepth &&
    new Gauge({
      name: 'tcssl_worker_queue_depth',
      help: 'Committed orders due for a domain-validation attempt: the worker backlog.',
      registers,
      collect: refresh,
    });
  const collectErrors =
    (readOrders || readDepth) &&
    new Counter({
      name: 'tcssl_metrics_collect_errors_total',
      help: 'Scrapes whose read of a store-backed gauge failed or timed out; that gauge is then empty (or NaN).',
      labelNames: ['collector'] as const,
      registers,
      collect: refresh,
    });

  return {
    registry,
    observe(action, code, seconds) {
      const a = actionLabel(action);
      const c = codeLabel(code);
      requests.inc({ action: a, code: c });
      duration.observe({ action: a }, seconds);
      // The rate limiter's only answer is RequestLimitExceeded, so the code tells a rate-limit rejection apart.
      if (c === 'RequestLimitExceeded') rateLimited.inc({ action: a });
    },
    overloadRejected() {
      overload.inc();
    },
    registerMetricsRoute(app) {
      app.get('/metrics', async (_req, reply) => {
        const text = await registry.metrics();
        return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
      });
    },
  };
}
