// DescribeCertificates' page and total, by SQL text (no query building per request) and reading only what the
// answer shows. A page's row comes back as one JSON array per certificate: better-sqlite3 builds a row object through
// V8's API, one call per column (and an object of more than 19 columns in dictionary mode), which made a page of ten
// full rows cost about 200-300 µs on the benchmark's VM; twenty-two columns as one JSON text cost about 45 µs with
// V8's own JSON.parse, on either connection.

import { CompiledQuery, PostgresAdapter } from 'kysely';
import { type Db, numberedPlaceholders, type Store } from './db.js';
import type { CertificateRow } from './schema.js';

export interface CertificateFilter {
  ownerUin: string;
  /** null: every project */
  projects: number[] | null;
  excludeProjects: number[];
  statuses?: number[];
  searchKey?: string;
  certificateIds?: string[];
  source?: string;
  /** 'buy': everything but uploads */
  notSource?: string;
  /** every tag must be on the certificate */
  tags?: Array<{ TagKey: string; TagValue: string }>;
  isDv?: boolean;
  expiringBefore?: number;
  /** expiration sort; default is newest first by creation */
  sort?: 'ASC' | 'DESC';
}

/** The columns of a certificate that a listing shows, in the order of the page's JSON arrays. */
const LISTED_COLUMNS = [
  'certificate_id',
  'owner_uin',
  'project_id',
  'status',
  'product_id',
  'source',
  'domain_num',
  'time_span',
  'alias',
  'domain',
  'san',
  'is_dv',
  'verify_type',
  'status_msg',
  'tags',
  'cert_begin',
  'cert_end',
  'created_at',
  'revoked_at',
  'certificate_type',
] as const satisfies ReadonlyArray<keyof CertificateRow>;

/**
 * A certificate as DescribeCertificates lists it: the columns its answer shows, and whether a certificate and a key
 * password are stored, without reading the PEMs, keys, CSR and submitted information themselves.
 */
export type ListedCertificate = Pick<CertificateRow, (typeof LISTED_COLUMNS)[number]> & {
  /** cert_pem is not null */
  has_cert: boolean;
  /** key_password_sealed is not null */
  has_key_password: boolean;
};

/** A read by SQL text with `?` placeholders, as `Store.read`. */
export type SqlRead = Store['read'];

export type Dialect = Store['dialect'];

function pageSelect(dialect: Dialect): string {
  const fn = dialect === 'postgres' ? 'json_build_array' : 'json_array';
  return `select ${fn}(${LISTED_COLUMNS.join(', ')}, cert_pem is not null, key_password_sealed is not null) as j`;
}

const PAGE_SELECT = { sqlite: pageSelect('sqlite'), postgres: pageSelect('postgres') };

/** One row of the page: SQLite hands the JSON back as text, pg as the value it has already parsed. */
function listed(j: string | unknown[]): ListedCertificate {
  // Positions as in LISTED_COLUMNS, each cell of its column's type (never: assignable to each field).
  const a = (typeof j === 'string' ? JSON.parse(j) : j) as never[];
  return {
    certificate_id: a[0],
    owner_uin: a[1],
    project_id: a[2],
    status: a[3],
    product_id: a[4],
    source: a[5],
    domain_num: a[6],
    time_span: a[7],
    alias: a[8],
    domain: a[9],
    san: a[10],
    is_dv: a[11],
    verify_type: a[12],
    status_msg: a[13],
    tags: a[14],
    cert_begin: a[15],
    cert_end: a[16],
    created_at: a[17],
    revoked_at: a[18],
    certificate_type: a[19],
    // 0 or 1 on SQLite, a boolean on PostgreSQL.
    has_cert: a[20] === 1 || a[20] === true,
    has_key_password: a[21] === 1 || a[21] === true,
  };
}

/** `column LIKE %text%` matching text literally: % and _ escaped, with an explicit ESCAPE (SQLite has none by
 * default; PostgreSQL's is the same backslash). */
function likeText(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const LIKE = (column: string) => `${column} like ? escape '\\'`;

/** `column in (?, ?, ...)` for n values. */
const IN = (column: string, n: number, not = false) =>
  `${column} ${not ? 'not in' : 'in'} (${n === 1 ? '?' : `?${', ?'.repeat(n - 1)}`})`;

type Param = string | number;

/**
 * True when the filter narrows by owner, projects and statuses only (the console's and the SDKs' usual listing),
 * which certificate_counts answers without counting the account's rows (75 ms at 1,000,000 on SQLite). Any other
 * field that is set, including one added later, falls back to COUNT(*); '' and [] set nothing, as in the conditions.
 */
function countsAnswer(f: CertificateFilter): boolean {
  const { ownerUin, projects, excludeProjects, statuses, sort, ...others } = f;
  return Object.values(others).every((v) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0));
}

/** The conditions on owner, projects and statuses, which certificate_counts has as columns too. */
function countedConditions(f: CertificateFilter, where: string[], params: Param[]): void {
  where.push('owner_uin = ?');
  params.push(f.ownerUin);
  if (f.projects !== null) {
    where.push(IN('project_id', f.projects.length));
    params.push(...f.projects);
  }
  if (f.excludeProjects.length > 0) {
    where.push(IN('project_id', f.excludeProjects.length, true));
    params.push(...f.excludeProjects);
  }
  if (f.statuses && f.statuses.length > 0) {
    where.push(IN('status', f.statuses.length));
    params.push(...f.statuses);
  }
}

function otherConditions(f: CertificateFilter, where: string[], params: Param[]): void {
  if (f.certificateIds && f.certificateIds.length > 0) {
    where.push(IN('certificate_id', f.certificateIds.length));
    params.push(...f.certificateIds);
  }
  if (f.source) {
    where.push('source = ?');
    params.push(f.source);
  }
  if (f.notSource) {
    where.push('source != ?');
    params.push(f.notSource);
  }
  for (const t of f.tags ?? []) {
    // Tags are stored as the JSON of [{TagKey, TagValue}] in that key order, so a pair is a substring.
    where.push(LIKE('tags'));
    params.push(likeText(JSON.stringify({ TagKey: t.TagKey, TagValue: t.TagValue })));
  }
  if (f.isDv !== undefined) {
    where.push('is_dv = ?');
    params.push(f.isDv ? 1 : 0);
  }
  if (f.expiringBefore !== undefined) {
    where.push('cert_end is not null and cert_end < ?');
    params.push(f.expiringBefore);
  }
  if (f.searchKey) {
    const key = likeText(f.searchKey);
    where.push(`(${LIKE('certificate_id')} or ${LIKE('alias')} or ${LIKE('domain')})`);
    params.push(key, key, key);
  }
}

/** The SQL of one listing: its total and its page, with their parameters. */
export function listQueries(dialect: Dialect, f: CertificateFilter, offset: number, limit: number) {
  const where: string[] = [];
  const params: Param[] = [];
  countedConditions(f, where, params);
  const fromCounts = countsAnswer(f);
  const counted = fromCounts ? where.join(' and ') : '';
  const countedParams = fromCounts ? [...params] : [];
  otherConditions(f, where, params);
  const conditions = where.join(' and ');
  const order = f.sort
    ? `cert_end ${f.sort === 'ASC' ? 'asc' : 'desc'}, certificate_id`
    : 'created_at desc, certificate_id desc';
  // A bare `limit ?` makes SQLite prepare the statement again on every run (its planner reads the bound value, so
  // each binding expires the statement): a fifth of the page's time. A cast keeps the limit a parameter.
  return {
    total: fromCounts
      ? { sql: `select sum(count) as n from certificate_counts where ${counted}`, params: countedParams }
      : { sql: `select count(*) as n from certificates where ${conditions}`, params },
    page: {
      sql: `${PAGE_SELECT[dialect]} from certificates where ${conditions} order by ${order} limit cast(? as bigint) offset ?`,
      params: [...params, limit, offset],
    },
  };
}

/** The certificates matching f, newest first (or by expiry), and how many match in all. */
export async function listCertificates(
  read: SqlRead,
  dialect: Dialect,
  f: CertificateFilter,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: readonly ListedCertificate[] }> {
  if (f.projects !== null && f.projects.length === 0) return { total: 0, rows: [] };
  const q = listQueries(dialect, f, offset, limit);
  const [count, page] = await Promise.all([
    read<{ n: number | string | null }>(q.total.sql, q.total.params),
    read<{ j: string | unknown[] }>(q.page.sql, q.page.params),
  ]);
  // SUM is NULL over no rows, and PostgreSQL returns it (and COUNT) as numeric or bigint, which pg may read as text.
  return { total: Number(count[0]?.n ?? 0), rows: listedPage(page) };
}

/**
 * `Store.read`'s answers are frozen, and SQLite's read cache hands the same page to every read of it until the next
 * commit: each page is parsed once, and the items it gives are frozen and shared in turn (describe-certificates.ts
 * keeps the page's JSON by them). PostgreSQL's answers are fresh at every read, so their entries are never used again
 * and go with them. A page from a plain Kysely read (not frozen) is parsed each time.
 */
const listedPages = new WeakMap<readonly object[], readonly ListedCertificate[]>();
function listedPage(page: ReadonlyArray<{ j: string | unknown[] }>): readonly ListedCertificate[] {
  if (!Object.isFrozen(page)) return page.map((raw) => listed(raw.j));
  let rows = listedPages.get(page);
  if (rows === undefined) {
    rows = Object.freeze(page.map((raw) => Object.freeze(listed(raw.j))));
    listedPages.set(page, rows);
  }
  return rows;
}

export function dialectOf(db: Db): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * `Store.read`'s contract over a Kysely connection (numbering the placeholders for PostgreSQL): for a reader made
 * from a connection alone, such as one inside a transaction.
 */
export function readThrough(db: Db): SqlRead {
  const postgres = dialectOf(db) === 'postgres';
  return async <T>(sqlText: string, params: ReadonlyArray<string | number | null>) => {
    const text = postgres ? numberedPlaceholders(sqlText) : sqlText;
    return (await db.executeQuery<T>(CompiledQuery.raw(text, [...params]))).rows as T[];
  };
}
