// The statements of an order's write transaction (certificate-writes.ts): each list of columns gets its own SQL,
// found again by walking the row's names, whatever other lists share its first names; undefined columns are left
// out; an update sets the next version whatever its patch says; a name that is not a column is refused before any
// SQL runs. On SQLite, through a store's own transaction.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { newOrderRow } from '../../src/orders/orders.js';
import { insertCertificate, insertOperateLog, updateCertificate } from '../../src/store/certificate-writes.js';
import { openStore, type Store, sqlText } from '../../src/store/db.js';
import type { CertificatePatch, CertificateRow, OperateLogRow } from '../../src/store/schema.js';

const UIN = '100000000001';
const dir = mkdtempSync(join(tmpdir(), 'tcssl-writes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('certificate writes (SQLite)', () => {
  let store: Store;
  let ids = 0;
  before(async () => {
    store = await openStore({ url: '', dataDir: dir });
    await store.db
      .insertInto('accounts')
      .values({ uin: UIN, app_id: 1250000000, name: 'a', real_name_verified: 1, free_quota: 50, created_at: 0 })
      .execute();
  });
  after(() => store.close());

  const fresh = async (over: Partial<CertificateRow> = {}): Promise<CertificateRow> => {
    const row = newOrderRow({
      certificate_id: `w${ids++}`,
      owner_uin: UIN,
      status: 5,
      source: 'paid',
      created_at: 1_700_000_000_000,
      ...over,
    });
    await store.tx((db) => insertCertificate(db, row));
    return row;
  };
  const load = async (id: string) =>
    (
      await store.tx((db) =>
        sqlText(db).all<CertificateRow>('select * from certificates where certificate_id = ?', [id]),
      )
    )[0];

  test('patches of any columns, in any order and any mix of undefined, write exactly their values', async () => {
    const column = fc.constantFrom('alias', 'status', 'project_id', 'domain', 'status_msg', 'verify_type', 'is_dv');
    const value = (name: string): fc.Arbitrary<string | number | null> =>
      name === 'status' || name === 'project_id' || name === 'is_dv'
        ? fc.integer({ min: 0, max: 9 })
        : fc.option(fc.string({ maxLength: 8 }), { nil: name === 'alias' || name === 'domain' ? '' : null });
    const patch = fc
      .uniqueArray(column, { maxLength: 7 })
      .chain((names) =>
        fc.tuple(...names.map((n) => fc.tuple(fc.constant(n), fc.option(value(n), { nil: undefined, freq: 4 })))),
      );
    let row = await fresh();
    await fc.assert(
      fc.asyncProperty(patch, async (pairs) => {
        const change = Object.fromEntries(pairs) as CertificatePatch;
        const ok = await store.tx((db) => updateCertificate(db, row.certificate_id, row.version, change));
        assert.equal(ok, true);
        const expected = { ...row, version: row.version + 1 } as Record<string, unknown>;
        for (const [name, v] of pairs) if (v !== undefined) expected[name] = v;
        row = await load(row.certificate_id);
        assert.deepEqual({ ...row }, expected);
      }),
      { numRuns: 150 },
    );
  });

  test('a list and the longer lists that begin with it each get their own statement', async () => {
    const row = await fresh();
    const steps: CertificatePatch[] = [
      { alias: 'one', status: 4 },
      { alias: 'two' },
      { alias: 'three', status: 3, project_id: 2 },
      { alias: 'four', status: 2 },
    ];
    let version = row.version;
    for (const change of steps) {
      assert.equal(await store.tx((db) => updateCertificate(db, row.certificate_id, version, change)), true);
      version++;
    }
    const now = await load(row.certificate_id);
    assert.equal(now.alias, 'four');
    assert.equal(now.status, 2);
    assert.equal(now.project_id, 2);
    assert.equal(now.version, row.version + 4);
  });

  test('an update sets the next version whatever its patch says, and applies only at the version it names', async () => {
    const row = await fresh();
    const said = { alias: 'x', version: 99 } as CertificatePatch;
    assert.equal(await store.tx((db) => updateCertificate(db, row.certificate_id, row.version, said)), true);
    assert.equal((await load(row.certificate_id)).version, row.version + 1);
    // The version it read is gone: nothing changes.
    assert.equal(await store.tx((db) => updateCertificate(db, row.certificate_id, row.version, { alias: 'y' })), false);
    assert.equal((await load(row.certificate_id)).alias, 'x');
  });

  test('log entries with and without their optional columns are written as given', async () => {
    const row = await fresh();
    const entry = (seq: number, over: Partial<OperateLogRow> = {}): OperateLogRow => ({
      log_id: `l-${row.certificate_id}-${seq}`,
      certificate_id: row.certificate_id,
      owner_uin: UIN,
      actor: 'test',
      action: 'Test',
      from_status: null,
      to_status: 5,
      seq,
      request_id: null,
      detail: '{}',
      created_at: seq,
      ...over,
    });
    await store.tx((db) => insertOperateLog(db, entry(1)));
    await store.tx((db) => insertOperateLog(db, entry(2, { request_id: undefined, from_status: 5 } as never)));
    const logs = await store.tx((db) =>
      sqlText(db).all<OperateLogRow>('select * from operate_logs where certificate_id = ? order by seq', [
        row.certificate_id,
      ]),
    );
    assert.deepEqual(
      logs.map((l) => [l.seq, l.from_status, l.request_id]),
      [
        [1, null, null],
        [2, 5, null],
      ],
    );
  });

  test('a name that is not a column is refused before any SQL runs', async () => {
    const row = await fresh();
    const bad = { alias: 'z', 'alias = 1; --': 1 } as unknown as CertificatePatch;
    await assert.rejects(
      store.tx((db) => updateCertificate(db, row.certificate_id, row.version, bad)),
      /not a column name/,
    );
    assert.equal((await load(row.certificate_id)).alias, '');
  });
});
