// Drives a server with a load generator in its own process (wrk when installed, autocannon otherwise) and returns
// one result shape for both. Installs nothing: it only says what is missing.

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type PresignedRequest, writeRequestsFile } from './requests.js';

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  /** latencies of the requests as sent and answered (see latencyFrom) */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * 'recorded': the requests' own latencies; 'wrk': wrk's figures after its coordinated-omission correction, which
   * adds samples no request had (bench/wrk.lua), given only when the recorded histogram could not be read back
   */
  latencyFrom: 'recorded' | 'wrk';
  /** why the recorded histogram could not be read back, when it could not */
  latencyNote?: string;
  /** wrk's own p50 and p99 (corrected), beside the recorded ones; absent for autocannon, which corrects nothing */
  wrkP50Ms?: number;
  wrkP99Ms?: number;
  /** socket errors, timeouts, HTTP statuses other than 200 and envelopes with an Error */
  errors: number;
  /** the first failed answer, for the report */
  errorSample?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  requests: PresignedRequest[];
  /** a file the generator may read the requests from */
  requestsFile: string;
}

export type GeneratorName = 'wrk' | 'autocannon';

export interface Generator {
  name: GeneratorName;
  version: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk.lua', import.meta.url));
const AUTOCANNON_RUNNER = fileURLToPath(new URL('./autocannon.ts', import.meta.url));
/** Online RSA requests wait for key generation for seconds; neither generator may count them as timeouts. */
const TIMEOUT_S = 30;

function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return null;
  return (`${r.stdout}${r.stderr}`.match(/^wrk \S+/m)?.[0] ?? 'wrk').trim();
}

function autocannonVersion(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require('autocannon/package.json') as { version: string };
    return `autocannon ${pkg.version}`;
  } catch {
    return null;
  }
}

/** The preferred generator that is installed; `wanted` forces one. Throws a message that says what to install. */
export function pickGenerator(wanted: GeneratorName | undefined, threads: number): Generator {
  if (wanted !== 'autocannon') {
    const wrk = wrkVersion();
    if (wrk) return { name: 'wrk', version: wrk, run: (spec) => runWrk(spec, threads) };
    if (wanted === 'wrk') throw new Error('wrk is not installed: apt-get install -y wrk (Debian)');
  }
  const ac = autocannonVersion();
  if (!ac) {
    throw new Error(
      wanted === 'autocannon'
        ? 'autocannon is not installed: add it as a devDependency (npm i -D autocannon)'
        : 'no load generator: install wrk (apt-get install -y wrk on Debian) or add autocannon as a devDependency',
    );
  }
  if (wanted === undefined) {
    process.stderr.write(
      'bench: wrk is not installed (apt-get install -y wrk); falling back to autocannon, a Node load generator ' +
        'that takes more of the CPU from the server, so every row measures lower.\n',
    );
  }
  return { name: 'autocannon', version: ac, run: runAutocannon };
}

function collect(cmd: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${code}: ${(err || out).trim().slice(0, 500)}`));
    });
  });
}

/** What a generator reports, in microseconds and counts. */
export interface RawResult {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  appErrors: number;
  socketErrors: number;
  timeouts: number;
  /** wrk.lua only: where p50Us and p99Us come from, and wrk's corrected figures beside them */
  latencyFrom?: 'recorded' | 'wrk';
  latencyNote?: string;
  wrkP50Us?: number;
  wrkP99Us?: number;
}

export function fromRaw(raw: RawResult, sample: string | undefined): LoadResult {
  const durationS = raw.durationUs / 1e6;
  const errors = raw.appErrors + raw.socketErrors + raw.timeouts;
  return {
    requests: raw.requests,
    durationS,
    rps: raw.requests / durationS,
    p50Ms: raw.p50Us / 1000,
    p99Ms: raw.p99Us / 1000,
    maxMs: raw.maxUs / 1000,
    latencyFrom: raw.latencyFrom ?? 'recorded',
    ...(raw.latencyNote ? { latencyNote: raw.latencyNote } : {}),
    ...(raw.wrkP50Us !== undefined ? { wrkP50Ms: raw.wrkP50Us / 1000 } : {}),
    ...(raw.wrkP99Us !== undefined ? { wrkP99Ms: raw.wrkP99Us / 1000 } : {}),
    errors,
    ...(errors > 0 && sample ? { errorSample: sample } : {}),
  };
}

function parseResult(out: string): LoadResult {
  const line = out.match(/^BENCH_RESULT (.*)$/m);
  if (!line) throw new Error(`no result from the load generator:\n${out.slice(-500)}`);
  const sample = out.match(/^BENCH_SAMPLE (.*)$/m)?.[1]?.trim();
  return fromRaw(JSON.parse(line[1]) as RawResult, sample || undefined);
}

async function runWrk(spec: LoadSpec, threads: number): Promise<LoadResult> {
  writeRequestsFile(spec.requestsFile, spec.requests);
  const t = Math.max(1, Math.min(threads, spec.connections));
  const args = ['-t', String(t), '-c', String(spec.connections), '-d', `${spec.durationS}s`];
  args.push('--timeout', `${TIMEOUT_S}s`, '-s', WRK_SCRIPT, spec.url, '--', spec.requestsFile);
  // wrk.lua needs the connection count to undo wrk's correction of the histogram and the timeout to check its layout;
  // done() sees no init arguments
  const env = {
    ...process.env,
    TCSSL_BENCH_CONNECTIONS: String(spec.connections),
    TCSSL_BENCH_TIMEOUT_S: String(TIMEOUT_S),
  };
  return parseResult(await collect('wrk', args, (spec.durationS + TIMEOUT_S + 10) * 1000, env));
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const config = { ...spec, timeoutS: TIMEOUT_S };
  const file = `${spec.requestsFile}.json`;
  writeFileSync(file, JSON.stringify(config));
  const out = await collect(
    process.execPath,
    ['--import', 'tsx', AUTOCANNON_RUNNER, file],
    (spec.durationS + TIMEOUT_S + 20) * 1000,
  );
  return parseResult(out);
}
