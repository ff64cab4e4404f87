// Store.read's cache on SQLite: an answer is reused only while the wal-index header reads the same, so a commit by
// this store is seen at the very next read, and one by another connection or another process from the next turn of
// the event loop (the header is read once a turn). The cache's own rules (keys, bounds, frozen rows, the header read
// before the query) are checked with a fake read and a fake stamp.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../../src/store/db.js';
import { cachedReads, heldForTheTurn, type RawRead, walIndexStamp } from '../../src/store/read-cache.js';
import { tempDir } from '../support/world.js';

describe('cachedReads', () => {
  /** A fake table: each read returns fresh row objects holding the value now, and is counted. */
  function fakeStore() {
    const state = { value: 1, stamp: 'a' as string | null, queries: 0, rows: 1 };
    const read = (<T>(sqlText: string, params: ReadonlyArray<string | number | null>) => {
      state.queries++;
      return Array.from({ length: state.rows }, () => ({ sqlText, params: [...params], value: state.value })) as T[];
    }) as RawRead;
    const counts = { reads: 0, readHits: 0, commits: 0 };
    return { state, counts, read, stamp: () => state.stamp };
  }

  test('the same read under the same header is answered from memory, with the same frozen rows', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    const first = reads<{ value: number }>('select 1', ['x']);
    const second = reads<{ value: number }>('select 1', ['x']);
    assert.equal(second, first);
    assert.equal(f.state.queries, 1);
    assert.deepEqual(f.counts, { reads: 2, readHits: 1, commits: 0 });
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first[0]));
    assert.throws(() => {
      (first[0] as { value: number }).value = 2;
    }, TypeError);
  });

  test('a new header empties the cache: the next read queries again', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    assert.equal(reads<{ value: number }>('q', [])[0].value, 1);
    f.state.value = 2;
    f.state.stamp = 'b';
    assert.equal(reads<{ value: number }>('q', [])[0].value, 2);
    assert.equal(reads<{ value: number }>('q', [])[0].value, 2);
    assert.equal(f.state.queries, 2);
  });

  test('no header (mid-write, no file) means no reuse, and nothing kept for later', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    f.state.stamp = null;
    reads('q', []);
    reads('q', []);
    assert.equal(f.state.queries, 2);
    f.state.stamp = 'a';
    reads('q', []);
    assert.equal(f.state.queries, 3, 'a read made without a header was not filed under one');
    assert.ok(Object.isFrozen(reads('q', [])), 'rows are frozen on every path');
  });

  test('parameters are told apart by type and value, and SQL by its text', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    const keys: Array<[string, Array<string | number | null>]> = [
      ['q', [1]],
      ['q', ['1']],
      ['q', [null]],
      ['q', ['null']],
      ['q', ['a', 'b']],
      ['q', ['a,b']],
      ['q', []],
      ['q ', []],
    ];
    for (const [text, params] of keys) {
      const [row] = reads<{ sqlText: string; params: unknown[] }>(text, params);
      assert.equal(row.sqlText, text);
      assert.deepEqual(row.params, params);
    }
    assert.equal(f.state.queries, keys.length);
  });

  test('answers longer than maxRows are not kept, and at most maxEntries are', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts, { maxEntries: 3, maxRows: 2 });
    f.state.rows = 3;
    reads('long', []);
    reads('long', []);
    assert.equal(f.state.queries, 2);
    f.state.rows = 1;
    for (const k of ['a', 'b', 'c', 'd']) reads(k, []);
    assert.equal(f.state.queries, 6);
    reads('d', []);
    reads('b', []);
    assert.equal(f.state.queries, 6, 'the three newest are kept');
    reads('a', []);
    assert.equal(f.state.queries, 7, 'the oldest went first');
  });

  test('the header is read before the query it vouches for', () => {
    const order: string[] = [];
    const reads = cachedReads(
      (() => {
        order.push('query');
        return [];
      }) as RawRead,
      () => {
        order.push('stamp');
        return 's';
      },
      { reads: 0, readHits: 0, commits: 0 },
    );
    reads('q', []);
    assert.deepEqual(order, ['stamp', 'query']);
  });

  test("this process's own commit empties the cache even if the header did not change", () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    reads('q', []);
    f.state.value = 2;
    f.counts.commits++;
    assert.equal(reads<{ value: number }>('q', [])[0].value, 2);
    assert.equal(f.state.queries, 2);
  });

  test('a parameter JSON cannot tell from null (NaN, the infinities) is never cached', () => {
    const f = fakeStore();
    const reads = cachedReads(f.read, f.stamp, f.counts);
    reads('q', [null]);
    const [row] = reads<{ params: unknown[] }>('q', [Number.NaN]);
    assert.ok(Number.isNaN(row.params[0]));
    reads('q', [Number.POSITIVE_INFINITY]);
    assert.equal(f.state.queries, 3);
  });

  test('the text kept is bounded: the oldest answers go first, and an answer too large is not kept', () => {
    let size = 150;
    let queries = 0;
    const read = (<T>(sqlText: string) => {
      queries++;
      return [{ sqlText, text: 'x'.repeat(size) }] as T[];
    }) as RawRead;
    const reads = cachedReads(read, () => 's', { reads: 0, readHits: 0, commits: 0 }, { maxChars: 1000 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) reads(k, []); // 151 characters each
    reads('a', []);
    assert.equal(queries, 5, 'five answers fit');
    reads('f', []);
    reads('g', []); // 7 x 151 > 1000: the oldest goes
    reads('b', []);
    assert.equal(queries, 7, 'b is still kept');
    reads('a', []);
    assert.equal(queries, 8, 'a went first');
    size = 400;
    reads('big', []);
    reads('big', []);
    assert.equal(queries, 10, 'an answer above a quarter of the budget is not kept');
  });
});

describe('heldForTheTurn', () => {
  test('the stamp is read once a turn: promise jobs of the turn share it, the next turn reads it again', async () => {
    let n = 0;
    const held = heldForTheTurn(() => `s${++n}`);
    assert.equal(held(), 's1');
    assert.equal(held(), 's1');
    await Promise.resolve();
    assert.equal(held(), 's1', 'a promise job of the same turn');
    await nextTurn();
    assert.equal(held(), 's2');
  });

  test('each callback node runs is a turn of its own, even within one phase of the loop', async () => {
    let n = 0;
    const held = heldForTheTurn(() => `s${++n}`);
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      setImmediate(() => seen.push(held() as string, held() as string));
      setImmediate(() => {
        seen.push(held() as string);
        resolve();
      });
    });
    assert.deepEqual(seen, ['s1', 's1', 's2']);
  });

  test('a stamp first read inside a tick is held through the promise jobs that follow it', async () => {
    let n = 0;
    const held = heldForTheTurn(() => `s${++n}`);
    const seen = await new Promise<string[]>((resolve) => {
      process.nextTick(async () => {
        const first = held() as string;
        await Promise.resolve();
        await Promise.resolve();
        resolve([first, held() as string]);
      });
    });
    assert.deepEqual(seen, ['s1', 's1']);
    await nextTurn();
    assert.equal(held(), 's2');
  });

  test('a miss reads the header again only when the held one was not read by that same call', async () => {
    let n = 0;
    const held = heldForTheTurn(() => {
      n++;
      return 'same';
    });
    const reads = cachedReads((() => [{ v: 1 }]) as RawRead, held, { reads: 0, readHits: 0, commits: 0 });
    await nextTurn();
    reads('a', []);
    assert.equal(n, 1, 'the first read of the turn read the header once');
    assert.equal(held.readAnew, true, 'and the miss took it as it was');
    reads('b', []);
    assert.equal(n, 2, 'a later miss in the turn read it again');
    reads('b', []);
    assert.equal(n, 2, 'a hit did not');
  });

  test('a null stamp (nothing to vouch for) is held too, and read again next turn', async () => {
    let value: string | null = null;
    const held = heldForTheTurn(() => value);
    assert.equal(held(), null);
    value = 'a';
    assert.equal(held(), null);
    await nextTurn();
    assert.equal(held(), 'a');
  });
});

/** Resolves in a later turn of the event loop, after this turn's ticks and promise jobs. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Store.read on SQLite', () => {
  let dir: string;
  let store: Store;
  /** Runs body in another node process, with `d` a better-sqlite3 connection to the store's file; its stdout. */
  const inChild = (body: string): string => {
    const script = join(dir, 'child.cjs');
    writeFileSync(
      script,
      `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
       const d = new D(${JSON.stringify(join(dir, 'tcssl.db'))});
       ${body}`,
    );
    return execFileSync(process.execPath, [script], { encoding: 'utf8' });
  };
  const version = async () =>
    (await store.read<{ value: string }>("select value from meta where key = 'tcssl_read_cache_test'", []))[0]?.value;

  before(async () => {
    dir = tempDir('tcssl-read-cache-');
    store = await openStore({ url: '', dataDir: dir });
    await store.tx(async (db) => {
      await db.insertInto('meta').values({ key: 'tcssl_read_cache_test', value: '1' }).execute();
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a read repeated with no commit between is a hit; the header is stable meanwhile', async () => {
    const stamp = walIndexStamp(join(dir, 'tcssl.db'));
    const s1 = stamp();
    assert.ok(s1 !== null && s1.length === 48);
    const before = { ...store.stats };
    assert.equal(await version(), '1');
    assert.equal(await version(), '1');
    assert.equal(store.stats.reads - before.reads, 2);
    assert.equal(store.stats.readHits - before.readHits, 1);
    assert.equal(stamp(), s1);
  });

  test("this store's own commit is seen at the next read", async () => {
    assert.equal(await version(), '1');
    await store.tx(async (db) => {
      await db.updateTable('meta').set({ value: '2' }).where('key', '=', 'tcssl_read_cache_test').execute();
    });
    assert.equal(await version(), '2');
  });

  test("this store's own write outside a transaction is seen at the next read of the same turn", async () => {
    await nextTurn();
    const was = await version();
    await store.db
      .updateTable('meta')
      .set({ value: 'autocommit' })
      .where('key', '=', 'tcssl_read_cache_test')
      .execute();
    assert.equal(await version(), 'autocommit');
    await store.db
      .updateTable('meta')
      .set({ value: was ?? null })
      .where('key', '=', 'tcssl_read_cache_test')
      .execute();
    assert.equal(await version(), was);
  });

  test("this store's commit group is seen in the turn it commits, after a read inside it", async () => {
    const grouped = await openStore({ url: '', dataDir: dir, groupMaxMs: 0 });
    const read = async () =>
      (await grouped.read<{ value: string }>("select value from meta where key = 'tcssl_read_cache_test'", []))[0]
        ?.value;
    try {
      await nextTurn();
      const was = await read();
      await grouped.tx(async (db) => {
        await db.updateTable('meta').set({ value: 'grouped' }).where('key', '=', 'tcssl_read_cache_test').execute();
        // The read-only connection does not see the open transaction: this files the old value under the header.
        assert.equal(await read(), was);
      });
      // The group committed in this same turn, through a COMMIT that drops no stamp: its count empties the cache.
      assert.equal(await read(), 'grouped');
      await grouped.tx(async (db) => {
        await db
          .updateTable('meta')
          .set({ value: was ?? null })
          .where('key', '=', 'tcssl_read_cache_test')
          .execute();
      });
    } finally {
      await grouped.close();
    }
  });

  test('reads of one turn never go back in time: a miss after a commit elsewhere reads the header again', async () => {
    const other = new Database(join(dir, 'tcssl.db'));
    const value = async (key: string) =>
      (await store.read<{ value: string }>('select value from meta where key = ?', [key]))[0]?.value;
    try {
      other.prepare("insert or replace into meta (key, value) values ('tcssl_rc_a', 'a0'), ('tcssl_rc_b', 'b0')").run();
      await nextTurn();
      assert.equal(await value('tcssl_rc_a'), 'a0');
      other
        .prepare("update meta set value = substr(key, 10, 1) || '1' where key in ('tcssl_rc_a', 'tcssl_rc_b')")
        .run();
      assert.equal(await value('tcssl_rc_a'), 'a0', 'a hit under the header held for the turn');
      assert.equal(await value('tcssl_rc_b'), 'b1', 'a miss reads the store as it is');
      assert.equal(await value('tcssl_rc_a'), 'a1', 'and what is read after it is no older');
    } finally {
      other.close();
    }
  });

  test("another connection's commit changes the header and is seen from the next turn", async () => {
    const stamp = walIndexStamp(join(dir, 'tcssl.db'));
    const other = new Database(join(dir, 'tcssl.db'));
    try {
      await nextTurn();
      assert.equal(await version(), '2');
      const s1 = stamp();
      other.prepare("update meta set value = '3' where key = 'tcssl_read_cache_test'").run();
      assert.notEqual(stamp(), s1);
      assert.equal(await version(), '2', 'the turn that read the header before the commit still holds it');
      await nextTurn();
      assert.equal(await version(), '3');
    } finally {
      other.close();
    }
  });

  test("another process's commit is seen from the next turn", async () => {
    assert.notEqual(await version(), '4');
    inChild(`d.pragma('busy_timeout = 5000');
       d.prepare("update meta set value = '4' where key = 'tcssl_read_cache_test'").run();
       d.close();`);
    await nextTurn();
    assert.equal(await version(), '4');
  });

  test('rows from Store.read are frozen, hit or miss', async () => {
    const rows = await store.read<{ value: string }>("select value from meta where key = 'tcssl_read_cache_test'", []);
    assert.ok(Object.isFrozen(rows) && Object.isFrozen(rows[0]));
  });

  test('a stamp of a missing file, or of a header not written or not a WAL index, is null', async () => {
    assert.equal(walIndexStamp(join(dir, 'no-such.db'))(), null);
    const fake = join(dir, 'fake.db');
    writeFileSync(fake, '');
    writeFileSync(`${fake}-shm`, Buffer.alloc(32768));
    assert.equal(walIndexStamp(fake)(), null, 'two equal copies of zeros');
    const header = Buffer.alloc(48);
    header.writeUInt32LE(3007000, 0);
    header[12] = 1;
    writeFileSync(`${fake}-shm`, Buffer.concat([header, header, Buffer.alloc(1000)]));
    assert.equal(walIndexStamp(fake)()?.length, 48);
    header.writeUInt32LE(3021000, 0);
    writeFileSync(`${fake}-shm`, Buffer.concat([header, header, Buffer.alloc(1000)]));
    assert.equal(walIndexStamp(fake)(), null, 'another wal-index version');
  });

  test('a database reached through a symbolic link is stamped from the -shm beside its real file', async () => {
    const link = join(dir, 'linked.db');
    symlinkSync(join(dir, 'tcssl.db'), link);
    // A leftover file beside the link must not be read.
    writeFileSync(`${link}-shm`, Buffer.alloc(32768));
    assert.equal(walIndexStamp(link)(), walIndexStamp(join(dir, 'tcssl.db'))());
    assert.notEqual(walIndexStamp(link)(), null);
  });

  test("opening and closing a second store on the file leaves this process's locks in place", async () => {
    // SQLite's cross-process locks are POSIX locks, which closing any descriptor of the file would drop.
    const holder = new Database(join(dir, 'tcssl.db'));
    holder.prepare('begin immediate').run();
    try {
      const second = await openStore({ url: '', dataDir: dir });
      await second.read("select value from meta where key = 'iam_version'", []);
      await second.close();
      const outcome = inChild(`d.pragma('busy_timeout = 0');
         try { d.prepare('begin immediate').run(); process.stdout.write('took the write lock'); }
         catch (e) { process.stdout.write(e.code); }`);
      assert.equal(outcome, 'SQLITE_BUSY');
    } finally {
      holder.prepare('rollback').run();
      holder.close();
    }
  });
});
