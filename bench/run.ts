// `npm run bench` (never part of `npm test`): builds, runs the compiled server on temporary SQLite stores, drives each
// scenario with wrk (or autocannon) from another process, and reports every row against the issue's targets.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { call } from '../src/cli/client.js';
import { fillCertificates } from './fill.js';
import { type Generator, type GeneratorName, type LoadResult, pickGenerator } from './load.js';
import { topFrames } from './profile.js';
import { describeMachine, formatReport, type LoadRow, type Measure, type Report, writeReport } from './report.js';
import * as req from './requests.js';
import {
  peakRssMb,
  ROOT,
  type Running,
  resetPeak,
  startBaseline,
  startTcssl,
  type TcsslOptions,
  type TcsslProcess,
  waitIdle,
} from './server.js';
import { applyTargets, PEAK_RSS_MB, READY_MS } from './targets.js';

const HELP = `usage: npm run bench -- [options]
  --duration S        seconds measured per scenario (default 10)
  --warmup S          seconds of unmeasured load before each (default 2)
  --connections LIST  connection counts (default 32,64)
  --only LIST         scenario id prefixes: baseline, describe, submit-parse, submit-online, create, burst, list-1m
  --skip-fill         leave out DescribeCertificates on the filled store
  --keep-store        keep the filled store in ${join(tmpdir(), 'tcssl-bench-1m')} and reuse it next time
  --fill-count N      certificates in the filled store (default 1000000)
  --rsa-pool-size N   TCSSL_RSA_POOL_SIZE of the server under the online RSA burst (default 128)
  --threads N         wrk threads (default 2)
  --generator NAME    wrk or autocannon (default: wrk when installed)
  --skip-build        use dist/ as it is
  --cpu-prof          profile the server of the main scenarios and print its top frames
  --out FILE          the JSON report (default bench/results/latest.json)`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32,64' },
    only: { type: 'string' },
    'skip-fill': { type: 'boolean', default: false },
    'keep-store': { type: 'boolean', default: false },
    'fill-count': { type: 'string', default: '1000000' },
    'rsa-pool-size': { type: 'string', default: '128' },
    threads: { type: 'string', default: '2' },
    generator: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'latest.json') },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const opts = {
  duration: Number(flags.duration),
  warmup: Number(flags.warmup),
  connections: flags.connections.split(',').map(Number),
  only: flags.only?.split(',').map((s) => s.trim()),
  skipFill: flags['skip-fill'],
  keepStore: flags['keep-store'],
  fillCount: Number(flags['fill-count']),
  rsaPoolSize: Number(flags['rsa-pool-size']),
  threads: Number(flags.threads),
  generator: flags.generator as GeneratorName | undefined,
  cpuProf: flags['cpu-prof'],
  out: resolve(flags.out),
};
if (
  ![opts.duration, opts.warmup, opts.fillCount, opts.rsaPoolSize, opts.threads, ...opts.connections].every(
    Number.isFinite,
  )
) {
  process.stderr.write(`bench: every number must be a number\n${HELP}\n`);
  process.exit(2);
}

/** Submit may repeat on an order while it waits; a few orders per scenario spread the row locks. */
const ORDERS_PER_SCENARIO = 16;

const selected = (id: string) => !opts.only || opts.only.some((p) => id.startsWith(p));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const rows: LoadRow[] = [];
const measures: Measure[] = [];
const baseline = new Map<number, number>();
const running = new Set<Running>();
let keygenPerSecond: number | null = null;
let serverPeakMb = 0;
let profile: Report['profile'];

/** The tcssl servers' peak RSS so far, read before every reset and stop so that no peak is lost. */
function trackPeak(p: Running): number {
  const mb = peakRssMb(p.pid);
  if (!Number.isNaN(mb)) serverPeakMb = Math.max(serverPeakMb, mb);
  return mb;
}

async function start(o: TcsslOptions, what: string): Promise<TcsslProcess> {
  const p = await startTcssl(o);
  running.add(p);
  log(`${what}: tcssl ready in ${p.readyMs.toFixed(0)} ms (pid ${p.pid}, port ${p.port})`);
  return p;
}

async function stop(p: Running, tcssl = true): Promise<void> {
  if (tcssl) trackPeak(p);
  await p.stop();
  running.delete(p);
}

function build(): void {
  log('npm run build');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

async function signedCall(t: req.Target, action: string, params: Record<string, unknown>) {
  const r = await call({
    endpoint: `http://${t.host}:${t.port}`,
    secretId: t.creds.SecretId,
    secretKey: t.creds.SecretKey,
    action,
    params,
  });
  const body = r.body as { Response: Record<string, unknown> & { Error?: unknown } };
  if (body.Response.Error) throw new Error(`${action}: ${JSON.stringify(body.Response.Error)}`);
  return body;
}

/** Paid DV orders in status 5 (waiting for information), made through the API. */
async function createOrders(t: req.Target, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = await signedCall(t, 'CreateCertificate', { ProductId: 48, DomainNum: 1, TimeSpan: 1 });
    ids.push(...(body.Response.CertificateIds as string[]));
  }
  return ids;
}

/**
 * Benchmark-only setup: no product orders an EC-P256 key through CreateCertificate, so the ECDSA orders get their
 * key spec written into the store directly (the server reads it from the row on every Submit).
 */
function setKeySpec(dataDir: string, ids: string[], spec: string): void {
  const db = new Database(join(dataDir, 'tcssl.db'));
  db.pragma('busy_timeout = 5000');
  const update = db.prepare('update certificates set key_spec = ? where certificate_id = ?');
  db.transaction(() => {
    for (const id of ids) update.run(spec, id);
  })();
  db.close();
}

/** One measured load run: idle server, warm-up, reset of the RSS peak, then the measured run. */
async function loadRow(
  target: Running,
  id: string,
  label: string,
  connections: number,
  requests: () => req.PresignedRequest[],
  gen: Generator,
  work: string,
  tcssl = true,
): Promise<LoadRow> {
  await waitIdle(target.pid);
  const spec = { url: target.url, connections, requestsFile: join(work, `${id}.requests`) };
  if (opts.warmup > 0) await gen.run({ ...spec, durationS: opts.warmup, requests: requests() });
  if (tcssl) trackPeak(target);
  resetPeak(target.pid);
  const result = await gen.run({ ...spec, durationS: opts.duration, requests: requests() });
  const row = addRow(id, label, connections, result, tcssl ? trackPeak(target) : peakRssMb(target.pid));
  return row;
}

function addRow(id: string, label: string, connections: number, r: LoadResult, peakMb: number): LoadRow {
  const row: LoadRow = { id, label, connections, ...r, peakRssMb: peakMb, vsBaseline: null, target: '', pass: null };
  rows.push(row);
  log(
    `${label} @${connections}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ` +
      `${r.errors} errors${r.errorSample ? ` (${r.errorSample.slice(0, 160)})` : ''}`,
  );
  return row;
}

function childJson(args: string[], marker: string): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('close', (code) => {
      const line = out.match(new RegExp(`^${marker} (.*)$`, 'm'));
      if (code === 0 && line) resolvePromise(JSON.parse(line[1]));
      else reject(new Error(`${args[0]} exited with ${code}: ${out.slice(-300)}`));
    });
  });
}

async function runKeygen(): Promise<void> {
  log(`raw RSA-2048 key generation for ${opts.duration} s`);
  const r = (await childJson([join(ROOT, 'bench', 'keygen.ts'), String(opts.duration)], 'BENCH_KEYGEN')) as {
    keys: number;
    keysPerSecond: number;
    cores: number;
  };
  keygenPerSecond = r.keysPerSecond;
  measures.push({
    label: `raw RSA-2048 keygen, generateKeyPair on ${r.cores} cores`,
    value: `${r.keysPerSecond.toFixed(1)} keys/s (${r.keys} keys)`,
    target: '',
    pass: null,
  });
}

function readyMeasure(label: string, ms: number): void {
  measures.push({ label, value: `${ms.toFixed(0)} ms`, target: `< ${READY_MS} ms`, pass: ms < READY_MS });
}

/** 20 online RSA Submits a second against a server with TCSSL_RSA_POOL_SIZE keys ready, under a Describe load. */
async function runBurst(gen: Generator, work: string, dataDir: string, ids: string[], describeIds: string[]) {
  const pool = opts.rsaPoolSize;
  const server = await start(
    { dataDir, logFile: join(work, 'serve.log'), env: { TCSSL_RSA_POOL_SIZE: String(pool) } },
    `burst server (TCSSL_RSA_POOL_SIZE=${pool})`,
  );
  const fillMs = await waitIdle(server.pid, 600_000);
  log(`key pool of ${pool} filled in ${(fillMs / 1000).toFixed(1)} s`);
  const t: req.Target = { host: '127.0.0.1', port: server.port, creds: server.creds };
  const connections = opts.connections[0];
  const spec = { url: server.url, connections, requestsFile: join(work, 'burst-describe.requests') };
  if (opts.warmup > 0)
    await gen.run({ ...spec, durationS: opts.warmup, requests: req.describeRequests(t, describeIds) });
  await waitIdle(server.pid);
  trackPeak(server);
  resetPeak(server.pid);
  const burstFile = join(work, 'burst.json');
  const rate = 20;
  writeFileSync(
    burstFile,
    JSON.stringify({
      url: server.url,
      ratePerSecond: rate,
      durationS: opts.duration,
      timeoutS: 30,
      requests: req.submitOnlineRequests(t, ids),
    }),
  );
  const [burst, describe] = await Promise.all([
    childJson([join(ROOT, 'bench', 'burst.ts'), burstFile], 'BENCH_RESULT').then((raw) => parseBurst(raw)),
    gen.run({ ...spec, durationS: opts.duration, requests: req.describeRequests(t, describeIds) }),
  ]);
  const peak = trackPeak(server);
  addRow('burst-rsa', `Submit online RSA burst ${rate}/s, pool ${pool}`, 1, burst, peak);
  addRow('burst-describe', 'DescribeCertificate during the burst', connections, describe, peak);
  await stop(server);
}

function parseBurst(raw: unknown): LoadResult {
  const r = raw as {
    requests: number;
    durationUs: number;
    p50Us: number;
    p99Us: number;
    maxUs: number;
    appErrors: number;
  };
  const durationS = r.durationUs / 1e6;
  return {
    requests: r.requests,
    durationS,
    rps: r.requests / durationS,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    maxMs: r.maxUs / 1000,
    errors: r.appErrors,
  };
}

/** Everything on a fresh store: baseline, Describe, Submit (parse, online), Create, keygen and the RSA burst. */
async function mainScenarios(gen: Generator, work: string): Promise<void> {
  const dataDir = join(work, 'store');
  const logFile = join(work, 'serve.log');
  await stop(await start({ dataDir, logFile }, 'first start on an empty store'));
  const cpuProfDir = opts.cpuProf ? join(work, 'cpu-prof') : undefined;
  const server = await start({ dataDir, logFile, cpuProfDir }, 'start on the existing store');
  readyMeasure('serve ready, existing store (few rows)', server.readyMs);
  await waitIdle(server.pid);
  const t: req.Target = { host: '127.0.0.1', port: server.port, creds: server.creds };
  const orders: Record<string, string[]> = {};
  for (const kind of ['describe', 'parse-tc3', 'parse-hmac', 'online-rsa', 'online-ecdsa', 'burst']) {
    orders[kind] = await createOrders(t, ORDERS_PER_SCENARIO);
  }
  setKeySpec(dataDir, orders['online-ecdsa'], 'EC-P256');
  const describeBody = await signedCall(t, 'DescribeCertificate', { CertificateId: orders.describe[0] });
  const bytes = Buffer.byteLength(JSON.stringify(describeBody));

  const main: Array<[string, string, () => req.PresignedRequest[], number[]]> = [
    ['describe', 'DescribeCertificate (TC3)', () => req.describeRequests(t, orders.describe), opts.connections],
    [
      'submit-parse-tc3',
      'Submit parse (TC3)',
      () => req.submitParseRequests(t, orders['parse-tc3'], 'TC3-HMAC-SHA256'),
      opts.connections,
    ],
    [
      'submit-parse-hmac',
      'Submit parse (HmacSHA256)',
      () => req.submitParseRequests(t, orders['parse-hmac'], 'HmacSHA256'),
      opts.connections,
    ],
    [
      'submit-online-ecdsa',
      'Submit online ECDSA P-256',
      () => req.submitOnlineRequests(t, orders['online-ecdsa']),
      opts.connections,
    ],
    [
      'submit-online-rsa',
      'Submit online RSA-2048',
      () => req.submitOnlineRequests(t, orders['online-rsa']),
      opts.connections.slice(0, 1),
    ],
    ['create', 'CreateCertificate', () => req.createRequests(t), opts.connections],
  ];
  const wanted = main.filter(([id]) => selected(id));
  if (wanted.length > 0 || selected('baseline')) {
    const bare = await startBaseline(bytes);
    running.add(bare);
    for (const c of opts.connections) {
      const row = await loadRow(
        bare,
        'baseline',
        `baseline node:http, ${bytes} B`,
        c,
        () => req.describeRequests(t, orders.describe),
        gen,
        work,
        false,
      );
      baseline.set(c, row.rps);
    }
    await stop(bare, false);
  }
  for (const [id, label, requests, counts] of wanted) {
    for (const c of counts) await loadRow(server, id, label, c, requests, gen, work);
  }
  await stop(server);
  if (opts.cpuProf && cpuProfDir) profile = topFrames(cpuProfDir, ROOT);
  if (selected('submit-online-rsa') || selected('burst') || selected('keygen')) await runKeygen();
  if (selected('burst')) await runBurst(gen, work, dataDir, orders.burst, orders.describe);
}

/** DescribeCertificates' first page on a store of opts.fillCount certificates, filled once (cached with --keep-store). */
async function millionScenario(gen: Generator, work: string): Promise<void> {
  const dataDir = opts.keepStore ? join(tmpdir(), 'tcssl-bench-1m') : join(work, 'store-1m');
  const logFile = join(work, 'serve-1m.log');
  const credsFile = join(dataDir, 'credentials.json');
  if (!existsSync(credsFile)) await stop(await start({ dataDir, logFile }, 'first start of the fill store'));
  const { Uin } = JSON.parse(readFileSync(credsFile, 'utf8')) as req.Credentials;
  log(`filling ${dataDir} to ${opts.fillCount.toLocaleString('en-US')} certificates`);
  const fill = fillCertificates(join(dataDir, 'tcssl.db'), Uin, opts.fillCount);
  const total = fill.existing + fill.inserted;
  measures.push({
    label: `fill to ${total.toLocaleString('en-US')} certificates`,
    value:
      fill.inserted > 0
        ? `${fill.inserted.toLocaleString('en-US')} rows in ${fill.seconds.toFixed(1)} s ` +
          `(${Math.round(fill.inserted / fill.seconds).toLocaleString('en-US')} rows/s)`
        : 'cached (--keep-store)',
    target: '',
    pass: null,
  });
  const server = await start({ dataDir, logFile }, 'start on the filled store');
  readyMeasure(`serve ready, existing store (${total.toLocaleString('en-US')} certificates)`, server.readyMs);
  const t: req.Target = { host: '127.0.0.1', port: server.port, creds: server.creds };
  const label = `DescribeCertificates, ${(total / 1e6).toLocaleString('en-US')}M rows`;
  for (const c of opts.connections) await loadRow(server, 'list-1m', label, c, () => req.listRequests(t), gen, work);
  await stop(server);
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const gen = pickGenerator(opts.generator, opts.threads);
  log(`${machine.cpu}, ${machine.cores} cores; load average ${machine.loadavgStart.join(', ')}; ${gen.version}`);
  if (!flags['skip-build']) build();
  const work = mkdtempSync(join(tmpdir(), 'tcssl-bench-'));
  const cleanup = async () => {
    for (const p of [...running]) await p.stop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });
  try {
    const mainIds = ['baseline', 'describe', 'submit', 'create', 'burst', 'keygen'];
    // A group runs when any of its scenarios is selected: `--only submit-parse` needs the main store.
    if (mainIds.some((id) => selected(id) || opts.only?.some((p) => p.startsWith(id)))) await mainScenarios(gen, work);
    if (selected('list-1m') && !opts.skipFill) await millionScenario(gen, work);
  } finally {
    await cleanup();
  }
  applyTargets(rows, { baseline, keygenPerSecond });
  measures.push({
    label: 'peak RSS of tcssl during the run',
    value: `${serverPeakMb.toFixed(0)} MB`,
    target: `< ${PEAK_RSS_MB} MB`,
    pass: serverPeakMb > 0 ? serverPeakMb < PEAK_RSS_MB : null,
  });
  machine.loadavgEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    generator: gen.version,
    options: opts,
    rows,
    measures,
    ...(profile ? { profile } : {}),
  };
  process.stdout.write(`\n${formatReport(report)}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeReport(opts.out, report);
  log(`wrote ${opts.out}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(1);
  },
);
