// Migration 0005: certificates_next_check and certificates_issuer_serial hold only the rows with a next check and
// the rows with an issuer. The queries that use them keep their index plans, answer as a full read of the table
// would, and the count per status (metrics) reads certificate_counts. Migration 0006: certificates_claimed_by holds
// only the orders a worker has claimed, and a stopping worker's release reads it. SQLite by default; a fresh PostgreSQL database
// when TCSSL_TEST_DB is set.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { newOrderRow } from '../../src/orders/orders.js';
import { Status } from '../../src/orders/status.js';
import {
  claimDue,
  countDue,
  findBySerial,
  releaseAllClaims,
  revocationStamp,
  revokedBy,
} from '../../src/store/certificates-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { insertAccount } from '../../src/store/iam-repo.js';
import type { Database } from '../../src/store/schema.js';
import { ordersByStatus } from '../../src/store/stats-repo.js';
import { tempDir, testDatabase } from '../support/world.js';

const uin = '100000000009';
const ISSUER = 'issuer-1';
const NOW = 1_800_000_000_000;
let store: Store;
let dir: string;
let drop: () => Promise<void>;

before(async () => {
  dir = tempDir('tcssl-partial-');
  const database = await testDatabase();
  drop = () => database.drop();
  store = await openStore({ url: database.url, dataDir: dir });
  await insertAccount(store.db, {
    uin,
    app_id: 1300000009,
    name: 'partial',
    real_name_verified: 1,
    free_quota: 50,
    created_at: NOW,
  });
  // 3,000 rows: most new orders (no next check, no issuer), some under review, some issued, some of those revoked.
  for (let batch = 0; batch < 6; batch++) {
    const rows = Array.from({ length: 500 }, (_, j) => {
      const i = batch * 500 + j;
      const kind = i % 10;
      return newOrderRow({
        certificate_id: `p${String(i).padStart(7, '0')}`,
        owner_uin: uin,
        status:
          kind < 6 ? Status.PaidInfoPending : kind < 8 ? Status.Reviewing : kind < 9 ? Status.Issued : Status.Revoked,
        source: 'paid',
        created_at: NOW + i,
        next_check_at: kind === 6 || kind === 7 ? NOW + (i % 3 === 0 ? -1000 : 1000) : null,
        issuer_id: kind >= 8 ? ISSUER : null,
        serial: kind >= 8 ? `5e${i.toString(16)}` : null,
        revoked_at: kind === 9 ? NOW + i : null,
      });
    });
    await store.db.insertInto('certificates').values(rows).execute();
  }
  if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);
});
after(async () => {
  await store.close();
  await drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs fn on the store's connection with every query it makes recorded, and returns them with fn's result. */
async function recorded<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<{ result: T; queries: CompiledQuery[] }> {
  const queries: CompiledQuery[] = [];
  // Kysely's plugins see nodes, not SQL: compile each node the way the executor will.
  const spy = store.db.withPlugin({
    transformQuery(args) {
      queries.push(store.db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { result: await fn(spy), queries };
}

async function plan(q: CompiledQuery): Promise<string> {
  if (store.dialect === 'postgres') {
    // Only whether the index can be used: with sequential scans priced out, a usable index is chosen.
    return store.tx(async (db) => {
      await sql`set local enable_seqscan = off`.execute(db);
      const r = await db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]),
      );
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  }
  const r = await store.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
  );
  return r.rows.map((row) => row.detail).join('\n');
}

function assertUses(p: string, index: string): void {
  if (store.dialect === 'postgres')
    assert.match(p, new RegExp(`Index (Only )?Scan using ${index}|Bitmap Index Scan on ${index}`), p);
  else assert.match(p, new RegExp(`USING (COVERING )?INDEX ${index} `), p);
}

const PARTIAL = ['certificates_next_check', 'certificates_issuer_serial', 'certificates_claimed_by'];

test('the three indexes are partial', async () => {
  const defs =
    store.dialect === 'postgres'
      ? (
          await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes
          where indexname in (${sql.join(PARTIAL)})`.execute(store.db)
        ).rows
      : (
          await sql<{ name: string; def: string }>`select name, sql as def from sqlite_master
          where name in (${sql.join(PARTIAL)})`.execute(store.db)
        ).rows;
  assert.equal(defs.length, 3);
  const byName = Object.fromEntries(defs.map((d) => [d.name, d.def]));
  assert.match(byName.certificates_next_check, /where\s*\(?"?next_check_at"? is not null/i);
  assert.match(byName.certificates_issuer_serial, /where\s*\(?"?issuer_id"? is not null/i);
  assert.match(byName.certificates_claimed_by, /where\s*\(?"?claimed_by"? is not null/i);
});

test("the worker's queue reads next_check_at's index and finds the due orders", async () => {
  const due = await recorded((db) => countDue(db as never, Status.Reviewing, NOW));
  assert.equal(due.result, 200, 'orders under review with a next check in the past');
  assertUses(await plan(due.queries[0]), 'certificates_next_check');
  const claim = await recorded((db) =>
    store.dialect === 'postgres'
      ? (db as never as Kysely<Database>).transaction().execute((trx) =>
          claimDue(trx as never, 'postgres', {
            status: Status.Reviewing,
            now: NOW,
            worker: 'w',
            leaseMs: 1000,
            limit: 50,
          }),
        )
      : claimDue(db as never, 'sqlite', { status: Status.Reviewing, now: NOW, worker: 'w', leaseMs: 1000, limit: 50 }),
  );
  assert.equal(claim.result.length, 50);
  assert.ok(claim.result.every((r) => r.status === Status.Reviewing && Number(r.next_check_at) <= NOW));
  const select = claim.queries.find((q) => /^select/i.test(q.sql.trim()) && /next_check_at/.test(q.sql));
  assert.ok(select, claim.queries.map((q) => q.sql).join('\n'));
  assertUses(await plan(select), 'certificates_next_check');
});

test("the CA's revocation reads use issuer_id's index and see every revoked certificate", async () => {
  const revoked = await recorded((db) => revokedBy(db as never, ISSUER));
  assert.equal(revoked.result.length, 300);
  assertUses(await plan(revoked.queries[0]), 'certificates_issuer_serial');
  const one = await recorded((db) => findBySerial(db as never, ISSUER, '5e9'));
  assert.deepEqual(one.result, { revoked_at: NOW + 9, revocation_reason: null });
  assertUses(await plan(one.queries[0]), 'certificates_issuer_serial');
  const stamp = await recorded((db) => revocationStamp(db as never, ISSUER));
  assert.equal(stamp.result, `300:${NOW + 2999}`);
  assertUses(await plan(stamp.queries[0]), 'certificates_issuer_serial');
});

test('the count per status equals a count of the rows, from certificate_counts', async () => {
  const direct = await store.db
    .selectFrom('certificates')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  const { result, queries } = await recorded((db) => ordersByStatus(db as never));
  assert.deepEqual(
    result,
    direct.map((r) => ({ status: Number(r.status), count: Number(r.n) })),
  );
  assert.equal(queries.length, 1);
  assert.match(queries[0].sql, /from "certificate_counts"/);
  assert.doesNotMatch(queries[0].sql, /"certificates"/);
});

test("a stopping worker's release reads claimed_by's index and gives back its claims only", async () => {
  const claim = (worker: string, limit: number) =>
    store.tx((db) =>
      claimDue(db, store.dialect, { status: Status.Reviewing, now: NOW + 2000, worker, leaseMs: 60_000, limit }),
    );
  const mine = await claim('stopping', 30);
  const theirs = await claim('running', 20);
  assert.equal(mine.length, 30);
  assert.equal(theirs.length, 20);
  const held = async (worker: string) =>
    (
      await store.db
        .selectFrom('certificates')
        .select('certificate_id')
        .where('claimed_by', '=', worker)
        .orderBy('certificate_id')
        .execute()
    ).map((r) => r.certificate_id);
  const released = await recorded((db) => releaseAllClaims(db as never, 'stopping'));
  assert.equal(released.queries.length, 1);
  assertUses(await plan(released.queries[0]), 'certificates_claimed_by');
  assert.deepEqual(await held('stopping'), []);
  assert.deepEqual(await held('running'), theirs.map((r) => r.certificate_id).sort());
  const rows = await store.db
    .selectFrom('certificates')
    .select(['claimed_until'])
    .where(
      'certificate_id',
      'in',
      mine.map((r) => r.certificate_id),
    )
    .execute();
  assert.ok(rows.every((r) => r.claimed_until === null));
});
