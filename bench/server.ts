// Starts and stops the processes under test (the compiled `tcssl serve`, the bare baseline) and reads what /proc
// says about them: memory high-water mark and CPU time. Knows no scenario.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { call } from '../src/cli/client.js';
import type { Credentials } from './requests.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'tcssl.mjs');
const BASELINE = join(ROOT, 'bench', 'baseline.ts');

/**
 * The first signed call of the readiness check: a list filtered to one id, which the primary key answers, so its cost
 * does not grow with the store and the time measured is the start-up itself.
 */
const READY_PROBE = { CertIds: ['00000000'], Limit: 1 };

export interface Running {
  pid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface TcsslProcess extends Running {
  creds: Credentials;
  /** spawn to the first signed call answered without an Error, ms */
  readyMs: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '';
}

export interface TcsslOptions {
  dataDir: string;
  /** serve's stdout and stderr go here */
  logFile: string;
  env?: Record<string, string>;
  /** write a V8 CPU profile of the whole process life into this directory */
  cpuProfDir?: string;
  /** the bundle to run instead of dist/tcssl.mjs (bench/floor.ts runs altered copies) */
  cli?: string;
}

/**
 * `node dist/tcssl.mjs serve` as a user runs it (`npm start`): production log level (warn) and, by configuration, no rate limits.
 * Ready means a signed call was answered without an Error; a first start on an empty store writes credentials.json.
 */
export async function startTcssl(o: TcsslOptions): Promise<TcsslProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(o.logFile, 'a');
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const serveArgs = ['serve', '--data', o.dataDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'];
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, o.cli ?? CLI, ...serveArgs, '--no-rate-limit'], {
    cwd: ROOT,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const stop = stopper(child);
  try {
    return await whenReady();
  } catch (e) {
    // Whatever stopped the wait (an error answered, a file unreadable), the server does not outlive it.
    await stop();
    throw e;
  }

  async function whenReady(): Promise<TcsslProcess> {
    const credsFile = join(o.dataDir, 'credentials.json');
    let creds: Credentials | undefined;
    while (performance.now() - started < 120_000) {
      if (child.exitCode !== null) throw new Error(`tcssl serve exited with ${child.exitCode}:\n${tail(o.logFile)}`);
      if (!creds && existsSync(credsFile)) creds = JSON.parse(readFileSync(credsFile, 'utf8')) as Credentials;
      if (creds) {
        const { SecretId: secretId, SecretKey: secretKey } = creds;
        const r = await call({
          endpoint: url,
          secretId,
          secretKey,
          action: 'DescribeCertificates',
          params: READY_PROBE,
        })
          .then((res) => res.body as { Response?: { Error?: unknown } })
          .catch(() => undefined);
        if (r?.Response && !r.Response.Error) {
          return { pid: child.pid ?? 0, port, url, creds, readyMs: performance.now() - started, stop };
        }
        if (r?.Response?.Error) throw new Error(`tcssl answered ${JSON.stringify(r.Response.Error)}`);
      }
      await sleep(5);
    }
    throw new Error(`tcssl serve was not ready within 120 s:\n${tail(o.logFile)}`);
  }
}

/** `npm run build`: dist/tcssl.mjs as users run it. */
export function buildBundle(): void {
  process.stderr.write('bench: npm run build\n');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/** The bare node:http server answering `bytes` of JSON. */
export async function startBaseline(bytes: number): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', BASELINE, '--port', String(port), '--bytes', String(bytes)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
  });
  return { pid: child.pid ?? 0, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

function statusField(pid: number, field: string): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  // /proc's "kB" are KiB; the targets are in MB.
  return m ? (Number(m[1]) * 1024) / 1e6 : Number.NaN;
}

/** Peak resident set size (VmHWM) in MB: since the last resetPeak, or since start. */
export function peakRssMb(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** Resets VmHWM to the current RSS (Linux >= 4.0, same user), so the next peak belongs to one scenario. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User plus system CPU time of every thread of the process, seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that ends the command name; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy CPU time of the whole machine (every core; steal included, as time this run did not get), seconds. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
}

/** CPU time of this process and of its children that have exited (wrk, autocannon, burst), seconds. */
export function harnessCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/**
 * Waits until the process uses under 5% of one core over half a second: after a start the key pools fill in the
 * background, and a scenario measured meanwhile would share the CPU with them.
 */
export async function waitIdle(pid: number, maxMs = 120_000, idleCpuS = 0.025): Promise<number> {
  const start = performance.now();
  let last = cpuSeconds(pid);
  while (performance.now() - start < maxMs) {
    await sleep(500);
    const now = cpuSeconds(pid);
    if (now - last < idleCpuS) break;
    last = now;
  }
  return performance.now() - start;
}
