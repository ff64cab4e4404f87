// Pre-fills a stopped server's SQLite store with up to N certificate orders of one account, fast: better-sqlite3
// directly, WAL, one prepared INSERT in transactions of 10,000 rows. Rows come from newOrderRow, so the column set
// follows the schema.

import Database from 'better-sqlite3';
import { newOrderRow } from '../src/orders/orders.js';
import { Status } from '../src/orders/status.js';

export interface FillResult {
  /** rows of the account before the fill */
  existing: number;
  inserted: number;
  seconds: number;
}

const BATCH = 10_000;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const YEAR_MS = 365 * 24 * 3600_000;

/** Row i's id: 8 letters and digits, as Tencent's (and newCertificateId's) look, unique by construction. */
function fillId(i: number): string {
  let id = '';
  for (let n = i + 62 ** 7; id.length < 8; n = Math.floor(n / 62)) id = ID_ALPHABET[n % 62] + id;
  return id;
}

/** A bar redrawn in place on a terminal; a line per tenth otherwise, so a log file stays readable. */
function progress(done: number, total: number, started: number): void {
  const share = total === 0 ? 1 : done / total;
  const tty = process.stderr.isTTY;
  if (!tty && Math.floor(share * 10) === Math.floor(((done - BATCH) / total) * 10)) return;
  const seconds = (performance.now() - started) / 1000;
  const rate = done / Math.max(seconds, 1e-3);
  const eta = rate > 0 ? (total - done) / rate : 0;
  const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const percent = `${(share * 100).toFixed(0).padStart(3)}%`;
  const text = `  fill [${bar}] ${percent} ${n(done)}/${n(total)}  ${n(rate)} rows/s  eta ${eta.toFixed(0)} s`;
  process.stderr.write(tty ? `\r${text} ` : `${text}\n`);
}

/**
 * Paid DV orders (product 48) waiting for their information (status 5), created over the past year, so that the
 * account holds `count` certificates. Each is exactly what CreateCertificate writes, less its operation-log entry.
 */
export function fillCertificates(file: string, ownerUin: string, count: number): FillResult {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -131072');
  const existing = (
    db.prepare('select count(*) as n from certificates where owner_uin = ?').get(ownerUin) as { n: number }
  ).n;
  const now = Date.now();
  const row = (i: number) =>
    newOrderRow({
      certificate_id: fillId(i),
      owner_uin: ownerUin,
      status: Status.PaidInfoPending,
      source: 'paid',
      product_id: 48,
      deal_id: `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}${String(i).padStart(12, '0')}`,
      is_dv: 1,
      created_at: now - YEAR_MS + Math.floor((i * YEAR_MS) / count),
    });
  const columns = Object.keys(row(0)) as Array<keyof ReturnType<typeof row>>;
  const insert = db.prepare(
    `insert into certificates (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
  );
  const insertBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const r = row(i);
      insert.run(columns.map((c) => r[c]));
    }
  });
  const started = performance.now();
  const todo = Math.max(0, count - existing);
  for (let i = existing; i < count; i += BATCH) {
    insertBatch(i, Math.min(count, i + BATCH));
    progress(i + Math.min(BATCH, count - i) - existing, todo, started);
  }
  if (todo > 0 && process.stderr.isTTY) process.stderr.write('\n');
  // Moves the fill from the WAL into the database file, so the server starts on a store with a small WAL.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { existing, inserted: todo, seconds: (performance.now() - started) / 1000 };
}
