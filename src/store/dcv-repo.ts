// Rows of domain-control validation: one per order and domain. Queries only.

import type { Db } from './db.js';
import type { DcvCheckRow } from './schema.js';

export async function insertDcvChecks(db: Db, rows: DcvCheckRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('dcv_checks').values(rows).execute();
}

export async function deleteDcvChecks(db: Db, certificateId: string): Promise<void> {
  await db.deleteFrom('dcv_checks').where('certificate_id', '=', certificateId).execute();
}

export async function findDcvChecks(db: Db, certificateId: string): Promise<DcvCheckRow[]> {
  return db
    .selectFrom('dcv_checks')
    .selectAll()
    .where('certificate_id', '=', certificateId)
    .orderBy('created_at')
    .orderBy('domain')
    .execute();
}

/**
 * Records a check's result. A failure never overwrites a pass: a slow check that started before the customer
 * published (the worker's) must not undo a later one that saw the record (a manual check).
 */
export async function updateDcvCheck(
  db: Db,
  certificateId: string,
  domain: string,
  patch: Pick<DcvCheckRow, 'status' | 'detail' | 'attempts' | 'checked_at'>,
): Promise<void> {
  let q = db
    .updateTable('dcv_checks')
    .set(patch)
    .where('certificate_id', '=', certificateId)
    .where('domain', '=', domain);
  if (patch.status !== 'passed') q = q.where('status', '!=', 'passed');
  await q.execute();
}
