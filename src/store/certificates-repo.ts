// Certificate rows and their operation log. Reads are split from writes: handlers get only the reader, and
// every write goes through orders/, which puts the row change and its log entry in one transaction.

import { sql } from 'kysely';
import {
  type CertificateFilter,
  dialectOf,
  type ListedCertificate,
  listCertificates,
  readThrough,
  type SqlRead,
} from './certificate-list.js';
import type { Db } from './db.js';

export type { CertificateFilter, ListedCertificate } from './certificate-list.js';

/** Statuses that give a free certificate's quota back (orders/status.ts: Cancelled, Refunded). The store may
 * not import the domain's status table, so the two codes are named here for this one query. */
const FREED_STATUSES = { cancelled: 7, refunded: 14 } as const;

import { findDcvChecks } from './dcv-repo.js';
import type { CertificateRow, DcvCheckRow, OperateLogRow } from './schema.js';

export interface CertificateReader {
  find(ownerUin: string, certificateId: string): Promise<CertificateRow | undefined>;
  list(
    f: CertificateFilter,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: readonly ListedCertificate[] }>;
  logs(
    ownerUin: string,
    opts: { from?: number; to?: number; offset: number; limit: number },
  ): Promise<{
    total: number;
    rows: OperateLogRow[];
  }>;
  logsOf(ownerUin: string, certificateId: string): Promise<OperateLogRow[]>;
  dcvChecks(certificateId: string): Promise<DcvCheckRow[]>;
}

/**
 * A LIMIT as a cast parameter: SQLite's planner reads a bare bound LIMIT's value, so every new binding expires the
 * statement and it is prepared again on each run (as certificate-list.ts found for the listing).
 */
const boundLimit = (n: number) => sql<number>`cast(${n} as bigint)`;

/**
 * The reader over db. `read` runs the listing's SQL text: `Store.read` for a server's hot path (on SQLite, the
 * read-only connection, never behind another request's transaction); db itself by default.
 */
export function certificateReader(db: Db, read: SqlRead = readThrough(db)): CertificateReader {
  const dialect = dialectOf(db);
  return {
    async find(ownerUin, certificateId) {
      return db
        .selectFrom('certificates')
        .selectAll()
        .where('certificate_id', '=', certificateId)
        .where('owner_uin', '=', ownerUin)
        .executeTakeFirst();
    },

    list: (f, offset, limit) => listCertificates(read, dialect, f, offset, limit),

    async logs(ownerUin, opts) {
      let q = db.selectFrom('operate_logs').where('owner_uin', '=', ownerUin);
      if (opts.from !== undefined) q = q.where('created_at', '>=', opts.from);
      if (opts.to !== undefined) q = q.where('created_at', '<=', opts.to);
      const countRow = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await q
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(boundLimit(opts.limit))
        .offset(opts.offset)
        .execute();
      return { total: Number(countRow.n), rows };
    },

    async dcvChecks(certificateId) {
      return findDcvChecks(db, certificateId);
    },

    async logsOf(ownerUin, certificateId) {
      return db
        .selectFrom('operate_logs')
        .selectAll()
        .where('owner_uin', '=', ownerUin)
        .where('certificate_id', '=', certificateId)
        .orderBy('seq')
        .execute();
    },
  };
}

export async function deleteCertificate(db: Db, certificateId: string): Promise<void> {
  await db.deleteFrom('certificates').where('certificate_id', '=', certificateId).execute();
}

/** Free certificates whose information was submitted and that were not cancelled or refunded. */
export async function countFreeCertificatesInUse(db: Db, ownerUin: string, exceptId: string | null): Promise<number> {
  let q = db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_uin', '=', ownerUin)
    .where('source', '=', 'free')
    .where('submitted_at', 'is not', null)
    .where('status', 'not in', [FREED_STATUSES.cancelled, FREED_STATUSES.refunded]);
  if (exceptId !== null) q = q.where('certificate_id', '!=', exceptId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Claims up to `limit` committed orders that are due for a check and not held by a live claim. On PostgreSQL
 * the rows are locked with SKIP LOCKED so concurrent workers on many nodes take disjoint sets; on SQLite the
 * caller's BEGIN IMMEDIATE already serialises claimers.
 */
export async function claimDue(
  db: Db,
  dialect: 'sqlite' | 'postgres',
  o: { status: number; now: number; worker: string; leaseMs: number; limit: number },
): Promise<CertificateRow[]> {
  let q = db
    .selectFrom('certificates')
    .select('certificate_id')
    .where('status', '=', o.status)
    .where('next_check_at', '<=', o.now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', o.now)]))
    .orderBy('next_check_at')
    .limit(boundLimit(o.limit));
  if (dialect === 'postgres') q = q.forUpdate().skipLocked();
  const ids = (await q.execute()).map((r) => r.certificate_id);
  if (ids.length === 0) return [];
  await db
    .updateTable('certificates')
    .set({ claimed_by: o.worker, claimed_until: o.now + o.leaseMs })
    .where('certificate_id', 'in', ids)
    .execute();
  return db.selectFrom('certificates').selectAll().where('certificate_id', 'in', ids).execute();
}

/** Gives back a claim without another change (shutdown, or a check that will be retried later). */
export async function releaseClaim(
  db: Db,
  certificateId: string,
  worker: string,
  nextCheckAt: number | null,
): Promise<void> {
  await db
    .updateTable('certificates')
    .set({ claimed_by: null, claimed_until: null, next_check_at: nextCheckAt })
    .where('certificate_id', '=', certificateId)
    .where('claimed_by', '=', worker)
    .execute();
}

export async function releaseAllClaims(db: Db, worker: string): Promise<void> {
  await db
    .updateTable('certificates')
    .set({ claimed_by: null, claimed_until: null })
    .where('claimed_by', '=', worker)
    .execute();
}

/** Number of orders waiting for the worker (for metrics). */
export async function countDue(db: Db, status: number, now: number): Promise<number> {
  const r = await db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', status)
    .where('next_check_at', '<=', now)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** An uploaded certificate of the account with the same serial and the same bytes (UploadCertificate's Repeatable). */
export async function findUploadBySerial(
  db: Db,
  ownerUin: string,
  serial: string,
  certPem: string,
): Promise<CertificateRow | undefined> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('owner_uin', '=', ownerUin)
    .where('source', '=', 'upload')
    .where('serial', '=', serial)
    .where('cert_pem', '=', certPem)
    .executeTakeFirst();
}

/** Revocations of one issuer, for its CRL. */
export async function revokedBy(
  db: Db,
  issuerId: string,
): Promise<Array<{ serial: string; revoked_at: number; revocation_reason: number | null }>> {
  const rows = await db
    .selectFrom('certificates')
    .select(['serial', 'revoked_at', 'revocation_reason'])
    .where('issuer_id', '=', issuerId)
    .where('revoked_at', 'is not', null)
    .execute();
  return rows.map((r) => ({
    serial: r.serial ?? '',
    revoked_at: Number(r.revoked_at),
    revocation_reason: r.revocation_reason,
  }));
}

/** A certificate signed by the issuer, by serial: its revocation time and reason (null while it stands). */
export async function findBySerial(
  db: Db,
  issuerId: string,
  serial: string,
): Promise<{ revoked_at: number | null; revocation_reason: number | null } | undefined> {
  const r = await db
    .selectFrom('certificates')
    .select(['revoked_at', 'revocation_reason'])
    .where('issuer_id', '=', issuerId)
    .where('serial', '=', serial)
    .executeTakeFirst();
  return (
    r && { revoked_at: r.revoked_at === null ? null : Number(r.revoked_at), revocation_reason: r.revocation_reason }
  );
}

/** Changes whenever the issuer's revocations change: their count and newest time. */
export async function revocationStamp(db: Db, issuerId: string): Promise<string> {
  const r = await db
    .selectFrom('certificates')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('revoked_at').as('latest')])
    .where('issuer_id', '=', issuerId)
    .where('revoked_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return `${r.n}:${r.latest ?? 0}`;
}

/** Brings an order's next worker check forward to `now` (if it is still in `status`). */
export async function makeDue(db: Db, certificateId: string, status: number, now: number): Promise<void> {
  await db
    .updateTable('certificates')
    .set({ next_check_at: now })
    .where('certificate_id', '=', certificateId)
    .where('status', '=', status)
    .execute();
}
