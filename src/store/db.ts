// Opens the store (SQLite file by default), runs migrations, and offers one way to run a write
// transaction. Knows no policy and no HTTP.

import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { afterDrain, runningBatch } from '../batch.js';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { migrationProvider } from './migrations.js';
import { cachedReads, freeze, heldForTheTurn, walIndexStamp } from './read-cache.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export type SqlParam = string | number | null;

/**
 * Statements by SQL text (`?` placeholders) on the connection a `Db` stands for: the store's own, or the one a
 * transaction holds, so they are part of it. For the fixed statements of the hot write path, which Kysely would
 * otherwise build and compile on every call (measured at about half of a CreateCertificate transaction).
 */
export interface SqlText {
  /** A statement without rows (insert, update, delete); the number of rows it changed. */
  run(sqlText: string, params: ReadonlyArray<SqlParam>): Promise<number>;
  /** A query's rows, as the builder would give them. */
  all<T>(sqlText: string, params: ReadonlyArray<SqlParam>): Promise<T[]>;
}

const sqlTextOf = new WeakMap<Db, SqlText>();

/** The SQL-text statements of a store's `db` or of the `db` a transaction was given. */
export function sqlText(db: Db): SqlText {
  const runner = sqlTextOf.get(db);
  if (!runner) throw new Error('sqlText: this Kysely instance is not a store connection or one of its transactions');
  return runner;
}

export interface Store {
  readonly db: Db;
  readonly dialect: 'sqlite' | 'postgres';
  /** A human description of where the data lives, for logs (no credentials). */
  readonly location: string;
  /**
   * Runs fn in one write transaction: all of its writes or none, isolated from every other transaction, and
   * committed before the promise settles. On SQLite the transactions of one turn of the event loop share one commit
   * (`groupCommit`): each is a savepoint inside one BEGIN IMMEDIATE, which takes the write lock up front so a
   * read-then-write never fails half-way on a lock upgrade when another process (the CLI) writes too.
   */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Transactions run and commits made since the store opened (on PostgreSQL one commit per transaction), and the
   * `read` calls, with those SQLite answered from its read cache (`cachedReads`).
   */
  readonly stats: Readonly<StoreStats>;
  /**
   * A read of hot-path rows by SQL text (`?` placeholders), outside any transaction, without Kysely's query building.
   * SQLite runs it synchronously on a second, read-only connection (WAL: it sees the last commit, never another
   * request's open transaction), or answers it from memory when no commit has been made since the same read
   * (`src/store/read-cache.ts`); PostgreSQL sends it on the pool as it stands. The rows are frozen on both.
   * Repositories use it for the few reads every request makes; everything else goes through `db`.
   */
  read<T>(sqlText: string, params: ReadonlyArray<string | number | null>): Promise<T[]>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreStats {
  transactions: number;
  commits: number;
  reads: number;
  /** reads answered from SQLite's read cache */
  readHits: number;
}

export interface StoreOptions {
  /** '' for SQLite in dataDir, sqlite:<file>, or postgres://user:pass@host:port/db */
  url: string;
  dataDir: string;
  /** SQLite: checkpoint the WAL from a worker thread instead of inside the commit that fills it (a server's store) */
  backgroundCheckpoints?: boolean;
  /** SQLite: WAL file size beyond which the writer starts the log over between commits (`boundedWal`); default 64 MiB */
  walLimitBytes?: number;
  /** SQLite: how often, at most, a commit looks at the WAL's size, ms; default 1000 */
  walCheckEveryMs?: number;
  /** SQLite: how long a transaction waits for another process's write lock before failing, ms; default 5000 */
  busyTimeoutMs?: number;
  /** SQLite: how long a commit group takes in more transactions after it began, ms; default 5 (tests raise it) */
  groupMaxMs?: number;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(opts.url)) return openPostgres(opts.url);
  if (opts.url && !opts.url.startsWith('sqlite:')) {
    throw new Error(`unsupported database URL scheme: ${opts.url.split(':')[0]}`);
  }
  const file = opts.url.startsWith('sqlite:') ? opts.url.slice('sqlite:'.length) : join(opts.dataDir, 'tcssl.db');
  const path = resolve(file);
  mkdirSync(resolve(path, '..'), { recursive: true, mode: 0o700 });
  const native = new SqliteDatabase(path);
  native.pragma('journal_mode = WAL');
  // Wait for a writer in another process (an admin command) instead of failing at once.
  native.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // In WAL mode NORMAL survives a process crash (SIGKILL); only an OS crash or power loss can lose the
  // last commits.
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  // A transaction of a commit group is a savepoint, whose undo pages go to a statement journal: in memory, not in a
  // temporary file.
  native.pragma('temp_store = MEMORY');
  // Every statement but a plain read (writes, BEGIN, COMMIT), Kysely's and the SQL-text ones, drops the read cache's
  // stamp held for the turn (read-cache.ts), so that a read after it reads the header again. Making it reads nothing.
  const stamp = heldForTheTurn(walIndexStamp(path));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(native, stamp.drop) }) });
  await migrate(db);
  let checkpointer: Checkpointer | undefined;
  if (opts.backgroundCheckpoints) {
    native.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(path, () => {
      if (native.open) native.pragma('wal_autocheckpoint = 1000');
    });
  }
  const reader = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
  reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const stats: StoreStats = { transactions: 0, commits: 0, reads: 0, readHits: 0 };
  const reads = cachedReads(rowReader(cachingStatements(reader)), stamp, stats);
  // A restarted log is cut back to the limit, so the file does not stay at its largest (boundedWal).
  const walLimit = opts.walLimitBytes ?? WAL_LIMIT_BYTES;
  native.pragma(`journal_size_limit = ${walLimit}`);
  const walBound = boundedWal(native, `${path}-wal`, walLimit, opts.walCheckEveryMs ?? 1000);
  // A log left large by an earlier process (or by a version without this bound) is emptied now, not after a commit.
  walBound(true);
  // The writer's SQL-text statements are cached apart from Kysely's: rowReader switches its statements to arrays.
  const writerStatements = cachingStatements(native, stamp.drop);
  const writerRows = rowReader(writerStatements);
  const direct: SqlText = {
    async run(text, params) {
      return writerStatements.prepare(text).run(...params).changes;
    },
    async all<T>(text: string, params: ReadonlyArray<SqlParam>) {
      return writerRows<T>(text, params);
    },
  };
  // Outside a transaction, each statement waits for the connection like Kysely's own (one may be open).
  sqlTextOf.set(db, {
    run: (text, params) => db.connection().execute(() => direct.run(text, params)),
    all: <T>(text: string, params: ReadonlyArray<SqlParam>) =>
      db.connection().execute(() => direct.all<T>(text, params)),
  });
  return {
    db,
    dialect: 'sqlite',
    location: path,
    async read<T>(sqlText: string, params: ReadonlyArray<string | number | null>) {
      return reads<T>(sqlText, params);
    },
    tx: groupCommit(db, native, direct, stats, walBound, {
      busyTimeoutMs: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS,
      groupMaxMs: opts.groupMaxMs ?? GROUP_MAX_MS,
    }),
    stats,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await checkpointer?.stop();
      // The writer closes last: SQLite's last connection to close checkpoints the log and removes it, which the
      // read-only connection cannot do.
      reader.close();
      await db.destroy();
    },
  };
}

const BUSY_TIMEOUT_MS = 5000;
const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Keeps the WAL file from growing without bound. SQLite starts the log over from its beginning only when a write
 * transaction begins after a checkpoint has copied every frame back; the checkpointer's PASSIVE checkpoints, in
 * another thread, rarely catch up with a writer that commits group after group, so the file grew for as long as the
 * load lasted: fifteen seconds of CreateCertificate load left a 610 MB log beside a 19 MB database. So, at most every
 * `everyMs` after a commit, the writer looks at the file's size and, past `limit`, runs a RESTART checkpoint: it
 * copies back the frames the checkpointer has not yet (a quarter of a second's worth at most), and the next commit
 * starts the log over, cutting the file back to `limit` (journal_size_limit, set by openStore). About 12 ms on the
 * benchmark's VM at 64 MB; a TRUNCATE, which empties the file, took 89, most of it freeing the file's pages, and is
 * left to start-up (`force`) and to the close, which removes the file. It waits for no one (busy_timeout 0 for it):
 * when another process's reader or the checkpointer holds the log, the next look tries again, so the bound is a soft
 * one. The writer's own reads are not in the way (the read-only connection runs on this thread, so none is open
 * meanwhile).
 */
function boundedWal(native: SqliteDatabase.Database, walFile: string, limit: number, everyMs: number) {
  let lastLook = Number.NEGATIVE_INFINITY;
  return (force = false) => {
    const now = performance.now();
    if (!force && now - lastLook < everyMs) return;
    lastLook = now;
    let size: number;
    try {
      size = statSync(walFile).size;
    } catch {
      return;
    }
    if (size <= limit) return;
    try {
      withoutBusyWait(native, () => native.pragma(force ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(RESTART)'));
    } catch {
      // busy or interrupted: the log stays as it is until the next look
    }
  };
}

/** Runs fn on the writer with busy_timeout 0, so that SQLite answers SQLITE_BUSY at once instead of sleeping. */
function withoutBusyWait<T>(native: SqliteDatabase.Database, fn: () => T): T {
  native.pragma('busy_timeout = 0');
  try {
    return fn();
  } finally {
    native.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** Most transactions one commit takes, and longest it waits for more after its first began, ms. */
const GROUP_MAX = 64;
const GROUP_MAX_MS = 5;

interface Waiting {
  fn: (db: Db) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/**
 * SQLite's `Store.tx`: group commit. Each commit writes every page the transaction changed to the WAL (two writes a
 * page, about fourteen pages for a new order with its log entry and count), and a commit was most of a
 * CreateCertificate's own work. Transactions that arrive while one runs, or in the same turn of the event loop,
 * run one after another inside one BEGIN IMMEDIATE, each as a savepoint, and share its COMMIT, so pages that several
 * of them change (a table's last leaf, an index's newest entries, the count rows) are written once.
 *
 * What each caller sees does not change: its transaction is all or nothing (a failure rolls back to its savepoint
 * and rejects only its own promise), runs alone on the connection (the next starts only when it has finished, and
 * sees its writes, as it would after a commit of its own), and its promise resolves only after the COMMIT that
 * made it durable, so a read on another connection after that sees it. A COMMIT that fails, or an error that makes
 * SQLite abandon the whole transaction, rejects every transaction of the group still waiting for it. Statements
 * outside a transaction wait for the group on Kysely's connection lock, as they waited for a single transaction.
 * Latency: a group commits when no transaction is left after its waits for more (`runGroup`), after GROUP_MAX
 * transactions, or once GROUP_MAX_MS have passed since it began (looked at between transactions), whichever comes
 * first; a transaction alone commits at the end of its callback's drain if it came from the API's batch, and at the
 * next check phase of the event loop otherwise.
 */
function groupCommit(
  db: Db,
  native: SqliteDatabase.Database,
  direct: SqlText,
  stats: StoreStats,
  afterCommit: () => void,
  limits: { busyTimeoutMs: number; groupMaxMs: number },
) {
  const { busyTimeoutMs, groupMaxMs } = limits;
  const control = {
    begin: native.prepare('begin immediate'),
    commit: native.prepare('commit'),
    rollback: native.prepare('rollback'),
    savepoint: native.prepare('savepoint tx'),
    release: native.prepare('release tx'),
    undo: native.prepare('rollback to tx'),
  };
  const queue: Array<Waiting & { since: number }> = [];
  let running = false;
  /**
   * The end of the current drain (`afterDrain`): the transactions that the callback's promise chains reach have joined
   * by then (one reached through a later round of ticks joins the next group).
   */
  const endOfDrain = () => new Promise<void>((resolve) => afterDrain(resolve));
  /** The next check phase of the event loop: what the sockets and threads of this poll phase start has joined. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /**
   * BEGIN IMMEDIATE without blocking the event loop. With the connection's busy_timeout, a write lock held by
   * another process (the CLI, a SQL shell) made SQLite sleep inside the call, freezing every request, health check
   * and read of this process for up to busy_timeout, once per transaction in line. Here the attempt does not wait
   * (busy_timeout 0 for it) and a busy database is tried again after a pause, while the event loop goes on; a
   * transaction that has waited busyTimeoutMs in all is told SQLITE_BUSY, as before. False: no one is left waiting.
   */
  const begin = async (): Promise<boolean> => {
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      try {
        withoutBusyWait(native, () => control.begin.run());
        return true;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
        const now = performance.now();
        while (queue.length > 0 && now - queue[0].since >= busyTimeoutMs) queue.shift()?.reject(e);
        if (queue.length === 0) return false;
      }
      await sleep(pause);
    }
  };

  /**
   * One group: BEGIN, the waiting transactions in turn, COMMIT; then the group's callers hear of it. `gather`: the
   * group may wait for more transactions (false for a group of transactions left over by the one before, which have
   * waited already): first until the end of the drain it began in (`endOfDrain`), and then, if it is still one
   * transaction alone and did not begin in the API's batch, until the next check phase of the event loop, once.
   *
   * The API's fast path starts all the requests a poll phase read in one callback of the check phase
   * (gateway/api-fast-path.ts, src/batch.ts): their transactions join within that callback's drain, and the group
   * commits at its end, alone or not, instead of holding them for a further turn; no other write of the batch is
   * coming. A transaction that starts from a callback of its own (a key or a signature from a worker thread, a Fastify
   * route) finds itself alone after its drain and waits for the check phase, so that those the same poll phase's
   * callbacks start share its commit.
   */
  const runGroup = (conn: Db, gather: boolean) => {
    const done: Array<{ w: Waiting; value: unknown }> = [];
    // Transactions that failed are told so only with the group's outcome: a failure may rest on an earlier
    // transaction's writes (an order another transaction just cancelled), which count only once committed.
    const refused: Array<{ w: Waiting; error: unknown }> = [];
    // What failed was the group's, so the others are told that, with the cause; `own` is the one that caused it.
    const failAll = (cause: unknown, own?: Waiting) => {
      const why = cause instanceof Error ? cause.message : String(cause);
      const lost = () => new Error(`transaction not committed: ${why}`, { cause });
      for (const d of done.splice(0)) d.w.reject(lost());
      for (const r of refused.splice(0)) r.w.reject(r.w === own ? r.error : lost());
    };
    return (async () => {
      try {
        if (!(await begin())) return;
      } catch (e) {
        // Not busy but broken (I/O, a closed connection): the next transaction is told.
        queue.shift()?.reject(e);
        return;
      }
      sqlTextOf.set(conn, direct);
      const began = performance.now();
      // 'drain': may wait for the end of the drain; 'turn': may wait for the check phase if still alone; 'closed'.
      let waits: 'drain' | 'turn' | 'closed' = gather ? 'drain' : 'closed';
      const fromBatch = runningBatch();
      try {
        for (;;) {
          const w = queue.shift();
          if (!w) {
            const size = done.length + refused.length;
            if (size === 0 || waits === 'closed' || (waits === 'turn' && (size > 1 || fromBatch))) break;
            // Each wait happens once: waiting again would hold every transaction so far for a whole further turn,
            // which under load is the next round of reads (15-25 ms at 64 connections).
            if (waits === 'drain') {
              waits = 'turn';
              await endOfDrain();
            } else {
              waits = 'closed';
              await nextTurn();
            }
            continue;
          }
          stats.transactions++;
          try {
            control.savepoint.run();
            const value = await w.fn(conn);
            control.release.run();
            done.push({ w, value });
          } catch (e) {
            refused.push({ w, error: e });
            if (!native.inTransaction) {
              // SQLite abandoned the whole transaction (ON CONFLICT ROLLBACK, a full disk, ...): the group's earlier
              // transactions went with it.
              failAll(e, w);
              return;
            }
            try {
              control.undo.run();
              control.release.run();
            } catch (undoFailed) {
              failAll(undoFailed);
              if (native.inTransaction) control.rollback.run();
              return;
            }
          }
          if (done.length + refused.length >= GROUP_MAX || performance.now() - began >= groupMaxMs) break;
        }
        control.commit.run();
        stats.commits++;
      } catch (e) {
        failAll(e);
        try {
          if (native.inTransaction) control.rollback.run();
        } catch {
          // the first error is the one to report
        }
        return;
      } finally {
        sqlTextOf.delete(conn);
      }
      for (const d of done) d.w.resolve(d.value);
      for (const r of refused) r.w.reject(r.error);
      // Still holding the connection, outside any transaction.
      afterCommit();
    })();
  };

  const drain = async () => {
    try {
      // Only the first group of a run gathers: the next ones start with transactions that arrived while the one
      // before ran, and are as complete as they will get this turn.
      for (let first = true; queue.length > 0; first = false) {
        await db.connection().execute((conn) => runGroup(conn, first));
      }
    } finally {
      running = false;
    }
  };

  return <T>(fn: (db: Db) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, since: performance.now() });
      if (!running) {
        running = true;
        drain().catch((e: unknown) => {
          // Kysely could not give the connection (the store is closing): nothing waiting can run.
          for (const w of queue.splice(0)) w.reject(e);
        });
      }
    });
}

/**
 * Kysely's SQLite driver prepares every query anew, which the benchmark profile showed as the largest single cost of
 * a request (18% of DescribeCertificate). The same SQL text always gives the same statement, and Kysely runs one
 * statement at a time on this connection, so prepared statements are kept (a bounded number, least recently used
 * dropped first) and reused.
 */
function cachingStatements(native: SqliteDatabase.Database, onWrite?: () => void, max = 512) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => native.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText);
      } else {
        stmt = native.prepare(sqlText);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sqlText, stmt);
      // Any statement but a read: writes, and transaction control (BEGIN, COMMIT), which SQLite counts read-only.
      // Its callers run a statement as soon as they have it.
      if (onWrite !== undefined && !(stmt.readonly && stmt.reader)) onWrite();
      return stmt;
    },
  };
}

/**
 * Rows of the read-only connection as plain objects, built faster than better-sqlite3 builds them: its rows set each
 * column by name on a fresh object (about 30 µs for the forty columns of a certificate, measured), while an array
 * row (`raw()`) and one object literal of a fixed shape per statement take about 13. The literal is compiled once
 * per statement from the statement's own column names, which must be plain identifiers (they come from tcssl's
 * schema); any other name (or `__proto__`), or a duplicate, falls back to a loop that defines each as its own.
 */
function rowReader(statements: ReturnType<typeof cachingStatements>) {
  const mappers = new WeakMap<SqliteDatabase.Statement, (row: unknown[]) => unknown>();
  return <T>(sqlText: string, params: ReadonlyArray<string | number | null>): T[] => {
    const stmt = statements.prepare(sqlText);
    let toRow = mappers.get(stmt);
    if (!toRow) {
      stmt.raw(true);
      toRow = rowMapper(stmt.columns().map((c) => c.name));
      mappers.set(stmt, toRow);
    }
    const rows = stmt.all(...params) as unknown[][];
    const out = new Array<T>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = toRow(rows[i]) as T;
    return out;
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function rowMapper(names: string[]): (row: unknown[]) => unknown {
  if (names.every((n) => IDENTIFIER.test(n) && n !== '__proto__') && new Set(names).size === names.length) {
    return new Function('r', `return {${names.map((n, i) => `${n}: r[${i}]`).join(', ')}};`) as (
      row: unknown[],
    ) => unknown;
  }
  return (row) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      Object.defineProperty(o, names[i], { value: row[i], enumerable: true, writable: true, configurable: true });
    }
    return o;
  };
}

const numbered = new Map<string, string>();

/** PostgreSQL's form of SQL text written with `?` placeholders ($1, $2, ...), kept per text. */
export function numberedPlaceholders(text: string): string {
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    if (numbered.size >= 1024) numbered.clear();
    numbered.set(text, out);
  }
  return out;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

async function openPostgres(url: string): Promise<Store> {
  const pg = (await import('pg')).default;
  // int8 (bigint) columns hold epoch milliseconds and ids well inside 2^53: read them as numbers, as SQLite does.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // A broken idle connection must not crash the process; the next query gets a fresh one.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db);
  const stats: StoreStats = { transactions: 0, commits: 0, reads: 0, readHits: 0 };
  const onPool = async (text: string, params: ReadonlyArray<SqlParam>) =>
    pool.query(numberedPlaceholders(text), [...params]);
  sqlTextOf.set(db, {
    run: async (text, params) => (await onPool(text, params)).rowCount ?? 0,
    all: async <T>(text: string, params: ReadonlyArray<SqlParam>) => (await onPool(text, params)).rows as T[],
  });
  return {
    db,
    dialect: 'postgres',
    location: redactUrl(url),
    async read<T>(text: string, params: ReadonlyArray<SqlParam>) {
      stats.reads++;
      // Frozen as SQLite's are, so that a caller that would change a row fails on both.
      return freeze((await onPool(text, params)).rows as T[]);
    },
    stats,
    async tx(fn) {
      stats.transactions++;
      // READ COMMITTED plus row locks (SELECT ... FOR UPDATE in the repositories) where a read decides a write.
      const result = await db.transaction().execute(async (trx) => {
        const inTx = (text: string, params: ReadonlyArray<SqlParam>) =>
          trx.executeQuery(CompiledQuery.raw(numberedPlaceholders(text), [...params]));
        sqlTextOf.set(trx, {
          run: async (text, params) => Number((await inTx(text, params)).numAffectedRows ?? 0),
          all: async <T>(text: string, params: ReadonlyArray<SqlParam>) => (await inTx(text, params)).rows as T[],
        });
        try {
          return await fn(trx);
        } finally {
          sqlTextOf.delete(trx);
        }
      });
      stats.commits++;
      return result;
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

async function migrate(db: Kysely<Database>): Promise<void> {
  // Several processes may start on one fresh store at once (a server and an admin command, or many nodes).
  // Each migration runs in its own transaction, so a process that loses the race fails cleanly on a table the
  // winner just made; after a short wait it finds those migrations recorded and goes on from there.
  for (let attempt = 1; ; attempt++) {
    const migrator = new Migrator({ db, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    if (attempt >= 5) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
    }
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200 * attempt));
  }
}
