// A server's SQLite store checkpoints its WAL from a worker thread: the serving connection never does (its
// wal_autocheckpoint is 0), yet the WAL is copied back into the database file within moments, and closing the store
// leaves everything in the file.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { openStore } from '../../src/store/db.js';
import { tempDir } from '../support/world.js';

describe('background WAL checkpoints (SQLite)', () => {
  const dir = tempDir('tcssl-ckpt-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the WAL is checkpointed by the worker while the server writes, and nothing is lost on close', async () => {
    const store = await openStore({ url: '', dataDir: dir, backgroundCheckpoints: true });
    const auto = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    assert.equal(auto.rows[0].wal_autocheckpoint, 0, 'the serving connection never checkpoints');
    for (let i = 0; i < 2000; i++) {
      await store.tx((db) =>
        db
          .insertInto('meta')
          .values({ key: `k${i}`, value: 'x'.repeat(200) })
          .execute(),
      );
    }
    // Another connection asks how far the WAL has been copied back: [busy, frames in the WAL, frames checkpointed].
    const probe = new Database(join(dir, 'tcssl.db'));
    const deadline = Date.now() + 5000;
    let state: { busy: number; log: number; checkpointed: number };
    for (;;) {
      state = (probe.pragma('wal_checkpoint(NOOP)') as Array<typeof state>)[0];
      if (state.log > 0 && state.checkpointed === state.log) break;
      if (Date.now() > deadline) assert.fail(`the worker did not checkpoint: ${JSON.stringify(state)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    probe.close();
    await store.close();
    const reopened = new Database(join(dir, 'tcssl.db'), { readonly: true });
    const n = reopened.prepare("select count(*) as n from meta where key like 'k%'").get() as { n: number };
    reopened.close();
    assert.equal(n.n, 2000);
  });
});
