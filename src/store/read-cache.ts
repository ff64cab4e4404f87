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
// file old rows under the new header. Rows are frozen: every caller gets the same objects.

import { closeSync, openSync, readSync } from 'node:fs';

export type RawRead = <T>(sqlText: string, params: ReadonlyArray<string | number | null>) => T[];

/** The wal-index header's bytes, or null while they cannot vouch for anything (mid-write, missing file). */
export interface WalIndexStamp {
  stamp(): string | null;
  close(): void;
}

/** Size of one copy of the wal-index header; the file begins with two. */
const HEADER_BYTES = 48;

export function walIndexStamp(shmPath: string): WalIndexStamp {
  let fd: number | undefined;
  const buf = Buffer.alloc(2 * HEADER_BYTES);
  return {
    stamp() {
      try {
        fd ??= openSync(shmPath, 'r');
        if (readSync(fd, buf, 0, buf.length, 0) !== buf.length) return null;
      } catch {
        return null;
      }
      // SQLite writes the second copy, then the first: copies that differ are a header being written.
      if (buf.compare(buf, 0, HEADER_BYTES, HEADER_BYTES, 2 * HEADER_BYTES) !== 0) return null;
      return buf.toString('latin1', 0, HEADER_BYTES);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export interface ReadCacheOptions {
  /** answers kept at most (the oldest goes first); default 512 */
  maxEntries?: number;
  /** answers with more rows are not kept; default 100 */
  maxRows?: number;
}

export interface ReadCounts {
  reads: number;
  /** reads answered from memory */
  readHits: number;
}

export function cachedReads(
  read: RawRead,
  stamp: () => string | null,
  counts: ReadCounts,
  opts: ReadCacheOptions = {},
): RawRead {
  const maxEntries = opts.maxEntries ?? 512;
  const maxRows = opts.maxRows ?? 100;
  const kept = new Map<string, readonly unknown[]>();
  let keptAt: string | null = null;
  return <T>(sqlText: string, params: ReadonlyArray<string | number | null>): T[] => {
    counts.reads++;
    const now = stamp();
    if (now === null) return freeze(read<T>(sqlText, params));
    if (now !== keptAt) {
      kept.clear();
      keptAt = now;
    }
    // JSON tells 1 from '1' and null from 'null'.
    const key = `${sqlText}\u0000${JSON.stringify(params)}`;
    const hit = kept.get(key);
    if (hit !== undefined) {
      counts.readHits++;
      return hit as T[];
    }
    const rows = freeze(read<T>(sqlText, params));
    if (rows.length <= maxRows) {
      if (kept.size >= maxEntries) kept.delete(kept.keys().next().value as string);
      kept.set(key, rows);
    }
    return rows;
  };
}

/** Every answer frozen, kept or not, so that a caller that would change one fails the same way on a miss as on a hit. */
function freeze<T>(rows: T[]): T[] {
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows) as T[];
}
