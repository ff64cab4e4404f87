// The answers of `Store.read` on SQLite, kept until the next commit by anyone. A store's content changes only by a
// commit, and in WAL mode every commit, by any connection of any process, rewrites the wal-index header at the start
// of the `-shm` file (https://www.sqlite.org/walformat.html: two copies of a 48-byte header; the commit counter
// iChange, the last frame mxFrame and the checksums change with each commit, the salts with each restart of the log).
// So while those bytes read the same, a read gives the same rows, and a hot read (a request's IAM version, the
// certificate it describes, a list page) is answered from memory: one pread of 96 bytes instead of a read transaction,
// which under load costs several times its cost alone (bench/README.md, "The floor").
//
// The header is read before the query it validates, never after: a commit landing between the two leaves rows newer
// than the stamp they are filed under, which the next read (seeing a newer header) never uses; the other order would
// file old rows under the new header. Rows are frozen: every caller gets the same objects. The header is read once a
// turn of the event loop, and again at each miss (`heldForTheTurn`).

import { fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { afterDrain } from '../batch.js';

export type RawRead = <T>(sqlText: string, params: ReadonlyArray<string | number | null>) => T[];

/** Size of one copy of the wal-index header; the file begins with two. */
const HEADER_BYTES = 48;
/** iVersion of a WAL-mode wal-index (WALINDEX_MAX_VERSION), in the header's first four bytes, native byte order. */
const WALINDEX_VERSION = 3007000;
/** isInit, set once the header has been written. */
const IS_INIT_OFFSET = 12;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * One descriptor per `-shm` file for the life of the process, never closed. SQLite's cross-process locks on that
 * file are POSIX locks, and closing any descriptor of a file drops every lock the process holds on it: a close here
 * would let another process take the write lock this one holds (SQLite keeps its own descriptors open for the same
 * reason). A file replaced under the same path (the last connection removed it, a store opened it again) gets a new
 * descriptor; the old one stays open, pointing at the removed file.
 */
const descriptors = new Map<string, { fd: number; dev: number; ino: number }>();

function descriptorOf(shmPath: string): number | null {
  let now: { dev: number; ino: number };
  try {
    now = statSync(shmPath);
  } catch {
    return null;
  }
  const known = descriptors.get(shmPath);
  if (known && known.dev === now.dev && known.ino === now.ino) return known.fd;
  const fd = openSync(shmPath, 'r');
  const opened = fstatSync(fd);
  descriptors.set(shmPath, { fd, dev: opened.dev, ino: opened.ino });
  return fd;
}

/**
 * The wal-index header of the database at dbPath, or null while it cannot vouch for anything: no file yet, a header
 * being written (its two copies differ), not initialised, or not a WAL index this code knows. The `-shm` file sits
 * beside the database's real path: SQLite follows symbolic links to it.
 */
export function walIndexStamp(dbPath: string): () => string | null {
  let shmPath: string | undefined;
  let fd: number | null = null;
  const buf = Buffer.alloc(2 * HEADER_BYTES);
  return () => {
    try {
      shmPath ??= `${realpathSync(dbPath)}-shm`;
      fd ??= descriptorOf(shmPath);
      if (fd === null || readSync(fd, buf, 0, buf.length, 0) !== buf.length) return null;
    } catch {
      return null;
    }
    // SQLite writes the second copy, then the first: copies that differ are a header being written.
    if (buf.compare(buf, 0, HEADER_BYTES, HEADER_BYTES, 2 * HEADER_BYTES) !== 0) return null;
    const version = LITTLE_ENDIAN ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
    if (buf[IS_INIT_OFFSET] !== 1 || version !== WALINDEX_VERSION) return null;
    return buf.toString('latin1', 0, HEADER_BYTES);
  };
}

/**
 * The wal-index header now, or null; with `drop`, one held for a while, which `drop` makes the next call read again,
 * and `readAnew`, whether the last call read it rather than the held one.
 */
export interface Stamp {
  (): string | null;
  drop?(): void;
  readonly readAnew?: boolean;
}

/** A stamp held for the rest of a turn once read. */
export interface HeldStamp extends Stamp {
  drop(): void;
  readonly readAnew: boolean;
}

/**
 * `stamp` read at most once per turn of the event loop, by which this code means one callback and the ticks and
 * promise jobs that follow it: the first read of a turn takes it, and it is dropped at the first round of ticks after
 * that read, once the promise jobs queued until then (and those they queue) have run; always before node hands any
 * new input to JavaScript. (A turn whose work goes on through later rounds of ticks reads it again there: fresher,
 * never older.) Every request a turn serves had arrived before the turn began (several pipelined on one connection
 * arrive together), so a header read at any moment of the turn is no older than any of their arrivals: a commit
 * another process finished before a request arrived is still seen by that request's reads. A request's reads in one
 * turn (its key's IAM version, its certificate, the domain checks) then cost one pread, not three; and the API's fast
 * path starts all the requests one poll phase read in one callback (`startsInBatches`, gateway/api-fast-path.ts), so
 * under load one pread serves most of them.
 *
 * What is seen within a turn: this process's own statements drop the stamp as they run (openStore), and its commit
 * groups count in `ReadCounts.commits`, so a read after either reads afresh; a read that misses reads the header again
 * first (`cachedReads`); a commit made during the turn by another connection or process is seen from the next turn, or
 * from the turn's next miss. Two things would stretch a turn, and tcssl does neither: a tick that throws into an
 * `uncaughtException` handler (node then runs the next callback before the rest of the ticks), and a synchronous wait
 * on another process within a turn.
 */
export function heldForTheTurn(stamp: () => string | null): HeldStamp {
  let held: string | null | undefined;
  let endScheduled = false;
  const endOfTurn = () => {
    held = undefined;
    endScheduled = false;
  };
  const read = Object.assign(
    () => {
      read.readAnew = held === undefined;
      if (held === undefined) {
        held = stamp();
        if (!endScheduled) {
          endScheduled = true;
          // Not a bare nextTick: queued from within a tick (a stream's 'end' event is one), it would run before the
          // promise jobs, between a request's first read and the next.
          afterDrain(endOfTurn);
        }
      }
      return held;
    },
    {
      readAnew: false,
      drop: () => {
        held = undefined;
      },
    },
  );
  return read;
}

export interface ReadCacheOptions {
  /** answers kept at most (the oldest goes first); default 512 */
  maxEntries?: number;
  /** answers with more rows are not kept; default 100 */
  maxRows?: number;
  /** characters of text kept at most over all answers (the oldest go first); default 8 million */
  maxChars?: number;
}

export interface ReadCounts {
  reads: number;
  /** reads answered from memory */
  readHits: number;
  /**
   * commit groups made by this process: each empties the cache. A group's COMMIT is prepared apart from the
   * statements that drop a stamp held for the turn, so within that turn this count is what shows it.
   */
  readonly commits: number;
}

export function cachedReads(read: RawRead, stamp: Stamp, counts: ReadCounts, opts: ReadCacheOptions = {}): RawRead {
  const maxEntries = opts.maxEntries ?? 512;
  const maxRows = opts.maxRows ?? 100;
  const maxChars = opts.maxChars ?? 8_000_000;
  const kept = new Map<string, { rows: readonly unknown[]; chars: number }>();
  let keptChars = 0;
  let keptAt: string | null = null;
  let keptCommits = counts.commits;
  const forget = (key: string) => {
    keptChars -= kept.get(key)?.chars ?? 0;
    kept.delete(key);
  };
  /** The cache emptied when the header or this process's commits have moved on since it was filled. */
  const settle = (now: string) => {
    if (now !== keptAt || counts.commits !== keptCommits) {
      kept.clear();
      keptChars = 0;
      keptAt = now;
      keptCommits = counts.commits;
    }
  };
  return <T>(sqlText: string, params: ReadonlyArray<string | number | null>): T[] => {
    counts.reads++;
    const held = stamp();
    if (held === null || !params.every(keyable)) return freeze(read<T>(sqlText, params));
    settle(held);
    const key = `${sqlText}\u0000${JSON.stringify(params)}`;
    const hit = kept.get(key);
    if (hit !== undefined) {
      counts.readHits++;
      return hit.rows as T[];
    }
    // A miss queries the store as it is now, which may be past a header held for the turn: the header is read again
    // first (unless this read just read it), so that rows kept side by side are of one moment, and a turn's reads
    // never go back in time.
    if (stamp.drop !== undefined && stamp.readAnew !== true) {
      stamp.drop();
      const now = stamp();
      if (now === null) return freeze(read<T>(sqlText, params));
      settle(now);
    }
    const rows = freeze(read<T>(sqlText, params));
    if (rows.length <= maxRows) {
      const chars = charsOf(rows);
      if (chars <= maxChars / 4) {
        while (kept.size > 0 && (kept.size >= maxEntries || keptChars + chars > maxChars)) {
          forget(kept.keys().next().value as string);
        }
        kept.set(key, { rows, chars });
        keptChars += chars;
      }
    }
    return rows;
  };
}

/** JSON writes NaN and the infinities as null: such a parameter would share a key with null. */
const keyable = (p: string | number | null) => typeof p !== 'number' || Number.isFinite(p);

/** The text an answer holds, roughly its size: rows are mostly text (certificates, keys, JSON). */
function charsOf(rows: readonly unknown[]): number {
  let n = 0;
  for (const row of rows) {
    for (const v of Object.values(row as object)) n += typeof v === 'string' ? v.length : 8;
  }
  return n;
}

/** Every answer frozen, kept or not, so that a caller that would change one fails the same way on a miss as on a hit. */
export function freeze<T>(rows: T[]): T[] {
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows) as T[];
}
