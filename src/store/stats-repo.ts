// Aggregate reads for operations (metrics): how many certificates sit in each status. Read-only, portable SQL for
// SQLite and PostgreSQL; knows no status names (orders/status.ts owns them) and no HTTP.

import type { Db } from './db.js';

/**
 * Number of certificates per status code, only the statuses that have rows: the sums of certificate_counts, which
 * triggers keep exact (migration 0003), so a scrape reads a few rows per account instead of every certificate.
 */
export async function ordersByStatus(db: Db): Promise<Array<{ status: number; count: number }>> {
  const rows = await db
    .selectFrom('certificate_counts')
    .select((eb) => ['status', eb.fn.sum<number | string>('count').as('n')])
    .groupBy('status')
    .having((eb) => eb.fn.sum('count'), '>', 0)
    .orderBy('status')
    .execute();
  // PostgreSQL's sum of a bigint is a numeric, which pg returns as a string.
  return rows.map((r) => ({ status: Number(r.status), count: Number(r.n) }));
}
