import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { runAsBatch } from '../../src/batch.js';
import { openStore, type Store, sqlText } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations.js';

const root = mkdtempSync(join(tmpdir(), 'tcssl-db-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);

const TABLES = ['accounts', 'api_keys', 'certificates', 'meta', 'operate_logs', 'policies', 'projects', 'sub_users'];

async function tablesOf(store: Store): Promise<string[]> {
  const r = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(
    store.db,
  );
  return r.rows.map((row) => row.name);
}

async function metaValue(store: Store, key: string): Promise<string | undefined> {
  return (await store.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

describe('openStore', () => {
  test('a first open creates the data directory, the SQLite file and every table', async () => {
    const dir = join(freshDir(), 'nested', 'data');
    const store = await openStore({ url: '', dataDir: dir });
    try {
      assert.equal(store.dialect, 'sqlite');
      assert.equal(store.location, join(dir, 'tcssl.db'));
      assert.ok(statSync(store.location).isFile());
      const tables = await tablesOf(store);
      for (const t of TABLES) assert.ok(tables.includes(t), `table ${t}`);
      const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(
        store.db,
      );
      const names = indexes.rows.map((r) => r.name);
      for (const i of ['policies_sub_uin', 'certificates_owner_created', 'operate_logs_certificate']) {
        assert.ok(names.includes(i), `index ${i}`);
      }
    } finally {
      await store.close();
    }
  });

  test('reopening runs no migration twice and keeps the rows', async () => {
    const dir = freshDir();
    const first = await openStore({ url: '', dataDir: dir });
    await first.db.insertInto('meta').values({ key: 'k', value: 'v' }).execute();
    const before = await tablesOf(first);
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = await openStore({ url: '', dataDir: dir });
      assert.deepEqual(await tablesOf(again), before);
      assert.equal(await metaValue(again, 'k'), 'v');
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(again.db);
      const all = Object.keys(await migrationProvider.getMigrations()).sort();
      assert.ok(all.includes('0001_initial'));
      assert.deepEqual(applied.rows.map((r) => r.name).sort(), all);
      await again.close();
    }
  });

  test('an sqlite: URL puts the file where it says', async () => {
    const file = join(freshDir(), 'custom.db');
    const store = await openStore({ url: `sqlite:${file}`, dataDir: '/nonexistent-and-unused' });
    assert.equal(store.location, file);
    assert.ok(statSync(file).isFile());
    await store.close();
  });

  test('a database URL of another scheme is refused without naming its credentials', async () => {
    await assert.rejects(
      openStore({ url: 'mysql://admin:hunter2@db/tcssl', dataDir: freshDir() }),
      (e: unknown) => e instanceof Error && /unsupported database URL scheme: mysql$/.test(e.message),
    );
  });

  test('the journal is in WAL mode and foreign keys are enforced', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(mode.rows[0].journal_mode, 'wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      assert.equal(fk.rows[0].foreign_keys, 1);
      await assert.rejects(
        store.db
          .insertInto('projects')
          .values({ project_id: 1234567, owner_uin: '199999999999', name: 'x', created_at: 0 })
          .execute(),
        /FOREIGN KEY constraint failed/,
      );
      await store.ping();
    } finally {
      await store.close();
    }
  });
});

describe('Store.tx', () => {
  test('commits every write and returns the function result', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      const result = await store.tx(async (db) => {
        await db.insertInto('meta').values({ key: 'a', value: '1' }).execute();
        await db.insertInto('meta').values({ key: 'b', value: '2' }).execute();
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(await metaValue(store, 'a'), '1');
      assert.equal(await metaValue(store, 'b'), '2');
    } finally {
      await store.close();
    }
  });

  test('a throw inside rolls every write back and rethrows the same error', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      const boom = new Error('boom');
      await assert.rejects(
        store.tx(async (db) => {
          await db.insertInto('meta').values({ key: 'gone', value: '1' }).execute();
          assert.equal(
            (await db.selectFrom('meta').select('value').where('key', '=', 'gone').executeTakeFirst())?.value,
            '1',
          );
          throw boom;
        }),
        (e: unknown) => e === boom,
      );
      assert.equal(await metaValue(store, 'gone'), undefined);
      // The connection is usable afterwards: no transaction was left open.
      await store.tx(async (db) => db.insertInto('meta').values({ key: 'after', value: '1' }).execute());
      assert.equal(await metaValue(store, 'after'), '1');
    } finally {
      await store.close();
    }
  });

  test('a failing statement inside rolls back the earlier writes of the transaction', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      await store.db.insertInto('meta').values({ key: 'dup', value: 'old' }).execute();
      await assert.rejects(
        store.tx(async (db) => {
          await db.insertInto('meta').values({ key: 'first', value: '1' }).execute();
          await db.insertInto('meta').values({ key: 'dup', value: 'new' }).execute();
        }),
        /UNIQUE constraint failed/,
      );
      assert.equal(await metaValue(store, 'first'), undefined);
      assert.equal(await metaValue(store, 'dup'), 'old');
    } finally {
      await store.close();
    }
  });

  test('transactions started together on one store run one after the other and all commit', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      await store.db.insertInto('meta').values({ key: 'n', value: '0' }).execute();
      // Read-modify-write: interleaving would lose increments.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.tx(async (db) => {
            const n = Number(
              (await db.selectFrom('meta').select('value').where('key', '=', 'n').executeTakeFirst())!.value,
            );
            await new Promise((r) => setImmediate(r));
            await db
              .updateTable('meta')
              .set({ value: String(n + 1) })
              .where('key', '=', 'n')
              .execute();
          }),
        ),
      );
      assert.equal(await metaValue(store, 'n'), '20');
    } finally {
      await store.close();
    }
  });
});

describe('Store.tx: group commit (SQLite)', () => {
  // Which transactions share a group must not depend on the machine's speed: without a time limit, a group here
  // closes only when its queue is empty after its waits for more (or at 64).
  const GROUPED = 60_000;
  type TxDb = Parameters<Parameters<Store['tx']>[0]>[0];
  /** A transaction that inserts one meta key. */
  const put = (key: string) => (db: TxDb) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [key, '1']);
  const keysOf = async (store: Store) =>
    (await store.read<{ key: string }>('select key from meta', [])).map((r) => r.key);
  /** A fresh store whose groups close on their waits alone, for `fn`, then closed. */
  const grouped = async (fn: (store: Store) => Promise<void>) => {
    const store = await openStore({ url: '', dataDir: freshDir(), groupMaxMs: GROUPED });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  test('transactions of one turn share one commit, and each settles only once it is committed', async () => {
    await grouped(async (store) => {
      const before = { ...store.stats };
      const seen: boolean[] = [];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store
            .tx(async (db) => {
              await sqlText(db).run('insert into meta (key, value) values (?, ?)', [`g${i}`, '1']);
              return `g${i}`;
            })
            // store.read is the second, read-only connection: it sees only what was committed.
            .then(async (key) => seen.push((await keysOf(store)).includes(key))),
        ),
      );
      assert.deepEqual(seen, Array(10).fill(true));
      assert.equal(store.stats.transactions - before.transactions, 10);
      assert.equal(store.stats.commits - before.commits, 1);
    });
  });

  test('a transaction that fails in a group rolls back alone; the others commit', async () => {
    await grouped(async (store) => {
      const before = store.stats.commits;
      const boom = new Error('boom');
      const [a, b, c] = await Promise.allSettled([
        store.tx(put('a')),
        store.tx(async (db) => {
          await put('b')(db);
          throw boom;
        }),
        store.tx(put('c')),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.deepEqual(b, { status: 'rejected', reason: boom });
      assert.equal(c.status, 'fulfilled');
      assert.deepEqual((await keysOf(store)).filter((k) => k.length === 1).sort(), ['a', 'c']);
      assert.equal(store.stats.commits - before, 1);
    });
  });

  test('an error that makes SQLite abandon the transaction fails the group that waited for its commit', async () => {
    await grouped(async (store) => {
      await store.db.insertInto('meta').values({ key: 'dup', value: 'old' }).execute();
      const [a, b, c] = await Promise.allSettled([
        store.tx(put('a')),
        // OR ROLLBACK ends the whole transaction, not just this statement.
        store.tx((db) => sqlText(db).run("insert or rollback into meta (key, value) values ('dup', 'new')", [])),
        store.tx(put('c')),
      ]);
      assert.equal(a.status, 'rejected');
      assert.match(String((a as PromiseRejectedResult).reason), /transaction not committed: UNIQUE constraint failed/);
      assert.equal(b.status, 'rejected');
      assert.match(String((b as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
      // The transaction after the failure runs in a new group.
      assert.equal(c.status, 'fulfilled');
      const keys = await keysOf(store);
      assert.ok(!keys.includes('a'), 'the first transaction was lost with the group and told so');
      assert.ok(keys.includes('c'));
      assert.equal(await metaValue(store, 'dup'), 'old');
    });
  });

  test("a transaction that fails on another's uncommitted write is told only with the group's outcome", async () => {
    await grouped(async (store) => {
      // B refuses because of A's write, as a Submit refuses an order that a cancel in the same group just moved on.
      const refuseIfCancelled = async (db: TxDb) => {
        const seen = await sqlText(db).all<{ key: string }>("select key from meta where key = 'cancelled'", []);
        if (seen.length > 0) throw new Error('already cancelled');
      };

      // The group commits: when B hears of its failure, what it failed on is visible to every reader.
      let visibleWhenRefused: boolean | undefined;
      const [a1, b1] = await Promise.allSettled([
        store.tx(put('cancelled')),
        store.tx(refuseIfCancelled).catch(async (e: unknown) => {
          visibleWhenRefused = (await keysOf(store)).includes('cancelled');
          throw e;
        }),
      ]);
      assert.equal(a1.status, 'fulfilled');
      assert.match(String((b1 as PromiseRejectedResult).reason), /already cancelled/);
      assert.equal(visibleWhenRefused, true);

      // The group fails: B's failure rested on a write that was rolled back, so B is told that, not its own error.
      await store.db.deleteFrom('meta').where('key', '=', 'cancelled').execute();
      await store.db.insertInto('meta').values({ key: 'dup', value: 'old' }).execute();
      const [a2, b2, c2] = await Promise.allSettled([
        store.tx(put('cancelled')),
        store.tx(refuseIfCancelled),
        store.tx((db) => sqlText(db).run("insert or rollback into meta (key, value) values ('dup', 'new')", [])),
      ]);
      assert.match(String((a2 as PromiseRejectedResult).reason), /transaction not committed/);
      assert.match(String((b2 as PromiseRejectedResult).reason), /transaction not committed: UNIQUE constraint failed/);
      assert.match(String((c2 as PromiseRejectedResult).reason), /^SqliteError: UNIQUE constraint failed/);
      assert.ok(!(await keysOf(store)).includes('cancelled'));
    });
  });

  test('a group takes at most 64 transactions, so a long queue commits as it goes', async () => {
    await grouped(async (store) => {
      const before = store.stats.commits;
      let visibleEarly = false;
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.tx(async (db) => {
            await sqlText(db).run('insert into meta (key, value) values (?, ?)', [`q${i}`, '1']);
            // The last transaction queued sees, through the read-only connection, the first ones committed.
            if (i === 199) visibleEarly = (await keysOf(store)).includes('q0');
          }),
        ),
      );
      assert.ok(visibleEarly, 'the first group committed before the last transaction ran');
      const commits = store.stats.commits - before;
      assert.ok(commits >= 4 && commits <= 10, `${commits} commits for 200 transactions`);
      assert.equal((await keysOf(store)).filter((k) => k.startsWith('q')).length, 200);
    });
  });

  test('a group that its drain filled commits at the end of that drain, without waiting for the check phase', async () => {
    await grouped(async (store) => {
      const before = store.stats.commits;
      const events: string[] = [];
      let fourth: Promise<unknown> | undefined;
      // The next callback of the event loop: by then w1-w3 are committed, and w4 starts a group of its own.
      setImmediate(() => {
        events.push('next callback');
        fourth = store.tx(put('w4')).then(() => events.push('w4 committed'));
      });
      const first = store.tx(put('w1')).then(() => events.push('w1 committed'));
      const second = store.tx(put('w2')).then(() => events.push('w2 committed'));
      // Late in the same drain, long after w1 and w2 have run: as a request of the fast path's batch whose handler
      // awaits many promises before it reaches its transaction.
      const third = (async () => {
        for (let i = 0; i < 200; i++) await null;
        await store.tx(put('w3'));
        events.push('w3 committed');
      })();
      await Promise.all([first, second, third]);
      while (!fourth) await new Promise((resolve) => setImmediate(resolve));
      await fourth;
      assert.deepEqual(events, ['w1 committed', 'w2 committed', 'w3 committed', 'next callback', 'w4 committed']);
      assert.equal(store.stats.commits - before, 2);
    });
  });

  test("a write alone in the API's batch commits at the end of the batch's drain, not a turn later", async () => {
    await grouped(async (store) => {
      const events: string[] = [];
      let done: Promise<unknown> | undefined;
      // The batch runs in a check phase, as the fast path runs it; a callback queued from it runs a turn later.
      await new Promise<void>((resolve) =>
        setImmediate(() =>
          runAsBatch(() => {
            done = store.tx(put('alone')).then(() => events.push('committed'));
            setImmediate(() => {
              events.push('next turn');
              resolve();
            });
          }),
        ),
      );
      await done;
      assert.deepEqual(events, ['committed', 'next turn']);
    });
  });

  test('a group alone after its drain waits once, for the check phase: what joined it commits before the next turn', async () => {
    await grouped(async (store) => {
      const before = store.stats.commits;
      const events: string[] = [];
      let second: Promise<unknown> | undefined;
      let third: Promise<unknown> | undefined;
      const first = store.tx(put('w1')).then(() => events.push('w1 committed'));
      // The check phase the lone group waits for: w2 joins the group that w1 began.
      setImmediate(() => {
        second = store.tx(put('w2')).then(() => events.push('w2 committed'));
        // The turn after: by now w1 and w2 are committed, and w3 starts a group of its own.
        setImmediate(() => {
          events.push('w3 sent');
          third = store.tx(put('w3')).then(() => events.push('w3 committed'));
        });
      });
      await first;
      while (!third) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([second, third]);
      assert.deepEqual(events, ['w1 committed', 'w2 committed', 'w3 sent', 'w3 committed']);
      assert.equal(store.stats.commits - before, 2, 'w1 and w2 shared a commit');
    });
  });

  test('a transaction alone commits within the next turn of the event loop', async () => {
    await grouped(async (store) => {
      const before = store.stats.commits;
      for (let i = 0; i < 5; i++) {
        await store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [`s${i}`, '1']));
      }
      assert.equal(store.stats.commits - before, 5);
    });
  });
});

describe('the WAL file (SQLite)', () => {
  const walSize = (store: Store) => (existsSync(`${store.location}-wal`) ? statSync(`${store.location}-wal`).size : 0);
  const blob = 'x'.repeat(4000);

  test('stays bounded under a steady stream of commits, with the checkpointer running as in a server', async () => {
    const store = await openStore({
      url: '',
      dataDir: freshDir(),
      backgroundCheckpoints: true,
      walLimitBytes: 256 * 1024,
      walCheckEveryMs: 0,
    });
    try {
      let largest = 0;
      // About 8 MB of page writes in all: a log that was never emptied would end at least that large.
      for (let i = 0; i < 2000; i++) {
        await store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [`w${i}`, blob]));
        largest = Math.max(largest, walSize(store));
      }
      // Each commit looks, but a RESTART that finds the checkpointer at work waits for the next look: a soft bound,
      // far below the 8 MB or more of a log never started over (34 MB when the bound was taken out).
      assert.ok(largest < 2 * 1024 * 1024, `the WAL reached ${largest} bytes`);
      // Once the load stops, a restarted log is cut back to the limit (journal_size_limit) and stays there, so the
      // commits that follow find it small and make no checkpoint of their own.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [`after${i}`, '1']));
      }
      assert.ok(walSize(store) <= 256 * 1024, `the WAL stayed at ${walSize(store)} bytes`);
      assert.equal(
        (await store.read<{ n: number }>("select count(*) as n from meta where key like 'w%'", []))[0].n,
        2000,
      );
    } finally {
      await store.close();
    }
  });

  test('a store that closes leaves no WAL behind, and a large one left by an earlier process is emptied on open', async () => {
    const dir = freshDir();
    const first = await openStore({ url: '', dataDir: dir, backgroundCheckpoints: true });
    for (let i = 0; i < 50; i++) {
      await first.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [`c${i}`, blob]));
    }
    assert.ok(walSize(first) > 0);
    await first.close();
    assert.equal(walSize(first), 0, 'the last connection to close removed the log');

    // A process that ends without closing (here: a second connection kept open while the store closes) leaves it.
    const location = join(dir, 'tcssl.db');
    const holder = new Database(location);
    // Once it has read, it holds the log open: the store's close then cannot remove it.
    holder.prepare('select count(*) from meta').get();
    const second = await openStore({ url: '', dataDir: dir, backgroundCheckpoints: true });
    for (let i = 0; i < 100; i++) {
      await second.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', [`d${i}`, blob]));
    }
    await second.close();
    const left = statSync(`${location}-wal`).size;
    assert.ok(left > 256 * 1024, `${left} bytes left`);
    holder.close();
    // Reopened with a limit below what was left: emptied on open, the rows all there.
    const third = await openStore({ url: '', dataDir: dir, walLimitBytes: 64 * 1024 });
    try {
      assert.ok(walSize(third) < left, `${walSize(third)} bytes after opening`);
      assert.equal(
        (await third.read<{ n: number }>("select count(*) as n from meta where key like 'd%'", []))[0].n,
        100,
      );
    } finally {
      await third.close();
    }
  });
});

describe('Store.read', () => {
  test("rows equal the driver's own objects, value and column order, for every column type", async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      await sql`create table kinds (i integer, r real, s text, b blob, n)`.execute(store.db);
      await sql`insert into kinds values (${2 ** 53 - 1}, ${1.5}, ${'x\u2028"é'}, ${Buffer.from([0, 255])}, ${null}), (0, -0.25, '', x'', 7)`.execute(
        store.db,
      );
      for (const table of [...TABLES, 'kinds']) {
        const driver = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db)).rows;
        const rows = await store.read<Record<string, unknown>>(`select * from ${table}`, []);
        assert.deepEqual(rows, driver, table);
        for (const [i, row] of rows.entries()) {
          assert.deepEqual(Object.keys(row), Object.keys(driver[i]), `${table}: column order`);
        }
      }
      assert.equal((await store.read<{ n: number }>('select count(*) as n from kinds', []))[0].n, 2);
    } finally {
      await store.close();
    }
  });

  test('names that are not plain identifiers and repeated names read as in the driver; `__proto__` stays a column', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      const text = `select 1 as "a b", 2 as "__proto__", 3 as x, 4 as x, null as "1st", 'v' as "\u00e9"`;
      const [row] = await store.read<Record<string, unknown>>(text, []);
      const [driver] = (await sql.raw<Record<string, unknown>>(text).execute(store.db)).rows;
      // The driver's own objects lose a column named __proto__ (it is taken as the prototype); Store.read keeps it.
      const { __proto__: _, ...rest } = Object.fromEntries(Object.entries(row));
      assert.deepEqual(rest, driver);
      assert.equal(
        Object.getPrototypeOf(row),
        Object.prototype,
        'a column named __proto__ is a column, not a prototype',
      );
      assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 2);
      assert.equal(row.x, 4, 'the last of two columns of one name wins, as in the driver');
      const [plain] = await store.read<{ a: number; b: string }>('select ? as a, ? as b', [7, 'seven']);
      assert.deepEqual(plain, { a: 7, b: 'seven' });
      assert.deepEqual(await store.read('select 1 as a where 0', []), []);
    } finally {
      await store.close();
    }
  });
});

/** What sqlText promises, on either backend. */
async function sqlTextContract(store: Store): Promise<void> {
  const metaKeys = async () =>
    (await store.read<{ key: string }>('select key from meta order by key', [])).map((r) => r.key);
  const root = sqlText(store.db);
  assert.equal(await root.run('insert into meta (key, value) values (?, ?)', ['t-root', '1']), 1);
  assert.deepEqual(await root.all('select key, value from meta where key = ?', ['t-root']), [
    { key: 't-root', value: '1' },
  ]);

  // In a transaction: its statements see its own writes, others do not until the commit.
  await store.tx(async (db) => {
    const q = sqlText(db);
    assert.notEqual(q, root);
    assert.equal(await q.run('insert into meta (key, value) values (?, ?)', ['t-tx', '1']), 1);
    assert.equal((await q.all<{ value: string }>('select value from meta where key = ?', ['t-tx']))[0]?.value, '1');
    assert.ok(!(await metaKeys()).includes('t-tx'), 'not visible outside before the commit');
    assert.equal(await q.run('update meta set value = ? where key like ?', ['2', 't-%']), 2);
    assert.equal(await q.run('update meta set value = ? where key = ?', ['2', 'no such key']), 0);
  });
  assert.deepEqual(await root.all('select key, value from meta where key like ? order by key', ['t-%']), [
    { key: 't-root', value: '2' },
    { key: 't-tx', value: '2' },
  ]);

  // A throw rolls back builder and SQL-text writes together; the transaction's handle is gone afterwards.
  let kept: Parameters<typeof sqlText>[0] | undefined;
  await assert.rejects(
    store.tx(async (db) => {
      kept = db;
      await db.insertInto('meta').values({ key: 't-builder', value: '1' }).execute();
      await sqlText(db).run('insert into meta (key, value) values (?, ?)', ['t-text', '1']);
      throw new Error('boom');
    }),
    /boom/,
  );
  const keys = await metaKeys();
  assert.ok(!keys.includes('t-builder') && !keys.includes('t-text'), 'both rolled back');
  assert.throws(() => sqlText(kept as NonNullable<typeof kept>), /not a store connection/);
  assert.throws(() => sqlText({} as never), /not a store connection/);
}

describe('sqlText', () => {
  test('runs in the store or in the transaction it is given, and rolls back with it (SQLite)', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      await sqlTextContract(store);
    } finally {
      await store.close();
    }
  });

  test('outside a transaction it waits for an open one instead of joining it (SQLite: one connection)', async () => {
    const store = await openStore({ url: '', dataDir: freshDir() });
    try {
      let entered!: () => void;
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const tx = store.tx(async (db) => {
        await db.insertInto('meta').values({ key: 'in-tx', value: '1' }).execute();
        entered();
        await held;
        throw new Error('rolled back');
      });
      await inside;
      const outside = sqlText(store.db).run('insert into meta (key, value) values (?, ?)', ['outside', '1']);
      release();
      await assert.rejects(tx, /rolled back/);
      assert.equal(await outside, 1);
      const keys = (await store.read<{ key: string }>('select key from meta', [])).map((r) => r.key);
      assert.ok(keys.includes('outside'), 'the write made outside survived the rollback');
      assert.ok(!keys.includes('in-tx'));
    } finally {
      await store.close();
    }
  });
});

describe("waiting for another connection's write lock (SQLite)", () => {
  /** Counts timer ticks while `during` runs: a busy wait inside SQLite would starve them. */
  async function ticksDuring<T>(during: Promise<T>): Promise<{ ticks: number; settled: PromiseSettledResult<T> }> {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const [settled] = await Promise.allSettled([during]);
      return { ticks, settled };
    } finally {
      clearInterval(timer);
    }
  }

  test('the event loop keeps turning and reads go on; the transaction commits once the lock is released', async () => {
    const dir = freshDir();
    const store = await openStore({ url: '', dataDir: dir });
    // Another connection of this process: it can only let go if the event loop turns.
    const holder = new Database(join(dir, 'tcssl.db'));
    try {
      holder.exec("begin immediate; insert into meta (key, value) values ('holder', '1')");
      const tx = store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', ['waiter', '1']));
      let readsMeanwhile = 0;
      const release = (async () => {
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 50));
          readsMeanwhile += (await store.read<{ key: string }>('select key from meta', [])).length > 0 ? 1 : 0;
        }
        holder.exec('commit');
      })();
      const { ticks, settled } = await ticksDuring(tx);
      await release;
      assert.equal(settled.status, 'fulfilled', String((settled as PromiseRejectedResult).reason));
      assert.equal(readsMeanwhile, 5);
      assert.ok(ticks >= 10, `${ticks} timer ticks while waiting about 250 ms`);
      assert.equal(await metaValue(store, 'waiter'), '1');
      assert.equal(await metaValue(store, 'holder'), '1');
    } finally {
      if (holder.inTransaction) holder.exec('rollback');
      holder.close();
      await store.close();
    }
  });

  test('a transaction that waits longer than busyTimeoutMs is told SQLITE_BUSY, without stopping the event loop', async () => {
    const dir = freshDir();
    const store = await openStore({ url: '', dataDir: dir, busyTimeoutMs: 300 });
    const holder = new Database(join(dir, 'tcssl.db'));
    try {
      holder.exec('begin immediate');
      const started = performance.now();
      const { ticks, settled } = await ticksDuring(
        store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', ['late', '1'])),
      );
      const waited = performance.now() - started;
      assert.equal(settled.status, 'rejected');
      assert.equal(((settled as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_BUSY');
      assert.ok(waited >= 300 && waited < 3000, `waited ${waited} ms`);
      assert.ok(ticks >= 10, `${ticks} timer ticks while waiting`);
      holder.exec('rollback');
      await store.tx((db) => sqlText(db).run('insert into meta (key, value) values (?, ?)', ['after', '1']));
      assert.equal(await metaValue(store, 'after'), '1');
      assert.equal(await metaValue(store, 'late'), undefined);
    } finally {
      if (holder.inTransaction) holder.exec('rollback');
      holder.close();
      await store.close();
    }
  });
});

describe('two stores on one file', () => {
  test('two openStore on the same file (the CLI and a server) can both write and see each other', async () => {
    const dir = freshDir();
    const server = await openStore({ url: '', dataDir: dir });
    const cli = await openStore({ url: '', dataDir: dir });
    try {
      await server.tx(async (db) => db.insertInto('meta').values({ key: 'server', value: '1' }).execute());
      await cli.tx(async (db) => db.insertInto('meta').values({ key: 'cli', value: '1' }).execute());
      await server.db.insertInto('meta').values({ key: 'server2', value: '1' }).execute();
      await cli.db.insertInto('meta').values({ key: 'cli2', value: '1' }).execute();
      for (const store of [server, cli]) {
        for (const key of ['server', 'cli', 'server2', 'cli2']) assert.equal(await metaValue(store, key), '1', key);
      }
    } finally {
      await cli.close();
      await server.close();
    }
  });

  test('a write waits for another process holding the write lock instead of failing, and both commit', async () => {
    const dir = freshDir();
    const server = await openStore({ url: '', dataDir: dir });
    const script = join(root, `child-${dirs}.mjs`);
    writeFileSync(
      script,
      `const { openStore } = await import(process.argv[2]);
const store = await openStore({ url: '', dataDir: process.argv[3] });
await store.tx(async (db) => {
  await db.insertInto('meta').values({ key: 'child', value: '1' }).execute();
  process.stdout.write('locked\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
});
await store.close();
`,
    );
    const dbModule = new URL('../../src/store/db.ts', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', 'tsx', script, dbModule, dir], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          if (c.toString().includes('locked')) resolve();
        });
        child.on('exit', () => reject(new Error(`child exited before locking: ${stderr}`)));
      });
      const started = Date.now();
      await server.tx(async (db) => db.insertInto('meta').values({ key: 'server', value: '1' }).execute());
      assert.ok(Date.now() - started >= 100, 'the server write should have waited for the child');
      assert.equal(await exited, 0, stderr);
      assert.equal(await metaValue(server, 'child'), '1');
      assert.equal(await metaValue(server, 'server'), '1');
    } finally {
      child.kill();
      await server.close();
    }
  });
});

describe('openStore on PostgreSQL', {
  skip: process.env.TCSSL_TEST_DB ? false : 'runs in CI’s PostgreSQL pass (TCSSL_TEST_DB)',
}, () => {
  test('migrations are idempotent, a transaction commits or rolls back whole, and bigint columns read as numbers', async () => {
    const { testDatabase } = await import('../support/world.js');
    const database = await testDatabase();
    try {
      const first = await openStore({ url: database.url, dataDir: freshDir() });
      await first.close();
      const store = await openStore({ url: database.url, dataDir: freshDir() });
      try {
        assert.equal(store.dialect, 'postgres');
        await store.tx(async (db) => {
          await db.insertInto('meta').values({ key: 'kept', value: '1' }).execute();
        });
        await assert.rejects(
          store.tx(async (db) => {
            await db.insertInto('meta').values({ key: 'dropped', value: '1' }).execute();
            throw new Error('boom');
          }),
          /boom/,
        );
        const keys = (await store.db.selectFrom('meta').select('key').execute()).map((r) => r.key);
        assert.ok(keys.includes('kept'));
        assert.ok(!keys.includes('dropped'));
        await store.db
          .insertInto('accounts')
          .values({
            uin: '100000000001',
            app_id: 1250000001,
            name: 'a',
            real_name_verified: 1,
            free_quota: 1,
            created_at: 1_700_000_000_000,
          })
          .execute();
        const row = await store.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
        assert.equal(typeof row.created_at, 'number');
        assert.equal(row.created_at, 1_700_000_000_000);
        await sqlTextContract(store);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });
});
