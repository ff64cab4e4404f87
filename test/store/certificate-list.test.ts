// The listing's own reading of rows (src/store/certificate-list.ts): each listed certificate carries exactly its
// row's values (read back whole) and the two flags, whether it is read through the store's read path or through
// Kysely, and the SQL it sends. The totals and pages against a model of the rows, and the plans, are in
// certificate-counts.test.ts. SQLite by default; a fresh PostgreSQL database per test when TCSSL_TEST_DB is set.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { newOrderRow } from '../../src/orders/orders.js';
import { listCertificates, listQueries, type SqlRead } from '../../src/store/certificate-list.js';
import { certificateReader } from '../../src/store/certificates-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { listedOf } from '../support/listed.js';
import { tempDir, testDatabase } from '../support/world.js';

const A = '100000000001';
const dirs: string[] = [];
after(async () => {
  const { rmSync } = await import('node:fs');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const database = await testDatabase();
  const dir = tempDir('tcssl-list-');
  dirs.push(dir);
  const store = await openStore({ url: database.url, dataDir: dir });
  try {
    await store.db
      .insertInto('accounts')
      .values({ uin: A, app_id: 1250000000, name: A, real_name_verified: 1, free_quota: 50, created_at: 0 })
      .execute();
    await fn(store);
  } finally {
    await store.close();
    await database.drop();
  }
}

// Text that JSON must escape (quotes, backslashes, control characters) and text beyond ASCII; PostgreSQL's text
// holds no NUL.
const text = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\t', '\u0001', 'é', '证', '😀'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
  })
  .map((s) => s.replaceAll('\0', ''));
const time = fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: null });

const rowArb = fc.record({
  project_id: fc.integer({ min: 0, max: 2 ** 40 }),
  status: fc.integer({ min: 0, max: 15 }),
  product_id: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
  source: fc.constantFrom('paid', 'free', 'upload'),
  domain_num: fc.integer({ min: 1, max: 100 }),
  time_span: fc.integer({ min: 1, max: 3 }),
  alias: text,
  domain: text,
  san: text,
  is_dv: fc.constantFrom(0, 1),
  verify_type: fc.option(text, { nil: null }),
  status_msg: fc.option(text, { nil: null }),
  tags: text,
  cert_pem: fc.option(text, { nil: null }),
  key_password_sealed: fc.option(text, { nil: null }),
  cert_begin: time,
  cert_end: time,
  revoked_at: time,
  certificate_type: fc.constantFrom('SVR', 'CA'),
  created_at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

test('a listed certificate carries its stored values and flags, through the store read path and through Kysely', async () => {
  await withStore(async (store) => {
    const readers = { read: certificateReader(store.db, store.read), kysely: certificateReader(store.db) };
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 12 }), async (specs) => {
        await sql`delete from certificates`.execute(store.db);
        const ids = specs.map((_, i) => `c${String(i).padStart(3, '0')}`);
        const rows = specs.map((s, i) => newOrderRow({ certificate_id: ids[i], owner_uin: A, ...s }));
        await store.db.insertInto('certificates').values(rows).execute();
        const stored = await store.db.selectFrom('certificates').selectAll().execute();
        const want = new Map(stored.map((r) => [r.certificate_id, listedOf(r)]));
        for (const [path, reader] of Object.entries(readers)) {
          const { total, rows: page } = await reader.list({ ownerUin: A, projects: null, excludeProjects: [] }, 0, 50);
          assert.equal(total, rows.length, path);
          assert.deepEqual(new Set(page.map((r) => r.certificate_id)), new Set(ids), path);
          for (const r of page) assert.deepStrictEqual(r, want.get(r.certificate_id), path);
        }
      }),
      { numRuns: 30 },
    );
  });
});

test("a frozen page (SQLite's read cache) is parsed once and its items shared; other pages each time", async () => {
  const cells = [
    'c001',
    A,
    0,
    1,
    48,
    'paid',
    1,
    1,
    '',
    'a.example',
    '["a.example"]',
    0,
    null,
    null,
    '[]',
    null,
    null,
    1,
    null,
    'SVR',
    0,
    0,
  ];
  const frozen = Object.freeze([Object.freeze({ j: JSON.stringify(cells) })]);
  const plain = [{ j: JSON.stringify(cells) }];
  const readOf =
    (page: readonly object[]): SqlRead =>
    async <T>(text: string) =>
      (/count|sum\(/i.test(text) ? [{ n: 1 }] : page) as T[];
  const filter = { ownerUin: A, projects: null, excludeProjects: [] };
  const once = await listCertificates(readOf(frozen), 'sqlite', filter, 0, 10);
  const again = await listCertificates(readOf(frozen), 'sqlite', filter, 0, 10);
  assert.equal(again.rows, once.rows);
  assert.ok(Object.isFrozen(once.rows));
  assert.ok(Object.isFrozen(once.rows[0]));
  assert.equal(once.rows[0].certificate_id, 'c001');
  const fresh = await listCertificates(readOf(plain), 'sqlite', filter, 0, 10);
  const fresher = await listCertificates(readOf(plain), 'sqlite', filter, 0, 10);
  assert.notEqual(fresher.rows, fresh.rows);
  assert.notEqual(fresher.rows[0], fresh.rows[0]);
  assert.deepStrictEqual(fresh.rows[0], { ...once.rows[0] });
});

test('the SQL of a listing names each condition once, with its parameters in order', () => {
  const q = listQueries(
    'sqlite',
    {
      ownerUin: A,
      projects: [1, 2],
      excludeProjects: [3],
      statuses: [5],
      certificateIds: ['a', 'b'],
      source: 'paid',
      notSource: 'upload',
      tags: [{ TagKey: 'k', TagValue: '50%' }],
      isDv: true,
      expiringBefore: 99,
      searchKey: 'x_y',
    },
    20,
    10,
  );
  assert.equal(
    q.total.sql,
    'select count(*) as n from certificates where owner_uin = ? and project_id in (?, ?) and project_id not in (?) ' +
      "and status in (?) and certificate_id in (?, ?) and source = ? and source != ? and tags like ? escape '\\' " +
      "and is_dv = ? and cert_end is not null and cert_end < ? and (certificate_id like ? escape '\\' or alias like ? " +
      "escape '\\' or domain like ? escape '\\')",
  );
  const params = [A, 1, 2, 3, 5, 'a', 'b', 'paid', 'upload', '%{"TagKey":"k","TagValue":"50\\%"}%', 1, 99];
  assert.deepEqual(q.total.params, [...params, '%x\\_y%', '%x\\_y%', '%x\\_y%']);
  assert.match(q.page.sql, /^select json_array\(certificate_id, .*\) as j from certificates where owner_uin = \?/);
  assert.match(q.page.sql, / order by created_at desc, certificate_id desc limit cast\(\? as bigint\) offset \?$/);
  assert.deepEqual(q.page.params, [...q.total.params, 10, 20]);

  // Owner, projects and statuses alone are summed from certificate_counts.
  const counted = listQueries(
    'postgres',
    { ownerUin: A, projects: null, excludeProjects: [4], statuses: [1, 5] },
    0,
    10,
  );
  assert.equal(
    counted.total.sql,
    'select sum(count) as n from certificate_counts where owner_uin = ? and project_id not in (?) and status in (?, ?)',
  );
  assert.deepEqual(counted.total.params, [A, 4, 1, 5]);
  assert.match(counted.page.sql, /^select json_build_array\(/);
  const byExpiry = listQueries('sqlite', { ownerUin: A, projects: null, excludeProjects: [], sort: 'ASC' }, 0, 10);
  assert.match(byExpiry.page.sql, / order by cert_end asc, certificate_id limit cast\(\? as bigint\) offset \?$/);
});
