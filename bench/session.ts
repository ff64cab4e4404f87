// One benchmark run's state and primitives: the processes it started, the rows and measurements so far, the servers'
// peak memory, and how one row is measured. Scenarios (scenarios.ts) are written in these terms.

import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Generator, LoadResult } from './load.js';
import type { ProfileSummary } from './profile.js';
import type { LoadRow, Measure } from './report.js';
import type { PresignedRequest } from './requests.js';
import {
  cpuSeconds,
  harnessCpuSeconds,
  machineBusySeconds,
  peakRssMb,
  ROOT,
  type Running,
  resetPeak,
  startTcssl,
  type TcsslOptions,
  type TcsslProcess,
  waitIdle,
} from './server.js';

export interface SessionOptions {
  duration: number;
  warmup: number;
  connections: number[];
  only?: string[];
  fillCount: number;
  rsaPoolSize: number;
  keepStore: boolean;
  skipFill: boolean;
  cpuProf: boolean;
  /** the JSON report's path; the CPU profile is copied beside it */
  out: string;
}

export interface RowSpec {
  target: Running;
  id: string;
  label: string;
  connections: number;
  /** signs a fresh set (valid 5 minutes) for each run */
  requests: () => PresignedRequest[];
  /** the target is a tcssl server, whose peak counts against the memory target */
  tcssl?: boolean;
  /** false: no warm-up, the measured run starts from an idle server (the online RSA row) */
  warmup?: boolean;
  /** corrects the generator's result before it is recorded */
  adjust?: (r: LoadResult) => LoadResult;
  /** seconds measured, instead of --duration */
  durationS?: number;
}

export const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

export class Session {
  readonly rows: LoadRow[] = [];
  readonly measures: Measure[] = [];
  readonly baseline = new Map<number, number>();
  readonly running = new Set<Running>();
  keygenPerSecond: number | null = null;
  /** highest VmHWM of any tcssl process, MB */
  serverPeakMb = 0;
  profile?: ProfileSummary;

  constructor(
    readonly opts: SessionOptions,
    readonly gen: Generator,
    /** temporary directory for stores, logs and request files */
    readonly work: string,
  ) {}

  /** CPU seconds per half second under which a server counts as idle: a profiled one never quite is (V8's profiler
   * thread alone takes a few percent of a core). */
  get idleCpuS(): number {
    return this.opts.cpuProf ? 0.1 : 0.025;
  }

  selected(id: string): boolean {
    return !this.opts.only || this.opts.only.some((p) => id.startsWith(p));
  }

  /** A tcssl process's peak so far; read before every reset and stop, so no peak is lost. */
  trackPeak(p: Running): number {
    const mb = peakRssMb(p.pid);
    if (!Number.isNaN(mb)) this.serverPeakMb = Math.max(this.serverPeakMb, mb);
    return mb;
  }

  async start(o: TcsslOptions, what: string): Promise<TcsslProcess> {
    const p = await startTcssl(o);
    this.running.add(p);
    log(`${what}: tcssl ready in ${p.readyMs.toFixed(0)} ms (pid ${p.pid}, port ${p.port})`);
    return p;
  }

  async stop(p: Running, tcssl = true): Promise<void> {
    if (tcssl) this.trackPeak(p);
    await p.stop();
    this.running.delete(p);
  }

  async stopAll(): Promise<void> {
    for (const p of [...this.running]) await this.stop(p, false).catch(() => {});
  }

  /**
   * One row: the target idle (key pools full), a warm-up whose leftover requests are left to finish, the peak reset,
   * then the measured run.
   */
  async loadRow(s: RowSpec): Promise<LoadRow> {
    const tcssl = s.tcssl ?? true;
    const spec = { url: s.target.url, connections: s.connections, requestsFile: join(this.work, `${s.id}.requests`) };
    await waitIdle(s.target.pid, undefined, this.idleCpuS);
    if ((s.warmup ?? true) && this.opts.warmup > 0) {
      await this.gen.run({ ...spec, durationS: this.opts.warmup, requests: s.requests() });
      await waitIdle(s.target.pid, undefined, this.idleCpuS);
    }
    if (tcssl) this.trackPeak(s.target);
    resetPeak(s.target.pid);
    const cpu = this.cpuWatch([s.target.pid]);
    const cpu0 = cpuSeconds(s.target.pid);
    const raw = await this.gen.run({ ...spec, durationS: s.durationS ?? this.opts.duration, requests: s.requests() });
    const cpuUsPerRequest = raw.requests > 0 ? ((cpuSeconds(s.target.pid) - cpu0) * 1e6) / raw.requests : null;
    const result = s.adjust ? s.adjust(raw) : raw;
    const peak = tcssl ? this.trackPeak(s.target) : peakRssMb(s.target.pid);
    const row = this.addRow(s.id, s.label, s.connections, result, peak, cpu());
    row.cpuUsPerRequest = cpuUsPerRequest;
    return row;
  }

  /**
   * Starts watching the CPU; the returned function gives the share of the machine's cores that processes other than
   * this run's (the servers in `pids`, this harness, its load generators) used meanwhile. Above a few percent, the
   * row was measured on a shared machine.
   */
  cpuWatch(pids: number[]): () => number {
    const server = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const [machine0, ours0, started] = [machineBusySeconds(), server() + harnessCpuSeconds(), performance.now()];
    return () => {
      const others = machineBusySeconds() - machine0 - (server() + harnessCpuSeconds() - ours0);
      const capacity = (availableParallelism() * (performance.now() - started)) / 1000;
      return Math.max(0, others / capacity);
    };
  }

  addRow(id: string, label: string, connections: number, r: LoadResult, peakMb: number, others: number): LoadRow {
    const row: LoadRow = {
      id,
      label,
      connections,
      ...r,
      peakRssMb: peakMb,
      othersCpuShare: others,
      vsBaseline: null,
      target: '',
      pass: null,
    };
    this.rows.push(row);
    log(
      `${label} @${connections || 'open loop'}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
        `p99 ${r.p99Ms.toFixed(2)} ms, ${r.errors} errors${r.errorSample ? ` (${r.errorSample.slice(0, 160)})` : ''}`,
    );
    return row;
  }

  /** Runs a bench/*.ts helper in its own process and returns the JSON after `marker` on its stdout. */
  child(args: string[], marker: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
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
        if (code === 0 && line) resolve(JSON.parse(line[1]));
        else reject(new Error(`${args[0]} exited with ${code}: ${out.slice(-300)}`));
      });
    });
  }
}
