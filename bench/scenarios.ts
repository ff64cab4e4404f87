// The scenarios of the benchmark, in the order they run: on a fresh store the baseline, Describe, Submit (parse and
// online), Create, raw RSA keygen and the online RSA burst; then DescribeCertificates on a store of a million rows.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { call } from '../src/cli/client.js';
import { configSchema } from '../src/config.js';
import { fillCertificates } from './fill.js';
import { fromRaw, type LoadResult } from './load.js';
import { summariseProfile } from './profile.js';
import * as req from './requests.js';
import { ROOT, startBaseline, type TcsslProcess, waitIdle } from './server.js';
import { log, type Session } from './session.js';
import { READY_MS } from './targets.js';

/** Submit may repeat on an order while it waits for information; a few orders per scenario spread the row locks. */
const ORDERS_PER_SCENARIO = 16;
/** SubmitCertificateInformation's documented limit, 20 requests per second. */
const BURST_RATE = 20;
/** The default RSA pool (src/config.ts), which the main server runs with. */
const DEFAULT_RSA_POOL = configSchema.parse({}).keys.rsaPoolSize;

export const FILL_STORE = join(tmpdir(), 'tcssl-bench-1m');

export function target(p: TcsslProcess): req.Target {
  return { host: '127.0.0.1', port: p.port, creds: p.creds };
}

export async function signedCall(t: req.Target, action: string, params: Record<string, unknown>) {
  const { SecretId: secretId, SecretKey: secretKey } = t.creds;
  const r = await call({ endpoint: `http://${t.host}:${t.port}`, secretId, secretKey, action, params });
  const body = r.body as { Response: Record<string, unknown> & { Error?: unknown } };
  if (body.Response.Error) throw new Error(`${action}: ${JSON.stringify(body.Response.Error)}`);
  return body;
}

/** Paid DV orders in status 5 (waiting for information), made through the API. */
export async function createOrders(t: req.Target, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = await signedCall(t, 'CreateCertificate', { ProductId: 48, DomainNum: 1, TimeSpan: 1 });
    ids.push(...(body.Response.CertificateIds as string[]));
  }
  return ids;
}

/**
 * Benchmark-only setup: no product orders an EC-P256 key through CreateCertificate, so the ECDSA orders get their
 * key spec written into the store directly (Submit reads it from the row).
 */
function setKeySpec(dataDir: string, ids: string[], spec: string): void {
  const db = new Database(join(dataDir, 'tcssl.db'));
  db.pragma('busy_timeout = 5000');
  const update = db.prepare('update certificates set key_spec = ? where certificate_id = ?');
  const changed = db.transaction(() => ids.reduce((n, id) => n + update.run(spec, id).changes, 0))();
  db.close();
  if (changed !== ids.length) throw new Error(`set key_spec on ${changed} of ${ids.length} orders`);
}

function readyMeasure(b: Session, label: string, ms: number): void {
  b.measures.push({ label, value: `${ms.toFixed(0)} ms`, target: `< ${READY_MS} ms`, pass: ms < READY_MS });
}

export async function mainScenarios(b: Session): Promise<void> {
  const dataDir = join(b.work, 'store');
  const logFile = join(b.work, 'serve.log');
  const env = { TCSSL_RSA_POOL_SIZE: String(DEFAULT_RSA_POOL) };
  await b.stop(await b.start({ dataDir, logFile, env }, 'first start on an empty store'));
  const cpuProfDir = b.opts.cpuProf ? join(b.work, 'cpu-prof') : undefined;
  const server = await b.start({ dataDir, logFile, env, cpuProfDir }, 'start on the existing store');
  readyMeasure(b, 'serve ready, existing store (a few rows)', server.readyMs);
  await waitIdle(server.pid, undefined, b.idleCpuS);
  const t = target(server);
  const orders: Record<string, string[]> = {};
  for (const kind of ['describe', 'parse-tc3', 'parse-hmac', 'online-rsa', 'online-ecdsa', 'burst']) {
    orders[kind] = await createOrders(t, ORDERS_PER_SCENARIO);
  }
  setKeySpec(dataDir, orders['online-ecdsa'], 'EC-P256');
  const describe = () => req.describeRequests(t, orders.describe);
  const bytes = Buffer.byteLength(
    JSON.stringify(await signedCall(t, 'DescribeCertificate', { CertificateId: orders.describe[0] })),
  );

  const all = b.opts.connections;
  const scenarios: Array<{ id: string; label: string; requests: () => req.PresignedRequest[]; counts: number[] }> = [
    { id: 'describe', label: 'DescribeCertificate (TC3)', requests: describe, counts: all },
    {
      id: 'submit-parse-tc3',
      label: 'Submit parse (TC3)',
      requests: () => req.submitParseRequests(t, orders['parse-tc3'], 'TC3-HMAC-SHA256'),
      counts: all,
    },
    {
      id: 'submit-parse-hmac',
      label: 'Submit parse (HmacSHA256)',
      requests: () => req.submitParseRequests(t, orders['parse-hmac'], 'HmacSHA256'),
      counts: all,
    },
    {
      id: 'submit-online-ecdsa',
      label: 'Submit online ECDSA P-256',
      requests: () => req.submitOnlineRequests(t, orders['online-ecdsa']),
      counts: all,
    },
    { id: 'create', label: 'CreateCertificate', requests: () => req.createRequests(t), counts: all },
  ].filter((s) => b.selected(s.id));

  if (scenarios.length > 0 || b.selected('baseline') || b.selected('submit-online-rsa')) {
    const bare = await startBaseline(bytes);
    b.running.add(bare);
    for (const c of all) {
      const label = `baseline node:http, ${bytes} B`;
      const row = await b.loadRow({
        target: bare,
        id: 'baseline',
        label,
        connections: c,
        requests: describe,
        tcssl: false,
      });
      b.baseline.set(c, row.rps);
    }
    await b.stop(bare, false);
  }
  for (const s of scenarios) {
    for (const c of s.counts) await b.loadRow({ target: server, connections: c, ...s });
  }
  if (b.selected('submit-online-rsa')) {
    // Keygen-bound: a warm-up would leave its requests' generations running into the measured run, so the run starts
    // instead from a full pool, whose keys are then taken off the count: what remains is the sustained rate.
    await b.loadRow({
      target: server,
      id: 'submit-online-rsa',
      label: `Submit online RSA-2048 (less ${DEFAULT_RSA_POOL} pooled)`,
      connections: all[0],
      requests: () => req.submitOnlineRequests(t, orders['online-rsa']),
      warmup: false,
      durationS: keygenSeconds(b),
      adjust: (r: LoadResult) => ({ ...r, rps: Math.max(0, r.requests - DEFAULT_RSA_POOL) / r.durationS }),
    });
  }
  await b.stop(server);
  if (cpuProfDir) b.profile = summariseProfile(cpuProfDir, ROOT, b.opts.out);
  if (b.selected('submit-online-rsa') || b.selected('keygen')) await keygen(b);
  if (b.selected('burst')) await burst(b, dataDir, orders.burst, orders.describe);
}

/**
 * Seconds for the two key-generation-bound measurements (online RSA Submits, raw generation), at least 30: one
 * RSA-2048 generation takes a random number of prime candidates, so ten seconds (about seventy keys) gave raw rates
 * from 6.3 to 7.5 keys/s in three runs back to back, and the ratio of two such rates, which the 90% target reads, was
 * mostly that noise. Thirty seconds divide the spread by about the square root of three.
 */
const keygenSeconds = (b: Session) => Math.max(30, b.opts.duration);

async function keygen(b: Session): Promise<void> {
  log(`raw RSA-2048 key generation for ${keygenSeconds(b)} s`);
  const cpu = b.cpuWatch([]);
  const r = (await b.child([join(ROOT, 'bench', 'keygen.ts'), String(keygenSeconds(b))], 'BENCH_KEYGEN')) as {
    keys: number;
    keysPerSecond: number;
    cores: number;
  };
  b.keygenPerSecond = r.keysPerSecond;
  b.measures.push({
    label: `raw RSA-2048 keygen, generateKeyPair on ${r.cores} cores`,
    value: `${r.keysPerSecond.toFixed(1)} keys/s (${r.keys} keys; others ${(cpu() * 100).toFixed(0)}%)`,
    target: '',
    pass: null,
  });
}

/** Online RSA Submits at 20/s on a server with --rsa-pool-size keys ready, while wrk loads DescribeCertificate. */
async function burst(b: Session, dataDir: string, ids: string[], describeIds: string[]): Promise<void> {
  const pool = b.opts.rsaPoolSize;
  const env = { TCSSL_RSA_POOL_SIZE: String(pool) };
  const server = await b.start({ dataDir, logFile: join(b.work, 'serve.log'), env }, `burst server, pool ${pool}`);
  const fillMs = await waitIdle(server.pid, 600_000);
  log(`RSA pool of ${pool} filled in ${(fillMs / 1000).toFixed(1)} s`);
  const t = target(server);
  const connections = b.opts.connections[0];
  const spec = { url: server.url, connections, requestsFile: join(b.work, 'burst-describe.requests') };
  if (b.opts.warmup > 0) {
    await b.gen.run({ ...spec, durationS: b.opts.warmup, requests: req.describeRequests(t, describeIds) });
    await waitIdle(server.pid);
  }
  b.trackPeak(server);
  const burstFile = join(b.work, 'burst.json');
  const requests = req.submitOnlineRequests(t, ids);
  const burstSpec = { url: server.url, ratePerSecond: BURST_RATE, durationS: b.opts.duration, timeoutS: 30, requests };
  writeFileSync(burstFile, JSON.stringify(burstSpec));
  const cpu = b.cpuWatch([server.pid]);
  const [submits, describes] = await Promise.all([
    b.child([join(ROOT, 'bench', 'burst.ts'), burstFile], 'BENCH_RESULT') as Promise<BurstRaw>,
    b.gen.run({ ...spec, durationS: b.opts.duration, requests: req.describeRequests(t, describeIds) }),
  ]);
  const [peak, others] = [b.trackPeak(server), cpu()];
  b.addRow('burst-rsa', `Submit online RSA burst ${BURST_RATE}/s, pool ${pool}`, 0, fromBurst(submits), peak, others);
  b.addRow('burst-describe', 'DescribeCertificate during the burst', connections, describes, peak, others);
  await b.stop(server);
}

interface BurstRaw {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  appErrors: number;
  sample?: string;
}

function fromBurst(r: BurstRaw): LoadResult {
  // The burst driver counts only the envelopes' errors: a socket error or timeout is an answer with an Error there.
  return fromRaw({ ...r, socketErrors: 0, timeouts: 0 }, r.sample || undefined);
}

/** DescribeCertificates' first page on a store filled to --fill-count certificates (kept with --keep-store). */
export async function millionScenario(b: Session): Promise<void> {
  const dataDir = b.opts.keepStore ? FILL_STORE : join(b.work, 'store-1m');
  const logFile = join(b.work, 'serve-1m.log');
  const credsFile = join(dataDir, 'credentials.json');
  if (!existsSync(credsFile)) await b.stop(await b.start({ dataDir, logFile }, 'first start of the fill store'));
  const { Uin } = JSON.parse(readFileSync(credsFile, 'utf8')) as req.Credentials;
  log(`filling ${dataDir} to ${b.opts.fillCount.toLocaleString('en-US')} certificates`);
  const fill = fillCertificates(join(dataDir, 'tcssl.db'), Uin, b.opts.fillCount);
  const total = fill.existing + fill.inserted;
  const n = (x: number) => x.toLocaleString('en-US');
  b.measures.push({
    label: `fill to ${n(total)} certificates`,
    value:
      fill.inserted > 0
        ? `${n(fill.inserted)} rows in ${fill.seconds.toFixed(1)} s (${n(Math.round(fill.inserted / fill.seconds))}/s)`
        : 'cached (--keep-store)',
    target: '',
    pass: null,
  });
  const server = await b.start({ dataDir, logFile }, 'start on the filled store');
  readyMeasure(b, `serve ready, existing store (${n(total)} certificates)`, server.readyMs);
  const t = target(server);
  const label = `DescribeCertificates, ${n(total)} rows`;
  for (const c of b.opts.connections) {
    await b.loadRow({ target: server, id: 'list-1m', label, connections: c, requests: () => req.listRequests(t) });
  }
  await b.stop(server);
}
