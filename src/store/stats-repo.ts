// Aggregate reads for operations (metrics): how many certificates sit in each status. Read-only, portable SQL for
// SQLite and PostgreSQL; knows no status names (orders/status.ts owns them) and no HTTP.

import type { Db } from './db.js';

/**
 * Number of certificates per status code, only the statuses that have rows. One GROUP BY that the
 * (status, next_check_at) index covers, so it reads the index, not the rows.
 */
export async function ordersByStatus(db: Db): Promise<Array<{ status: number; count: number }>> {
  const rows = await db
    .selectFrom('certificates')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  // PostgreSQL's count(*) is a bigint, which pg returns as a string unless a type parser says otherwise.
  return rows.map((r) => ({ status: Number(r.status), count: Number(r.n) }));
}
