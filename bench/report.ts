// The benchmark's output: the machine, one table row per load run and one line per other measurement, each with its
// target and pass/fail, printed as text and written as JSON. Knows nothing of how the numbers were measured.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { LoadResult } from './load.js';
import type { ProfileSummary } from './profile.js';

export interface LoadRow extends LoadResult {
  id: string;
  label: string;
  /** 0 for an open-loop run (the burst), which sends at a fixed rate whatever the answers take */
  connections: number;
  /** the server's VmHWM over this run, MB */
  peakRssMb: number | null;
  /** share of all cores that other processes used during this row (another test suite, say) */
  othersCpuShare: number;
  /** the server's CPU time per answered request, µs: unlike req/s, barely moved by other load on the machine */
  cpuUsPerRequest?: number | null;
  /** rps over the baseline's at the same connection count */
  vsBaseline: number | null;
  target: string;
  /** null: no target, or nothing to compare against */
  pass: boolean | null;
  /** the parts of its target that the row missed while it met the others (empty otherwise) */
  missedParts?: string[];
}

export interface Measure {
  label: string;
  value: string;
  target: string;
  pass: boolean | null;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  kernel: string;
  loadavgStart: number[];
  loadavgEnd?: number[];
}

export interface Report {
  startedAt: string;
  finishedAt?: string;
  machine: Machine;
  generator: string;
  options: Record<string, unknown>;
  rows: LoadRow[];
  measures: Measure[];
  /** the server's CPU profile, summarised, when --cpu-prof */
  profile?: ProfileSummary;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadavgStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => (n < 10 ? fmt(n, 2) : n < 100 ? fmt(n, 1) : fmt(n));
/** Below this many answers per connection, a closed-loop run's latencies miss its slowest requests. */
const FEW_ANSWERS = 5;
const fewAnswers = (row: LoadRow) => row.connections > 0 && row.requests < FEW_ANSWERS * row.connections;
const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? 'PASS' : 'FAIL');

export function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Above this share of the cores taken by other processes during a row, the row was measured on a shared machine. */
const SHARED = 0.1;

/** Load average counts this run's own processes; what the others used during the rows says whether it was shared. */
function sharing(rows: LoadRow[]): string {
  if (rows.length === 0) return '';
  const shares = rows.map((row) => row.othersCpuShare);
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  const max = Math.max(...shares);
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return (
    `other processes used ${pct(mean)} of the cores on average during the rows, ${pct(max)} at most` +
    (max > SHARED ? `: the machine was shared, and rows with a high 'others' read low` : ': the machine was quiet')
  );
}

export function formatReport(r: Report): string {
  const m = r.machine;
  const out = [
    `tcssl benchmark, ${r.startedAt}`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Linux ${m.kernel}, Node ${m.node}`,
    `generator: ${r.generator}`,
    `load average (1, 5, 15 min): ${m.loadavgStart.join(', ')} at the start` +
      (m.loadavgEnd ? `, ${m.loadavgEnd.join(', ')} at the end (this run alone keeps it near 2-3)` : ''),
    sharing(r.rows),
    '',
    table(
      [
        'scenario',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'wrk p99',
        'errors',
        'RSS MB',
        'others',
        'CPU us',
        'x base',
        'target',
        '',
      ],
      r.rows.map((row) => [
        row.label,
        row.connections > 0 ? String(row.connections) : 'open',
        fmt(row.rps),
        // max is a recorded sample either way: wrk's correction only adds samples below the ones it copies
        ...[row.p50Ms, row.p99Ms, row.maxMs].map(
          (x, i) => `${ms(x)}${fewAnswers(row) ? '*' : ''}${row.latencyFrom === 'wrk' && i < 2 ? '!' : ''}`,
        ),
        row.wrkP99Ms === undefined ? '-' : ms(row.wrkP99Ms),
        fmt(row.errors),
        fmt(row.peakRssMb),
        `${fmt(row.othersCpuShare * 100)}%`,
        row.cpuUsPerRequest == null ? '-' : fmt(row.cpuUsPerRequest),
        row.vsBaseline === null ? '-' : `${fmt(row.vsBaseline * 100)}%`,
        row.target,
        row.missedParts?.length ? `FAIL: ${row.missedParts.join(', ')}` : verdict(row.pass),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ),
  ];
  out.push(
    "  RSS: the server process's peak during the row (VmHWM); others: share of all cores used meanwhile by processes",
    "  outside this run; CPU us: the server's CPU time per request (microseconds), which other load on the machine",
    "  barely moves; x base: req/s over the baseline's at the same connection count.",
    "  p50, p99, max: the requests' own latencies. wrk p99: wrk's figure, which its coordinated-omission correction",
    '  raises with samples no request had (bench/README.md, "wrk\'s latency percentiles"); targets use the first.',
  );
  const unread = r.rows.filter((row) => row.latencyFrom === 'wrk');
  if (unread.length > 0) {
    out.push(
      `  !: wrk's corrected figures: its recorded histogram could not be read back (${[...new Set(unread.map((row) => row.latencyNote || 'no reason given'))].join('; ')}).`,
    );
  }
  if (r.rows.some(fewAnswers)) {
    out.push(
      `  *: under ${FEW_ANSWERS} answers per connection. Latencies cover answered requests only, and the slowest were`,
      "  still waiting when the run ended, so these read low (by Little's law the mean is connections / req/s).",
    );
  }
  if (r.measures.length > 0) {
    out.push(
      '',
      table(
        ['measurement', 'value', 'target', ''],
        r.measures.map((x) => [x.label, x.value, x.target, verdict(x.pass)]),
        new Set([1]),
      ),
    );
  }
  const samples = r.rows.filter((row) => row.errorSample);
  for (const row of samples) out.push(`  first error of ${row.label} @${row.connections}: ${row.errorSample}`);
  if (r.profile) {
    out.push('', 'top self-time frames of the tcssl server (CPU profile):');
    for (const p of r.profile.self) out.push(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.frame}`);
    out.push('', "tcssl's own frames by total time (self and callees):");
    for (const p of r.profile.total) out.push(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.frame}`);
    if (r.profile.file)
      out.push('', `flame graph: load ${r.profile.file} in Chrome DevTools (Performance) or speedscope`);
  }
  const all = [...r.rows.map((x) => x.pass), ...r.measures.map((x) => x.pass)].filter((p) => p !== null);
  out.push('', `targets: ${all.filter(Boolean).length} of ${all.length} met`);
  return out.join('\n');
}

export function writeReport(file: string, r: Report): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}
