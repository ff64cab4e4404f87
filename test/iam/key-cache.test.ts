// Resolved keys are kept in memory, filed under the store's IAM version: any write to accounts, keys or policies,
// by this process or by another connection (the CLI, another node, a SQL shell), must take effect at the next
// request. A request arrives in a turn of the event loop of its own, so after another connection's write the next
// call waits for the next turn (`nextRequest`): on SQLite the read cache reads its header once a turn. Runs on
// SQLite, and on PostgreSQL when TCSSL_TEST_DB is set (as CI's second pass does).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Iam } from '../../src/iam/iam.js';
import { SecretBox } from '../../src/pki/secret-box.js';
import { openStore, type Store } from '../../src/store/db.js';
import { tempDir, testDatabase } from '../support/world.js';

/** What separates two requests: a turn of the event loop. */
const nextRequest = () => new Promise((resolve) => setImmediate(resolve));

describe('resolved key cache', () => {
  let dir: string;
  let drop: () => Promise<void>;
  let store: Store;
  /** a second connection to the same database: what another process or node writes through */
  let other: Store;
  let iam: Iam;
  before(async () => {
    dir = tempDir('tcssl-keycache-');
    const db = await testDatabase();
    drop = db.drop;
    store = await openStore({ url: db.url, dataDir: dir });
    other = await openStore({ url: db.url, dataDir: dir });
    iam = new Iam({ store, box: new SecretBox(randomBytes(32)) });
  });
  after(async () => {
    await other.close();
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second resolution of an unchanged key is the same object (served from memory)', async () => {
    const a = await iam.createAccount();
    const first = await iam.resolveKey(a.SecretId);
    assert.ok(first);
    assert.equal(await iam.resolveKey(a.SecretId), first);
  });

  test('a key disabled through another connection resolves to null at the next call, and back once enabled', async () => {
    const a = await iam.createAccount();
    assert.ok(await iam.resolveKey(a.SecretId));
    await other.db.updateTable('api_keys').set({ disabled: 1 }).where('secret_id', '=', a.SecretId).execute();
    await nextRequest();
    assert.equal(await iam.resolveKey(a.SecretId), null);
    await other.db.updateTable('api_keys').set({ disabled: 0 }).where('secret_id', '=', a.SecretId).execute();
    await nextRequest();
    assert.equal((await iam.resolveKey(a.SecretId))?.secretKey, a.SecretKey);
  });

  test('a key disabled through this process (the CLI path) stops at once', async () => {
    const a = await iam.createAccount();
    assert.ok(await iam.resolveKey(a.SecretId));
    await iam.setKeyDisabled(a.SecretId, true);
    assert.equal(await iam.resolveKey(a.SecretId), null);
  });

  test('a deleted key, a changed account and a new policy are all seen at the next call', async () => {
    const a = await iam.createAccount();
    const before = await iam.resolveKey(a.SecretId);
    assert.equal(before?.caller.realNameVerified, true);
    await other.db.updateTable('accounts').set({ real_name_verified: 0 }).where('uin', '=', a.Uin).execute();
    await nextRequest();
    assert.equal((await iam.resolveKey(a.SecretId))?.caller.realNameVerified, false);

    const user = await iam.createSubUser(a.Uin, 'ops');
    const key = await iam.createKey({ subUin: user.SubUin });
    assert.deepEqual((await iam.resolveKey(key.SecretId))?.caller.policies, []);
    await iam.attachPolicy(user.SubUin, { effect: 'deny', actions: ['ssl:RevokeCertificate'], projects: null });
    assert.equal((await iam.resolveKey(key.SecretId))?.caller.policies.length, 1);

    await other.db.deleteFrom('api_keys').where('secret_id', '=', a.SecretId).execute();
    await nextRequest();
    assert.equal(await iam.resolveKey(a.SecretId), null);
  });

  test('writes elsewhere (orders, logs) leave the cache alone; the version moves only with IAM rows', async () => {
    const a = await iam.createAccount();
    const first = await iam.resolveKey(a.SecretId);
    await other.db
      .insertInto('meta')
      .values({ key: `unrelated-${a.Uin}`, value: 'x' })
      .execute();
    await nextRequest();
    assert.equal(await iam.resolveKey(a.SecretId), first);
  });
});
