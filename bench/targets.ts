// The performance targets of the benchmark issue, in one place: which row or measurement each applies to, and
// whether it is met. A row with any error never passes.

import type { LoadRow } from './report.js';

/** Share of the baseline's requests per second, at the same connection count. */
const SHARE_OF_BASELINE: Record<string, number> = {
  describe: 0.5,
  'submit-parse-tc3': 0.35,
  'submit-parse-hmac': 0.35,
  'submit-online-ecdsa': 0.25,
  create: 0.35,
};

/** p99 limits in ms, and the connection count they apply at (undefined: every count). */
const P99_MS: Record<string, { ms: number; connections?: number }> = {
  describe: { ms: 25, connections: 64 },
  'submit-parse-tc3': { ms: 25, connections: 64 },
  'submit-parse-hmac': { ms: 25, connections: 64 },
  'burst-describe': { ms: 50 },
  'list-1m': { ms: 20 },
};

export const RSA_SHARE_OF_KEYGEN = 0.9;
export const PEAK_RSS_MB = 250;
export const READY_MS = 1500;

export interface TargetContext {
  /** baseline rps by connection count */
  baseline: Map<number, number>;
  /** raw RSA-2048 keys per second on all cores */
  keygenPerSecond: number | null;
}

/** Fills in vsBaseline, target and pass of every row. */
export function applyTargets(rows: LoadRow[], ctx: TargetContext): void {
  for (const row of rows) {
    const base = ctx.baseline.get(row.connections);
    row.vsBaseline = base && row.id !== 'baseline' ? row.rps / base : null;
    // each part of the row's target, and whether it holds (null: nothing to compare against)
    const checks: Array<[string, boolean | null]> = [];
    const share = SHARE_OF_BASELINE[row.id];
    if (share !== undefined) {
      checks.push([`>= ${share * 100}% base`, row.vsBaseline === null ? null : row.vsBaseline >= share]);
    }
    const p99 = P99_MS[row.id];
    if (p99 && (p99.connections === undefined || p99.connections === row.connections)) {
      checks.push([`p99 < ${p99.ms} ms`, row.p99Ms < p99.ms]);
    }
    if (row.id === 'submit-online-rsa') {
      checks.push([
        `>= ${RSA_SHARE_OF_KEYGEN * 100}% keygen`,
        ctx.keygenPerSecond === null ? null : row.rps >= RSA_SHARE_OF_KEYGEN * ctx.keygenPerSecond,
      ]);
    }
    if (row.id === 'burst-rsa') checks.push(['no error', row.errors === 0]);
    else if (checks.length > 0 && row.errors > 0) checks.push(['no error', false]);
    const held = checks.map(([, ok]) => ok);
    const missed = checks.filter(([, ok]) => ok === false).map(([part]) => part);
    row.target = checks.map(([part]) => part).join(', ');
    row.pass = held.includes(false) ? false : held.length === 0 || held.includes(null) ? null : true;
    row.missedParts = missed.length < checks.length ? missed : [];
  }
}
