import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AuthorityRecord, AuthorityStore } from '../../src/pki/ca.js';
import { authorityStore, CA_INITIALIZED_KEY } from '../../src/store/authorities-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { testDatabase } from '../support/world.js';

const root = mkdtempSync(join(tmpdir(), 'tcssl-authorities-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** SQLite by default; a fresh PostgreSQL database when TCSSL_TEST_DB is set (CI's second pass). */
async function withStore(fn: (store: Store, repo: AuthorityStore) => Promise<void>): Promise<void> {
  const database = await testDatabase();
  const store = await openStore({ url: database.url, dataDir: join(root, `d${dirs++}`) });
  after(() => database.drop());
  try {
    // Typed as pki's AuthorityStore: the repo's own types must stay structurally the same.
    await fn(store, authorityStore(store));
  } finally {
    await store.close();
  }
}

function record(id: string, over: Partial<AuthorityRecord> = {}): AuthorityRecord {
  return {
    id,
    role: 'intermediate',
    keyType: 'EC',
    parentId: 'root-1',
    subject: `CN=${id}`,
    serial: '0123456789abcdef0123456789abcdef',
    certPem: `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----\n`,
    keySealed: `v1.sealed-${id}`,
    notBefore: 1_700_000_000_000,
    notAfter: 2_000_000_000_000,
    active: true,
    crlNumber: 0,
    createdAt: 1_700_000_000_123,
    ...over,
  };
}

const hierarchy = (tag: string) => [
  record(`root-${tag}`, { role: 'root', parentId: null, keySealed: 'v1.root' }),
  record(`int-rsa-${tag}`, { keyType: 'RSA', parentId: `root-${tag}` }),
  record(`int-ec-${tag}`, { parentId: `root-${tag}` }),
];

async function metaValue(store: Store, key: string): Promise<string | undefined> {
  return (await store.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

describe('authorityStore', () => {
  test('a first insertHierarchy stores every record and list returns them unchanged', async () => {
    await withStore(async (store, repo) => {
      assert.deepEqual(await repo.list(), []);
      const records = hierarchy('a');
      assert.equal(await repo.insertHierarchy(records), 'inserted');
      const listed = await repo.list();
      assert.deepEqual(
        [...listed].sort((x, y) => x.id.localeCompare(y.id)),
        [...records].sort((x, y) => x.id.localeCompare(y.id)),
      );
      assert.ok(await metaValue(store, CA_INITIALIZED_KEY));
    });
  });

  test('a second insertHierarchy answers exists and stores nothing', async () => {
    await withStore(async (_store, repo) => {
      await repo.insertHierarchy(hierarchy('a'));
      assert.equal(await repo.insertHierarchy(hierarchy('b')), 'exists');
      assert.deepEqual((await repo.list()).map((r) => r.id).sort(), ['int-ec-a', 'int-rsa-a', 'root-a']);
    });
  });

  test('of two concurrent insertHierarchy calls exactly one inserts', async () => {
    await withStore(async (_store, repo) => {
      const outcomes = await Promise.all([repo.insertHierarchy(hierarchy('a')), repo.insertHierarchy(hierarchy('b'))]);
      assert.deepEqual([...outcomes].sort(), ['exists', 'inserted']);
      assert.equal((await repo.list()).length, 3);
    });
  });

  test('replaceActive deactivates the old hierarchy, keeps its rows, and inserts the new one active', async () => {
    await withStore(async (_store, repo) => {
      await repo.insertHierarchy(hierarchy('a'));
      await repo.replaceActive([record('imp-1', { role: 'root', parentId: null })]);
      const listed = await repo.list();
      assert.equal(listed.length, 4);
      assert.deepEqual(
        listed.filter((r) => r.active).map((r) => r.id),
        ['imp-1'],
      );
      assert.ok(listed.find((r) => r.id === 'int-ec-a')?.keySealed, 'old keys stay for CRL and OCSP');
    });
  });

  test('replaceActive on an empty store marks the CA initialized, so a first start adds no second hierarchy', async () => {
    await withStore(async (store, repo) => {
      await repo.replaceActive([record('imp-1', { role: 'root', parentId: null })]);
      assert.ok(await metaValue(store, CA_INITIALIZED_KEY));
      assert.equal(await repo.insertHierarchy(hierarchy('a')), 'exists');
      assert.deepEqual(
        (await repo.list()).map((r) => r.id),
        ['imp-1'],
      );
    });
  });

  test('nextCrlNumber counts 1, 2, 3 per authority and refuses an unknown one', async () => {
    await withStore(async (_store, repo) => {
      await repo.insertHierarchy(hierarchy('a'));
      assert.equal(await repo.nextCrlNumber('int-ec-a'), 1);
      assert.equal(await repo.nextCrlNumber('int-ec-a'), 2);
      assert.equal(await repo.nextCrlNumber('int-rsa-a'), 1);
      const results = await Promise.all([1, 2, 3].map(() => repo.nextCrlNumber('int-ec-a')));
      assert.deepEqual(results.sort(), [3, 4, 5]);
      assert.equal((await repo.list()).find((r) => r.id === 'int-ec-a')?.crlNumber, 5);
      await assert.rejects(repo.nextCrlNumber('nope'), /does not exist/);
    });
  });

  test('insertHierarchy and replaceActive refuse an empty list', async () => {
    await withStore(async (_store, repo) => {
      await assert.rejects(repo.insertHierarchy([]), /at least one/);
      await assert.rejects(repo.replaceActive([]), /at least one/);
    });
  });
});
