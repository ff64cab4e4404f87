// One-off markers in the meta table: the first process to set a key wins, however many start at once.

import type { Db } from './db.js';

/** Sets `key` if no one has; true for the one caller that did. */
export async function claimOnce(db: Db, key: string, value: string): Promise<boolean> {
  const r = await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}
