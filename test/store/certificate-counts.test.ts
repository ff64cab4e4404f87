// certificate_counts (migration 0003) and the totals DescribeCertificates reads from it: the triggers keep the
// counts exact under every kind of write, list's totals and pages match a model of the rows, and the first page is
// read in index order. SQLite by default; a fresh PostgreSQL database per test when TCSSL_TEST_DB is set.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import fc from 'fast-check';
import { CompiledQuery, Kysely, type LogEvent, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { newOrderRow } from '../../src/orders/orders.js';
import { insertCertificate, updateCertificate } from '../../src/store/certificate-writes.js';
import { type CertificateFilter, certificateReader, deleteCertificate } from '../../src/store/certificates-repo.js';
import { type Db, openStore, type Store } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations.js';
import type { CertificateRow, Database } from '../../src/store/schema.js';
import { testDatabase } from '../support/world.js';

const root = mkdtempSync(join(tmpdir(), 'tcssl-counts-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const A = '100000000001';
const B = '100000000002';

interface TestDatabase {
  url: string;
  /** A second connection to the same database, without migrations, optionally logging every query. */
  connect(log?: (event: LogEvent) => void): Db;
}

/** Runs fn on a fresh database (not yet migrated), then drops it. */
async function withDatabase(fn: (database: TestDatabase) => Promise<void>): Promise<void> {
  const database = await testDatabase();
  try {
    if (database.url) {
      const url = database.url;
      await fn({
        url,
        connect: (log) =>
          new Kysely<Database>({
            dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
            log,
          }),
      });
    } else {
      const dir = join(root, `d${dirs++}`);
      mkdirSync(dir);
      const file = join(dir, 'tcssl.db');
      await fn({
        url: `sqlite:${file}`,
        connect: (log) =>
          new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(file) }), log }),
      });
    }
  } finally {
    await database.drop();
  }
}

/** Runs fn on a fresh, migrated store holding the accounts A and B. */
async function withStore(fn: (store: Store, database: TestDatabase) => Promise<void>): Promise<void> {
  await withDatabase(async (database) => {
    const store = await openStore({ url: database.url, dataDir: join(root, 'unused') });
    try {
      await addAccounts(store.db);
      await fn(store, database);
    } finally {
      await store.close();
    }
  });
}

async function addAccounts(db: Db): Promise<void> {
  for (const [i, uin] of [A, B].entries()) {
    await db
      .insertInto('accounts')
      .values({ uin, app_id: 1250000000 + i, name: uin, real_name_verified: 1, free_quota: 50, created_at: 0 })
      .execute();
  }
}

function cert(id: string, over: Partial<CertificateRow> = {}): CertificateRow {
  return newOrderRow({
    certificate_id: id,
    owner_uin: A,
    status: 5,
    source: 'paid',
    created_at: 1_700_000_000_000,
    ...over,
  });
}

type Count = { owner_uin: string; project_id: number; status: number; count: number };

const asCounts = (rows: Array<Record<keyof Count, unknown>>): Count[] =>
  rows.map((r) => ({
    owner_uin: String(r.owner_uin),
    project_id: Number(r.project_id),
    status: Number(r.status),
    count: Number(r.count),
  }));

/** The non-zero rows of certificate_counts, in key order. */
async function storedCounts(db: Db): Promise<Count[]> {
  const rows = await db
    .selectFrom('certificate_counts')
    .selectAll()
    .where('count', '!=', 0)
    .orderBy('owner_uin')
    .orderBy('project_id')
    .orderBy('status')
    .execute();
  return asCounts(rows);
}

/** The same figures counted from the certificates themselves. */
async function countedRows(db: Db): Promise<Count[]> {
  const rows = await db
    .selectFrom('certificates')
    .select(['owner_uin', 'project_id', 'status', (eb) => eb.fn.countAll().as('count')])
    .groupBy(['owner_uin', 'project_id', 'status'])
    .orderBy('owner_uin')
    .orderBy('project_id')
    .orderBy('status')
    .execute();
  return asCounts(rows);
}

async function assertExact(db: Db, expected?: Array<[string, number, number, number]>): Promise<void> {
  const stored = await storedCounts(db);
  assert.deepEqual(stored, await countedRows(db), 'certificate_counts against COUNT(*) of the rows');
  const negative = await db.selectFrom('certificate_counts').selectAll().where('count', '<', 0).execute();
  assert.deepEqual(negative, []);
  if (expected) {
    const rows = expected.map(([owner_uin, project_id, status, count]) => ({ owner_uin, project_id, status, count }));
    assert.deepEqual(stored, rows);
  }
}

describe('certificate_counts', () => {
  test('stays exact through the repository: inserts, status changes, project moves, deletes, a rolled-back transaction', async () => {
    await withStore(async (store) => {
      const db = store.db;
      await insertCertificate(db, cert('c1'));
      await insertCertificate(db, cert('c2'));
      await insertCertificate(db, cert('c3', { project_id: 7, status: 1 }));
      await insertCertificate(db, cert('c4', { owner_uin: B, status: 1 }));
      await assertExact(db, [
        [A, 0, 5, 2],
        [A, 7, 1, 1],
        [B, 0, 1, 1],
      ]);

      assert.equal(await updateCertificate(db, 'c1', 1, { status: 0 }), true);
      await assertExact(db, [
        [A, 0, 0, 1],
        [A, 0, 5, 1],
        [A, 7, 1, 1],
        [B, 0, 1, 1],
      ]);
      assert.equal(await updateCertificate(db, 'c2', 1, { project_id: 7 }), true);
      assert.equal(await updateCertificate(db, 'c3', 1, { project_id: 0, status: 10 }), true);
      await assertExact(db, [
        [A, 0, 0, 1],
        [A, 0, 10, 1],
        [A, 7, 5, 1],
        [B, 0, 1, 1],
      ]);

      // Changes that leave the key alone, and an update that loses its race, change no count.
      assert.equal(await updateCertificate(db, 'c1', 2, { alias: 'renamed', status: 0, project_id: 0 }), true);
      assert.equal(await updateCertificate(db, 'c2', 1, { status: 1 }), false);
      await assertExact(db, [
        [A, 0, 0, 1],
        [A, 0, 10, 1],
        [A, 7, 5, 1],
        [B, 0, 1, 1],
      ]);

      await assert.rejects(
        store.tx(async (tx) => {
          await insertCertificate(tx, cert('c5'));
          await deleteCertificate(tx, 'c4');
          throw new Error('boom');
        }),
        /boom/,
      );
      await deleteCertificate(db, 'c1');
      await deleteCertificate(db, 'c4');
      await assertExact(db, [
        [A, 0, 10, 1],
        [A, 7, 5, 1],
      ]);
    });
  });

  test('stays exact through raw SQL that bypasses the repository, many rows a statement', async () => {
    await withStore(async (store) => {
      const db = store.db;
      const rows = Array.from({ length: 30 }, (_, i) =>
        cert(`r${String(i).padStart(2, '0')}`, { project_id: i % 3, status: [1, 5, 7][i % 4] ?? 10 }),
      );
      await db.insertInto('certificates').values(rows).execute();
      await assertExact(db);
      const raw = [
        sql`insert into certificates (certificate_id, owner_uin, project_id, status, source, domain_num, time_span,
              alias, domain, san, key_spec, info, is_dv, tags, version, created_at, updated_at)
            select certificate_id || 'b', ${B}, project_id, 3, source, domain_num, time_span, alias, domain, san,
              key_spec, info, is_dv, tags, 1, created_at, updated_at
            from certificates where status in (1, 5)`,
        sql`update certificates set status = 10 where status = 1`,
        sql`update certificates set project_id = project_id + 1 where owner_uin = ${A} and project_id < 2`,
        sql`update certificates set owner_uin = ${B}, status = 0 where owner_uin = ${A} and project_id = 2`,
        sql`update certificates set status = status, project_id = project_id, alias = 'same key'`,
        sql`delete from certificates where status = 10`,
        sql`update certificates set status = case status when 0 then 3 when 3 then 0 else status end`,
      ];
      for (const statement of raw) {
        await statement.execute(db);
        await assertExact(db);
      }
      assert.ok((await storedCounts(db)).length >= 3, 'the statements leave several keys counted');
      await sql`delete from certificates`.execute(db);
      await assertExact(db, []);
      const zeros = await db.selectFrom('certificate_counts').select('count').execute();
      assert.ok(zeros.length > 0 && zeros.every((r) => Number(r.count) === 0), 'keys that fell to 0 keep a 0 row');
    });
  });

  test('a store migrated with certificates already in it gets them counted, and counts from then on', async () => {
    await withDatabase(async (database) => {
      const before = database.connect();
      try {
        const { error } = await new Migrator({ db: before, provider: migrationProvider }).migrateTo('0002_issuance');
        assert.equal(error, undefined);
        await addAccounts(before);
        const rows = Array.from({ length: 25 }, (_, i) =>
          cert(`m${String(i).padStart(2, '0')}`, {
            owner_uin: i < 20 ? A : B,
            project_id: i % 2 === 0 ? 0 : 9,
            status: i < 12 ? 5 : 1,
          }),
        );
        await before.insertInto('certificates').values(rows).execute();
      } finally {
        await before.destroy();
      }
      const store = await openStore({ url: database.url, dataDir: join(root, 'unused') });
      try {
        await assertExact(store.db, [
          [A, 0, 1, 4],
          [A, 0, 5, 6],
          [A, 9, 1, 4],
          [A, 9, 5, 6],
          [B, 0, 1, 3],
          [B, 9, 1, 2],
        ]);
        await insertCertificate(store.db, cert('after', { owner_uin: B, project_id: 9, status: 1 }));
        await assertExact(store.db, [
          [A, 0, 1, 4],
          [A, 0, 5, 6],
          [A, 9, 1, 4],
          [A, 9, 5, 6],
          [B, 0, 1, 3],
          [B, 9, 1, 3],
        ]);
      } finally {
        await store.close();
      }
    });
  });
});

// The model of list: which rows a filter keeps.
function matches(r: CertificateRow, f: CertificateFilter): boolean {
  if (r.owner_uin !== f.ownerUin) return false;
  if (f.projects !== null && !f.projects.includes(r.project_id)) return false;
  if (f.excludeProjects.includes(r.project_id)) return false;
  if (f.statuses?.length && !f.statuses.includes(r.status)) return false;
  const key = f.searchKey;
  if (key && ![r.certificate_id, r.alias, r.domain].some((s) => s.includes(key))) return false;
  if (f.certificateIds?.length && !f.certificateIds.includes(r.certificate_id)) return false;
  if (f.source && r.source !== f.source) return false;
  if (f.notSource && r.source === f.notSource) return false;
  const tags = JSON.parse(r.tags) as Array<{ TagKey: string; TagValue: string }>;
  if (!(f.tags ?? []).every((t) => tags.some((u) => u.TagKey === t.TagKey && u.TagValue === t.TagValue))) return false;
  if (f.isDv !== undefined && r.is_dv !== (f.isDv ? 1 : 0)) return false;
  if (f.expiringBefore !== undefined && (r.cert_end === null || r.cert_end >= f.expiringBefore)) return false;
  return true;
}

/** list's default order: newest first, then the greater id first. */
const newestFirst = (a: CertificateRow, b: CertificateRow) =>
  b.created_at - a.created_at ||
  (a.certificate_id < b.certificate_id ? 1 : a.certificate_id > b.certificate_id ? -1 : 0);

const PROJECTS = [0, 3, 7];
const STATUSES = [0, 1, 5, 7, 10];
const TAGS = [
  { TagKey: 'env', TagValue: 'prod' },
  { TagKey: 'env', TagValue: 'dev' },
  { TagKey: 'team', TagValue: 'web' },
];

// Lower-case words only: LIKE ignores ASCII case on SQLite and not on PostgreSQL.
const rowArb = fc.record({
  owner_uin: fc.constantFrom(A, B),
  project_id: fc.constantFrom(...PROJECTS),
  status: fc.constantFrom(...STATUSES),
  source: fc.constantFrom('paid', 'free', 'upload'),
  is_dv: fc.constantFrom(0, 1),
  alias: fc.constantFrom('', 'shop', 'api', 'shop api'),
  domain: fc.constantFrom('', 'example.com', 'shop.example.org'),
  tags: fc.subarray(TAGS).map((t) => JSON.stringify(t)),
  cert_end: fc.option(fc.integer({ min: 1, max: 9 }), { nil: null }),
  // Few distinct times, so that the certificate id often breaks the tie.
  created_at: fc.integer({ min: 1, max: 6 }),
});

const extras = {
  searchKey: fc.constantFrom('', 'shop', 'api', 'example', '00'),
  certificateIds: fc.subarray(['p000', 'p001', 'p002', 'p010', 'p020']),
  source: fc.constantFrom('', 'upload', 'free'),
  notSource: fc.constantFrom('', 'upload'),
  tags: fc.subarray(TAGS, { maxLength: 2 }),
  isDv: fc.boolean(),
  expiringBefore: fc.integer({ min: 0, max: 10 }),
};

// Owner, projects and statuses (which the counts answer), then often nothing else, else each other condition on its
// own (so that a condition the counts ignored would show), else several at once.
const filterArb: fc.Arbitrary<CertificateFilter> = fc
  .tuple(
    fc.record(
      {
        ownerUin: fc.constantFrom(A, B),
        // Mostly wide, so that pages are often full and their order shows.
        projects: fc.option(fc.subarray(PROJECTS), { nil: null, freq: 2 }),
        excludeProjects: fc.oneof(
          { weight: 3, arbitrary: fc.constant<number[]>([]) },
          fc.subarray(PROJECTS, { maxLength: 1 }),
        ),
        statuses: fc.oneof(fc.constant<number[]>([]), fc.subarray(STATUSES, { minLength: 2 })),
      },
      { requiredKeys: ['ownerUin', 'projects', 'excludeProjects'] },
    ),
    fc.oneof(
      { weight: 5, arbitrary: fc.constant({}) },
      ...Object.entries(extras).map(([key, value]) => fc.record({ [key]: value })),
      fc.record(extras, { requiredKeys: [] }),
    ),
  )
  .map(([counted, other]) => ({ ...counted, ...other }));

/** A status change or project move of the row at `at` (modulo the number of rows). */
const moveArb = fc.record({
  at: fc.nat(),
  project_id: fc.constantFrom(...PROJECTS),
  status: fc.constantFrom(...STATUSES),
});

const offsetArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 }));

test('list totals and pages match a model of the rows, for random rows, moves and filters', async () => {
  await withStore(async (store) => {
    const db = store.db;
    const reader = certificateReader(db);
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 10, maxLength: 60 }),
        fc.array(moveArb, { maxLength: 8 }),
        fc.array(fc.tuple(filterArb, offsetArb, fc.integer({ min: 1, max: 10 })), { minLength: 1, maxLength: 6 }),
        async (specs, moves, filters) => {
          await sql`delete from certificates`.execute(db);
          const rows = specs.map((s, i) => cert(`p${String(i).padStart(3, '0')}`, s));
          for (const r of rows) await insertCertificate(db, r);
          for (const { at, ...move } of moves) {
            const r = rows[at % rows.length];
            assert.equal(await updateCertificate(db, r.certificate_id, r.version, move), true);
            Object.assign(r, move, { version: r.version + 1 });
          }
          await assertExact(db);
          for (const [f, offset, limit] of filters) {
            const kept = rows.filter((r) => matches(r, f)).sort(newestFirst);
            const { total, rows: page } = await reader.list(f, offset, limit);
            assert.equal(total, kept.length, JSON.stringify(f));
            const ids = kept.slice(offset, offset + limit).map((r) => r.certificate_id);
            assert.deepEqual(
              page.map((r) => r.certificate_id),
              ids,
              JSON.stringify(f),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

test('the first page is read in the index order and its total from certificate_counts', async () => {
  await withStore(async (store, database) => {
    // Enough rows that a sort or a full scan would cost the planner more than walking the index.
    for (let from = 0; from < 6000; from += 500) {
      const rows = Array.from({ length: 500 }, (_, k) => {
        const i = from + k;
        return cert(`x${String(i).padStart(5, '0')}`, {
          owner_uin: i % 10 === 0 ? B : A,
          project_id: i % 20 === 1 ? 7 : 0,
          status: i % 8 === 3 ? 1 : 5,
          created_at: 1_700_000_000_000 + i * 1000,
        });
      });
      await store.db.insertInto('certificates').values(rows).execute();
    }
    if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);

    const queries: CompiledQuery[] = [];
    const recording = database.connect((e) => {
      if (e.level === 'query') queries.push(e.query);
    });
    try {
      const reader = certificateReader(recording);
      const explain = async (q: CompiledQuery) => {
        const prefix = store.dialect === 'postgres' ? 'explain ' : 'explain query plan ';
        const r = await recording.executeQuery<Record<string, string>>(
          CompiledQuery.raw(prefix + q.sql, [...q.parameters]),
        );
        return r.rows.map((row) => row.detail ?? row['QUERY PLAN']).join('\n');
      };
      const base = { ownerUin: A, projects: null, excludeProjects: [] };
      const counted: CertificateFilter[] = [
        base,
        { ...base, statuses: [5] },
        { ...base, statuses: [5, 1] },
        { ...base, projects: [0] },
        { ...base, projects: [0, 7], excludeProjects: [7] },
      ];
      for (const f of counted) {
        queries.length = 0;
        const { total, rows } = await reader.list(f, 0, 10);
        assert.equal(rows.length, 10);
        assert.ok(total > 4000, `total ${total}`);
        assert.equal(queries.length, 2, 'one query for the total, one for the page');
        const [count, page] = queries;
        assert.match(count.sql, /from certificate_counts /);
        assert.doesNotMatch(count.sql, /\bcertificates\b/);
        const plan = await explain(page);
        if (store.dialect === 'postgres') {
          assert.match(plan, /Index Scan Backward using certificates_owner_created/, plan);
          assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
        } else {
          assert.match(plan, /SEARCH certificates USING INDEX certificates_owner_created \(owner_uin=\?\)/, plan);
          assert.doesNotMatch(plan, /TEMP B-TREE|SCAN certificates/, plan);
          assert.match(
            await explain(count),
            /SEARCH certificate_counts USING INDEX sqlite_autoindex_certificate_counts_1/,
          );
        }
      }
      // Any other condition is counted from the rows.
      queries.length = 0;
      await reader.list({ ...base, searchKey: 'x0001' }, 0, 10);
      assert.match(queries[0].sql, /count\(\*\) as n from certificates /);
    } finally {
      await recording.destroy();
    }
  });
});
