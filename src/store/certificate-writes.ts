// The statements of an order's write transaction (read for update, insert, versioned update, log entry) as SQL text
// through `sqlText`, so that they are prepared once and not rebuilt by Kysely on every call: the builder made up
// about half of a CreateCertificate transaction (measured in-process, 370 µs against 180 for the same SQL). The SQL
// of each column set is made once and kept; column names come from tcssl's own row types and are checked anyway.

import { type Db, type SqlParam, sqlText } from './db.js';
import type { CertificatePatch, CertificateRow, NewCertificate, OperateLogRow } from './schema.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Column lists kept per kind of statement; past this many, the kept lists start over. */
const MAX_KEPT = 4096;

/**
 * The SQL of each list of columns, kept in a trie by column name: a call walks its row's names, strings V8 has already
 * hashed, to the node of its list, instead of joining forty names into a key and hashing that (with Object.entries,
 * about half of building a CreateCertificate's two statements). A name is checked once, when its node is made.
 */
interface Columns {
  /** the last name of the list that ends here, and the node of the list before it (none for the empty list) */
  name: string;
  up: Columns | undefined;
  next: Map<string, Columns>;
  /** the SQL for the list of names that ends here, once made */
  text: string | undefined;
}

interface Statements {
  root: Columns;
  nodes: number;
}

const node = (name: string, up: Columns | undefined): Columns => ({ name, up, next: new Map(), text: undefined });
const statements = (): Statements => ({ root: node('', undefined), nodes: 0 });

/** The list of names that ends at `at`, read back up the trie: only when its statement is made. */
function namesTo(at: Columns): string[] {
  const names: string[] = [];
  for (let n: Columns | undefined = at; n?.up !== undefined; n = n.up) names.push(n.name);
  return names.reverse();
}

/**
 * The row's columns with a value (as the builder, which leaves out undefined ones) and those values, followed by
 * `extra` when given (a column the row may not name itself); `at` is the node of that list of names.
 */
function columnsOf(
  kept: Statements,
  row: object,
  extra?: { name: string; value: SqlParam },
): { at: Columns; values: SqlParam[] } {
  if (kept.nodes >= MAX_KEPT) {
    kept.root = node('', undefined);
    kept.nodes = 0;
  }
  const values: SqlParam[] = [];
  let at = kept.root;
  const step = (name: string) => {
    let next = at.next.get(name);
    if (next === undefined) {
      if (!IDENTIFIER.test(name)) throw new Error(`not a column name: ${JSON.stringify(name.slice(0, 64))}`);
      next = node(name, at);
      at.next.set(name, next);
      kept.nodes++;
    }
    at = next;
  };
  const fields = row as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value === undefined || name === extra?.name) continue;
    step(name);
    values.push(value as SqlParam);
  }
  if (extra) {
    step(extra.name);
    values.push(extra.value);
  }
  return { at, values };
}

const inserts = { certificates: statements(), operate_logs: statements() };

async function insert(db: Db, table: 'certificates' | 'operate_logs', row: object): Promise<void> {
  const { at, values } = columnsOf(inserts[table], row);
  if (at.text === undefined) {
    const names = namesTo(at);
    at.text = `insert into ${table} (${names.join(', ')}) values (${names.map(() => '?').join(', ')})`;
  }
  await sqlText(db).run(at.text, values);
}

export async function insertCertificate(db: Db, row: NewCertificate): Promise<void> {
  await insert(db, 'certificates', row);
}

export async function insertOperateLog(db: Db, row: OperateLogRow): Promise<void> {
  await insert(db, 'operate_logs', row);
}

const updates = statements();

/** Applies patch only if the row still has `version`; false when someone else changed it first. */
export async function updateCertificate(
  db: Db,
  certificateId: string,
  version: number,
  patch: CertificatePatch,
): Promise<boolean> {
  // The new version is set whatever the patch says of it, as a spread of the patch followed by it would.
  const { at, values } = columnsOf(updates, patch, { name: 'version', value: version + 1 });
  if (at.text === undefined) {
    const names = namesTo(at);
    at.text = `update certificates set ${names.map((n) => `${n} = ?`).join(', ')} where certificate_id = ? and version = ?`;
  }
  values.push(certificateId, version);
  return (await sqlText(db).run(at.text, values)) === 1;
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
