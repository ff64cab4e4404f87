// Rows of the CA hierarchy (`authorities`) and the one-hierarchy guard in `meta`. Queries and row mapping only:
// what a CA is, and which one signs, is pki/ca.ts's business. Keys arrive sealed and leave sealed.

import type { Db, Store } from './db.js';
import type { AuthorityRow } from './schema.js';

/**
 * An authority as pki/ sees it. Declared here, not imported, because store/ does not import pki/; it is
 * structurally the same type as AuthorityRecord in pki/ca.ts, so authorityStore() satisfies its AuthorityStore.
 */
export interface StoredAuthority {
  id: string;
  role: 'root' | 'intermediate';
  keyType: 'RSA' | 'EC';
  parentId: string | null;
  subject: string;
  serial: string;
  certPem: string;
  keySealed: string | null;
  notBefore: number;
  notAfter: number;
  active: boolean;
  crlNumber: number;
  createdAt: number;
}

export interface AuthorityRepo {
  list(): Promise<StoredAuthority[]>;
  insertHierarchy(records: StoredAuthority[]): Promise<'inserted' | 'exists'>;
  replaceActive(records: StoredAuthority[]): Promise<void>;
  nextCrlNumber(authorityId: string): Promise<number>;
}

/** The meta key whose presence says a hierarchy exists; its primary key makes it the race's one winner. */
export const CA_INITIALIZED_KEY = 'ca.initialized';

export function rowToAuthority(row: AuthorityRow): StoredAuthority {
  if (row.key_type !== 'RSA' && row.key_type !== 'EC') {
    throw new Error(`authority ${row.authority_id} has an unknown key type`);
  }
  // PostgreSQL returns bigint columns as strings; Number() reads both dialects alike.
  return {
    id: row.authority_id,
    role: row.role,
    keyType: row.key_type,
    parentId: row.parent_id,
    subject: row.subject,
    serial: row.serial,
    certPem: row.cert_pem,
    keySealed: row.key_sealed,
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
    active: Number(row.active) === 1,
    crlNumber: Number(row.crl_number),
    createdAt: Number(row.created_at),
  };
}

export function authorityToRow(a: StoredAuthority): AuthorityRow {
  return {
    authority_id: a.id,
    role: a.role,
    key_type: a.keyType,
    parent_id: a.parentId,
    subject: a.subject,
    serial: a.serial,
    cert_pem: a.certPem,
    key_sealed: a.keySealed,
    not_before: a.notBefore,
    not_after: a.notAfter,
    active: a.active ? 1 : 0,
    crl_number: a.crlNumber,
    created_at: a.createdAt,
  };
}

async function isInitialized(db: Db): Promise<boolean> {
  const row = await db.selectFrom('meta').select('key').where('key', '=', CA_INITIALIZED_KEY).executeTakeFirst();
  return row !== undefined;
}

export function authorityStore(store: Store): AuthorityRepo {
  return {
    async list() {
      const rows = await store.db
        .selectFrom('authorities')
        .selectAll()
        .orderBy('created_at')
        .orderBy('authority_id')
        .execute();
      return rows.map(rowToAuthority);
    },

    async insertHierarchy(records) {
      if (records.length === 0) throw new Error('insertHierarchy needs at least one authority');
      try {
        return await store.tx(async (db) => {
          // On SQLite, BEGIN IMMEDIATE already serialises writers, so this check decides the race.
          if (await isInitialized(db)) return 'exists' as const;
          await db
            .insertInto('meta')
            .values({ key: CA_INITIALIZED_KEY, value: String(records[0].createdAt) })
            .execute();
          await db.insertInto('authorities').values(records.map(authorityToRow)).execute();
          return 'inserted' as const;
        });
      } catch (e) {
        // Where writers are not serialised (PostgreSQL), the loser fails on meta's primary key instead;
        // the winner has committed by then, so its guard row is visible.
        if (await isInitialized(store.db)) return 'exists';
        throw e;
      }
    },

    async replaceActive(records) {
      if (records.length === 0) throw new Error('replaceActive needs at least one authority');
      await store.tx(async (db) => {
        await db.updateTable('authorities').set({ active: 0 }).where('active', '=', 1).execute();
        await db.insertInto('authorities').values(records.map(authorityToRow)).execute();
        // An import before the first start counts as the hierarchy: no start may then generate another.
        if (!(await isInitialized(db))) {
          await db
            .insertInto('meta')
            .values({ key: CA_INITIALIZED_KEY, value: String(records[0].createdAt) })
            .execute();
        }
      });
    },

    async nextCrlNumber(authorityId) {
      return store.tx(async (db) => {
        const row = await db
          .updateTable('authorities')
          .set((eb) => ({ crl_number: eb('crl_number', '+', 1) }))
          .where('authority_id', '=', authorityId)
          .returning('crl_number')
          .executeTakeFirst();
        if (!row) throw new Error(`authority ${authorityId} does not exist`);
        return Number(row.crl_number);
      });
    },
  };
}
