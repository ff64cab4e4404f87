// Prometheus metrics: request counters and latency by bounded labels, rejections, and the store-backed gauges
// (orders by status, worker queue depth) read on scrape from a real store.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createMetrics, type Metrics, type MetricsOptions } from '../../src/gateway/metrics.js';
import { newOrderRow } from '../../src/orders/orders.js';
import { Status, type StatusCode } from '../../src/orders/status.js';
import { insertCertificate } from '../../src/store/certificate-writes.js';
import { countDue } from '../../src/store/certificates-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { insertAccount } from '../../src/store/iam-repo.js';
import { ordersByStatus } from '../../src/store/stats-repo.js';
import { tempDir, testDatabase } from '../support/world.js';

const KNOWN = new Set(['DescribeCertificates', 'SubmitCertificateInformation']);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (one sample a line; label values here never hold quotes or commas). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of m[2] ? m[2].split(',') : []) {
        const eq = pair.indexOf('=');
        labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1));
      }
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

/**
 * A small app wired as the gateway wires metrics: the route records the action and the code on the request, and an
 * onResponse hook reports them. Action and code come from headers so a test can send any it likes.
 */
function appWith(metrics: Metrics): FastifyInstance {
  const app = Fastify();
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.url === '/') metrics.observe(req.tcAction, req.tcCode ?? 'Success', reply.elapsedTime / 1000);
  });
  app.post('/', async (req) => {
    const action = req.headers['x-tc-action'];
    const code = req.headers['x-test-code'];
    req.tcAction = typeof action === 'string' ? action : undefined;
    if (typeof code === 'string') req.tcCode = code;
    return {};
  });
  metrics.registerMetricsRoute(app);
  return app;
}

async function scrape(app: FastifyInstance): Promise<Sample[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  return parse(res.body);
}

function call(app: FastifyInstance, action?: string, code?: string) {
  const headers: Record<string, string> = {};
  if (action !== undefined) headers['x-tc-action'] = action;
  if (code !== undefined) headers['x-test-code'] = code;
  return app.inject({ method: 'POST', url: '/', headers, payload: {} });
}

describe('request metrics', () => {
  test('counts requests by action and code, times them, and counts rate-limit rejections', async () => {
    const metrics = createMetrics({ knownActions: KNOWN });
    const app = appWith(metrics);
    await call(app, 'DescribeCertificates');
    await call(app, 'DescribeCertificates');
    await call(app, 'DescribeCertificates', 'RequestLimitExceeded');
    await call(app, 'SubmitCertificateInformation', 'FailedOperation.CertificateNotFound');
    await call(app, undefined, 'MissingParameter');
    metrics.overloadRejected();
    const s = await scrape(app);
    const requests = (action: string, code: string) => value(s, 'tcssl_requests_total', { action, code });
    assert.equal(requests('DescribeCertificates', 'Success'), 2);
    assert.equal(requests('DescribeCertificates', 'RequestLimitExceeded'), 1);
    assert.equal(requests('SubmitCertificateInformation', 'FailedOperation.CertificateNotFound'), 1);
    assert.equal(requests('-', 'MissingParameter'), 1, 'a request without an action is labelled -');
    assert.equal(value(s, 'tcssl_rate_limited_total', { action: 'DescribeCertificates' }), 1);
    assert.equal(value(s, 'tcssl_overload_rejected_total'), 1);
    assert.equal(value(s, 'tcssl_request_duration_seconds_count', { action: 'DescribeCertificates' }), 3);
    assert.equal(value(s, 'tcssl_request_duration_seconds_bucket', { action: 'DescribeCertificates', le: '5' }), 3);
    assert.ok((value(s, 'tcssl_request_duration_seconds_sum', { action: 'DescribeCertificates' }) ?? -1) >= 0);
    assert.ok(
      s.some((x) => x.name === 'process_cpu_user_seconds_total'),
      'the default process metrics are there',
    );
    await app.close();
  });

  test('folds 1000 unknown actions and codes into other, so clients cannot grow the label set', async () => {
    const metrics = createMetrics({ knownActions: KNOWN, processMetrics: false });
    const app = appWith(metrics);
    for (let i = 0; i < 1000; i++) {
      await call(
        app,
        randomBytes(8).toString('hex'),
        i % 2 === 0 ? `Bogus.${randomBytes(4).toString('hex')}` : undefined,
      );
    }
    await call(app, 'DescribeCertificates');
    const s = await scrape(app);
    const series = s.filter((x) => x.name === 'tcssl_requests_total');
    assert.deepEqual(new Set(series.map((x) => x.labels.action)), new Set(['other', 'DescribeCertificates']));
    assert.deepEqual(new Set(series.map((x) => x.labels.code)), new Set(['other', 'Success']));
    assert.equal(value(s, 'tcssl_requests_total', { action: 'other', code: 'other' }), 500);
    assert.equal(value(s, 'tcssl_requests_total', { action: 'other', code: 'Success' }), 500);
    const buckets = s.filter((x) => x.name === 'tcssl_request_duration_seconds_bucket');
    assert.equal(buckets.length, 2 * 13, 'two actions, twelve buckets and +Inf each');
    await app.close();
  });

  test('serves /metrics in the Prometheus text format', async () => {
    const app = appWith(createMetrics({ knownActions: KNOWN, processMetrics: false }));
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(res.body, /^# HELP tcssl_requests_total /m);
    assert.match(res.body, /^# TYPE tcssl_request_duration_seconds histogram$/m);
    await app.close();
  });

  test('two servers in one process keep separate registries', async () => {
    const a = createMetrics({ knownActions: KNOWN });
    const b = createMetrics({ knownActions: KNOWN });
    a.observe('DescribeCertificates', 'Success', 0.01);
    const sa = parse(await a.registry.metrics());
    const sb = parse(await b.registry.metrics());
    assert.equal(value(sa, 'tcssl_requests_total', { action: 'DescribeCertificates', code: 'Success' }), 1);
    assert.equal(value(sb, 'tcssl_requests_total', { action: 'DescribeCertificates', code: 'Success' }), undefined);
  });
});

describe('store gauges', () => {
  let dir: string;
  let store: Store;
  let drop: () => Promise<void>;
  const uin = '100000000001';
  let seq = 0;

  const insert = (status: StatusCode, extra: { next_check_at?: number } = {}) =>
    insertCertificate(
      store.db,
      newOrderRow({
        certificate_id: `m${String(seq++).padStart(7, '0')}`,
        owner_uin: uin,
        status,
        source: 'paid',
        created_at: Date.now(),
        ...extra,
      }),
    );

  const storeMetrics = (opts: Partial<MetricsOptions> = {}) =>
    createMetrics({
      knownActions: KNOWN,
      processMetrics: false,
      collectOrders: () => ordersByStatus(store.db),
      collectQueueDepth: () => countDue(store.db, Status.Reviewing, Date.now()),
      collectCacheMs: 0,
      ...opts,
    });

  before(async () => {
    dir = tempDir('tcssl-metrics-');
    const database = await testDatabase();
    drop = () => database.drop();
    // groupMaxMs: the commit count per group below must not depend on the machine's speed.
    store = await openStore({ url: database.url, dataDir: dir, groupMaxMs: 60_000 });
    await insertAccount(store.db, {
      uin,
      app_id: 1300000001,
      name: 'metrics',
      real_name_verified: 1,
      free_quota: 50,
      created_at: Date.now(),
    });
    await insert(Status.Issued);
    await insert(Status.Issued);
    await insert(Status.Cancelled);
    await insert(Status.Reviewing, { next_check_at: Date.now() - 1000 });
    await insert(Status.Reviewing, { next_check_at: Date.now() + 3_600_000 });
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ordersByStatus counts the rows of each status as numbers', async () => {
    assert.deepEqual(await ordersByStatus(store.db), [
      { status: Status.Reviewing, count: 2 },
      { status: Status.Issued, count: 2 },
      { status: Status.Cancelled, count: 1 },
    ]);
  });

  test('tcssl_orders and tcssl_worker_queue_depth reflect the rows at each scrape', async () => {
    const app = appWith(storeMetrics());
    let s = await scrape(app);
    assert.equal(value(s, 'tcssl_orders', { status: '0' }), 2);
    assert.equal(value(s, 'tcssl_orders', { status: '1' }), 2);
    assert.equal(value(s, 'tcssl_orders', { status: '7' }), 1);
    assert.equal(value(s, 'tcssl_orders', { status: '13' }), 0, 'an empty status reads 0, not missing');
    assert.equal(s.filter((x) => x.name === 'tcssl_orders').length, 16, 'one series per status code');
    assert.equal(value(s, 'tcssl_worker_queue_depth'), 1, 'only the due order waits for the worker');

    await insert(Status.Issued);
    await insert(Status.Reviewing, { next_check_at: Date.now() - 1 });
    s = await scrape(app);
    assert.equal(value(s, 'tcssl_orders', { status: '1' }), 3);
    assert.equal(value(s, 'tcssl_worker_queue_depth'), 2);
    await app.close();
  });

  test("tcssl_store_transactions_total and tcssl_store_commits_total read the store's counts at each scrape", async () => {
    const app = appWith(storeMetrics({ storeStats: () => store.stats }));
    let s = await scrape(app);
    const before = { tx: value(s, 'tcssl_store_transactions_total'), commits: value(s, 'tcssl_store_commits_total') };
    assert.equal(before.tx, store.stats.transactions);
    assert.equal(before.commits, store.stats.commits);
    await Promise.all([1, 2, 3].map(() => store.tx(async () => {})));
    s = await scrape(app);
    assert.equal(value(s, 'tcssl_store_transactions_total'), before.tx + 3);
    // SQLite groups the three into one commit; PostgreSQL commits each.
    assert.equal(value(s, 'tcssl_store_commits_total'), before.commits + (store.dialect === 'sqlite' ? 1 : 3));
    await app.close();
  });

  test('tcssl_store_reads_total and tcssl_store_read_cache_hits_total read the same counts', async () => {
    const app = appWith(storeMetrics({ storeStats: () => store.stats }));
    let s = await scrape(app);
    const before = { reads: value(s, 'tcssl_store_reads_total'), hits: value(s, 'tcssl_store_read_cache_hits_total') };
    assert.equal(before.reads, store.stats.reads);
    assert.equal(before.hits, store.stats.readHits);
    for (let i = 0; i < 2; i++) await store.read("select value from meta where key = 'iam_version'", []);
    s = await scrape(app);
    assert.equal(value(s, 'tcssl_store_reads_total'), before.reads + 2);
    // SQLite answers the second from memory (no commit between); PostgreSQL reads each.
    assert.equal(value(s, 'tcssl_store_read_cache_hits_total'), before.hits + (store.dialect === 'sqlite' ? 1 : 0));
    await app.close();
  });

  test('a collected value is reused within collectCacheMs, so scrapes do not each query the store', async () => {
    let reads = 0;
    const app = appWith(
      storeMetrics({
        collectOrders: () => {
          reads++;
          return ordersByStatus(store.db);
        },
        collectCacheMs: 60_000,
      }),
    );
    const first = value(await scrape(app), 'tcssl_orders', { status: '1' });
    await insert(Status.Issued);
    const second = value(await scrape(app), 'tcssl_orders', { status: '1' });
    assert.equal(second, first);
    assert.equal(reads, 1);
    await app.close();
  });

  test('a failing or hung collector leaves its gauge empty and counts an error, and /metrics still answers', async () => {
    const app = appWith(
      storeMetrics({
        collectOrders: async () => {
          throw new Error('database is locked');
        },
        collectQueueDepth: () => new Promise<number>(() => {}),
        collectTimeoutMs: 50,
      }),
    );
    const started = performance.now();
    const s = await scrape(app);
    assert.ok(performance.now() - started < 2000, 'the scrape is not held by the hung collector');
    assert.equal(s.filter((x) => x.name === 'tcssl_orders').length, 0);
    assert.ok(Number.isNaN(value(s, 'tcssl_worker_queue_depth')), 'an unknown depth is NaN, never 0');
    assert.equal(value(s, 'tcssl_metrics_collect_errors_total', { collector: 'orders' }), 1);
    assert.equal(value(s, 'tcssl_metrics_collect_errors_total', { collector: 'queue_depth' }), 1);
    await app.close();
  });
});
