// `npm run bench` (never part of `npm test`): reads the flags, builds, runs the scenarios against the compiled server
// on temporary SQLite stores, then prints the report against the targets and writes it to bench/results/latest.json.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type GeneratorName, pickGenerator } from './load.js';
import { describeMachine, formatReport, type Report, writeReport } from './report.js';
import { FILL_STORE, mainScenarios, millionScenario } from './scenarios.js';
import { buildBundle, ROOT } from './server.js';
import { log, Session, type SessionOptions } from './session.js';
import { applyTargets, PEAK_RSS_MB } from './targets.js';

const HELP = `usage: npm run bench -- [options]
  --duration S        seconds measured per scenario (default 10)
  --warmup S          seconds of unmeasured load before each (default 2)
  --connections LIST  connection counts (default 32,64)
  --only LIST         scenario id prefixes: baseline, describe, submit-parse, submit-online, create, keygen,
                      burst, list-1m (e.g. --only describe,submit-parse)
  --skip-fill         leave out DescribeCertificates on the filled store
  --keep-store        keep the filled store in ${FILL_STORE} and reuse it next time
  --fill-count N      certificates in the filled store (default 1000000)
  --rsa-pool-size N   TCSSL_RSA_POOL_SIZE of the server under the online RSA burst (default 128)
  --threads N         wrk threads (default 2)
  --generator NAME    wrk or autocannon (default: wrk when installed, else autocannon)
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

function usage(problem?: string): never {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stdout.write(`${HELP}\n`);
  process.exit(problem ? 2 : 0);
}

if (flags.help) usage();
const opts: SessionOptions = {
  duration: Number(flags.duration),
  warmup: Number(flags.warmup),
  connections: flags.connections.split(',').map(Number),
  only: flags.only?.split(',').map((s) => s.trim()),
  fillCount: Number(flags['fill-count']),
  rsaPoolSize: Number(flags['rsa-pool-size']),
  keepStore: flags['keep-store'],
  skipFill: flags['skip-fill'],
  cpuProf: flags['cpu-prof'],
  out: flags.out,
};
const threads = Number(flags.threads);
const numbers = [opts.duration, opts.warmup, opts.fillCount, opts.rsaPoolSize, threads, ...opts.connections];
if (!numbers.every((n) => Number.isFinite(n) && n >= 0) || opts.duration <= 0 || opts.connections.includes(0)) {
  usage('durations, counts and connections must be numbers, and duration and connections above 0');
}
if (flags.generator && flags.generator !== 'wrk' && flags.generator !== 'autocannon') {
  usage('--generator is wrk or autocannon');
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const gen = pickGenerator(flags.generator as GeneratorName | undefined, threads);
  log(`${machine.cpu}, ${machine.cores} cores; load average ${machine.loadavgStart.join(', ')}; ${gen.version}`);
  if (!flags['skip-build']) buildBundle();
  const b = new Session(opts, gen, mkdtempSync(join(tmpdir(), 'tcssl-bench-')));
  const cleanup = async () => {
    await b.stopAll();
    rmSync(b.work, { recursive: true, force: true });
  };
  // The servers are separate processes and outlive this one: every way out goes through cleanup.
  const abort = (code: number) => () => void cleanup().finally(() => process.exit(code));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, abort(130));
  // A closed pipe (`npm run bench | head`) is EPIPE on the next write, not a signal.
  process.stdout.once('error', abort(1));
  process.stderr.once('error', abort(1));
  process.once('uncaughtException', (e) => {
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    abort(1)();
  });
  try {
    // A group runs when any of its scenarios is selected: `--only submit-parse` needs the main store.
    const groups = ['baseline', 'describe', 'submit', 'create', 'keygen', 'burst'];
    if (groups.some((g) => b.selected(g) || opts.only?.some((p) => p.startsWith(g)))) await mainScenarios(b);
    if (b.selected('list-1m') && !opts.skipFill) await millionScenario(b);
  } finally {
    await cleanup();
  }

  applyTargets(b.rows, { baseline: b.baseline, keygenPerSecond: b.keygenPerSecond });
  b.measures.push({
    label: 'peak RSS of tcssl during the run',
    value: `${b.serverPeakMb.toFixed(0)} MB`,
    target: `< ${PEAK_RSS_MB} MB`,
    pass: b.serverPeakMb > 0 ? b.serverPeakMb < PEAK_RSS_MB : null,
  });
  machine.loadavgEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    generator: gen.version,
    options: { ...opts, threads },
    rows: b.rows,
    measures: b.measures,
    ...(b.profile ? { profile: b.profile } : {}),
  };
  process.stdout.write(`\n${formatReport(report)}\n`);
  const out = resolve(flags.out);
  writeReport(out, report);
  log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
