// The statements of an order's write transaction (read for update, insert, versioned update, log entry) as SQL text
// through `sqlText`, so that they are prepared once and not rebuilt by Kysely on every call: the builder made up
// about half of a CreateCertificate transaction (measured in-process, 370 µs against 180 for the same SQL). The SQL
// of each column set is made once and kept; column names come from tcssl's own row types and are checked anyway.

import { type Db, type SqlParam, sqlText } from './db.js';
import type { CertificatePatch, CertificateRow, NewCertificate, OperateLogRow } from './schema.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_KEPT = 256;

function cached(cache: Map<string, string>, key: string, make: () => string): string {
  let text = cache.get(key);
  if (text === undefined) {
    text = make();
    if (cache.size >= MAX_KEPT) cache.clear();
    cache.set(key, text);
  }
  return text;
}

/** The row's columns with a value (as the builder, which leaves out undefined ones) and those values. */
function columnsOf(row: object): { names: string[]; values: SqlParam[] } {
  const names: string[] = [];
  const values: SqlParam[] = [];
  for (const [name, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (!IDENTIFIER.test(name)) throw new Error(`not a column name: ${JSON.stringify(name.slice(0, 64))}`);
    names.push(name);
    values.push(value as SqlParam);
  }
  return { names, values };
}

const inserts = new Map<string, string>();

async function insert(db: Db, table: 'certificates' | 'operate_logs', row: object): Promise<void> {
  const { names, values } = columnsOf(row);
  const text = cached(
    inserts,
    `${table}:${names.join(',')}`,
    () => `insert into ${table} (${names.join(', ')}) values (${names.map(() => '?').join(', ')})`,
  );
  await sqlText(db).run(text, values);
}

export async function insertCertificate(db: Db, row: NewCertificate): Promise<void> {
  await insert(db, 'certificates', row);
}

export async function insertOperateLog(db: Db, row: OperateLogRow): Promise<void> {
  await insert(db, 'operate_logs', row);
}

const updates = new Map<string, string>();

/** Applies patch only if the row still has `version`; false when someone else changed it first. */
export async function updateCertificate(
  db: Db,
  certificateId: string,
  version: number,
  patch: CertificatePatch,
): Promise<boolean> {
  const { names, values } = columnsOf({ ...patch, version: version + 1 });
  const text = cached(
    updates,
    names.join(','),
    () => `update certificates set ${names.map((n) => `${n} = ?`).join(', ')} where certificate_id = ? and version = ?`,
  );
  return (await sqlText(db).run(text, [...values, certificateId, version])) === 1;
}

/**
 * The caller's certificate, read in a write transaction. PostgreSQL locks the row until the transaction ends; on
 * SQLite the transaction's BEGIN IMMEDIATE already holds the one write lock.
 */
export async function findForUpdate(
  db: Db,
  dialect: 'sqlite' | 'postgres',
  ownerUin: string,
  certificateId: string,
): Promise<CertificateRow | undefined> {
  const text =
    dialect === 'postgres'
      ? 'select * from certificates where certificate_id = ? and owner_uin = ? for update'
      : 'select * from certificates where certificate_id = ? and owner_uin = ?';
  return (await sqlText(db).all<CertificateRow>(text, [certificateId, ownerUin]))[0];
}
