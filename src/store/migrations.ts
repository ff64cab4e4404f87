// Versioned schema migrations, run at start by every process that opens the store. Portable SQL where it can be:
// the same steps build the SQLite and the PostgreSQL schema, except triggers, written once for each.

import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter, sql } from 'kysely';

// Kysely's migrator needs Kysely<any>: a migration runs before the typed schema exists.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyDb = Kysely<any>;

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('accounts')
        .addColumn('uin', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('real_name_verified', 'integer', (c) => c.notNull())
        .addColumn('free_quota', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sub_users')
        .addColumn('sub_uin', 'text', (c) => c.primaryKey())
        .addColumn('owner_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('sub_users_owner_name', ['owner_uin', 'name'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('secret_id', 'text', (c) => c.primaryKey())
        .addColumn('owner_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('sub_uin', 'text', (c) => c.references('sub_users.sub_uin'))
        .addColumn('secret_key_sealed', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('projects')
        .addColumn('project_id', 'bigint', (c) => c.primaryKey())
        .addColumn('owner_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('projects_owner_name', ['owner_uin', 'name'])
        .execute();

      await db.schema
        .createTable('policies')
        .addColumn('policy_id', 'text', (c) => c.primaryKey())
        .addColumn('sub_uin', 'text', (c) => c.notNull().references('sub_users.sub_uin'))
        .addColumn('effect', 'text', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('projects', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('policies_sub_uin').on('policies').column('sub_uin').execute();

      await db.schema
        .createTable('certificates')
        .addColumn('certificate_id', 'text', (c) => c.primaryKey())
        .addColumn('owner_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('project_id', 'bigint', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('product_id', 'integer')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('domain_num', 'integer', (c) => c.notNull())
        .addColumn('time_span', 'integer', (c) => c.notNull())
        .addColumn('deal_id', 'text')
        .addColumn('order_id', 'text')
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('san', 'text', (c) => c.notNull())
        .addColumn('key_spec', 'text', (c) => c.notNull())
        .addColumn('csr_type', 'text')
        .addColumn('csr_pem', 'text')
        .addColumn('private_key_sealed', 'text')
        .addColumn('key_password_sealed', 'text')
        .addColumn('info', 'text', (c) => c.notNull())
        .addColumn('is_dv', 'integer', (c) => c.notNull())
        .addColumn('verify_type', 'text')
        .addColumn('status_msg', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('cert_pem', 'text')
        .addColumn('chain_pem', 'text')
        .addColumn('serial', 'text')
        .addColumn('cert_begin', 'bigint')
        .addColumn('cert_end', 'bigint')
        .addColumn('submitted_at', 'bigint')
        .addColumn('committed_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // DescribeCertificates pages an owner's certificates newest first, optionally by status or project.
      await db.schema
        .createIndex('certificates_owner_created')
        .on('certificates')
        .columns(['owner_uin', 'created_at', 'certificate_id'])
        .execute();
      await db.schema
        .createIndex('certificates_owner_status')
        .on('certificates')
        .columns(['owner_uin', 'status', 'created_at'])
        .execute();

      await db.schema
        .createTable('operate_logs')
        .addColumn('log_id', 'text', (c) => c.primaryKey())
        .addColumn('certificate_id', 'text', (c) => c.notNull())
        .addColumn('owner_uin', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_status', 'integer')
        .addColumn('to_status', 'integer')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('operate_logs_owner_created')
        .on('operate_logs')
        .columns(['owner_uin', 'created_at'])
        .execute();
      await db.schema
        .createIndex('operate_logs_certificate')
        .on('operate_logs')
        .columns(['certificate_id', 'seq'])
        .execute();
    },
  },
};

migrations['0002_issuance'] = {
  async up(db: AnyDb) {
    // The CA hierarchy: a root and the intermediates that sign leaves, keys sealed under the master key.
    await db.schema
      .createTable('authorities')
      .addColumn('authority_id', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('key_type', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('cert_pem', 'text', (c) => c.notNull())
      .addColumn('key_sealed', 'text')
      .addColumn('not_before', 'bigint', (c) => c.notNull())
      .addColumn('not_after', 'bigint', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('crl_number', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    // Domain-control validation: one row per order and domain, with its random token and last result.
    await db.schema
      .createTable('dcv_checks')
      .addColumn('certificate_id', 'text', (c) => c.notNull())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('checked_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('dcv_checks_pk', ['certificate_id', 'domain'])
      .execute();

    await db.schema.alterTable('certificates').addColumn('issuer_id', 'text').execute();
    // 'SVR' (server certificates, all that this CA issues) or 'CA' (uploaded CA certificates for client auth).
    await db.schema
      .alterTable('certificates')
      .addColumn('certificate_type', 'text', (c) => c.notNull().defaultTo('SVR'))
      .execute();
    await db.schema.alterTable('certificates').addColumn('revocation_reason', 'integer').execute();
    // The worker's queue: committed orders due for their next validation attempt, and who holds them.
    await db.schema.alterTable('certificates').addColumn('next_check_at', 'bigint').execute();
    await db.schema.alterTable('certificates').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('certificates').addColumn('claimed_until', 'bigint').execute();
    await db.schema
      .createIndex('certificates_next_check')
      .on('certificates')
      .columns(['status', 'next_check_at'])
      .execute();
    // OCSP and CRLs look certificates up by issuer and serial.
    await db.schema
      .createIndex('certificates_issuer_serial')
      .on('certificates')
      .columns(['issuer_id', 'serial'])
      .execute();
  },
};

migrations['0003_certificate_counts'] = {
  async up(db: AnyDb) {
    // DescribeCertificates' TotalCount without counting every row of the account: certificates per owner, project
    // and status, kept exact by triggers, so that every writer (the server, the CLI, bench/fill.ts with
    // better-sqlite3 directly, an older node during a rolling upgrade) keeps it exact. A key whose count falls to 0
    // keeps its row: every change is then one upsert with no delete step, and there are at most 16 keys (statuses)
    // per owner and project. Two writes bypass row triggers and so must not be used on certificates: TRUNCATE
    // (PostgreSQL), and INSERT OR REPLACE over an existing id (SQLite fires no delete trigger for the replaced row).
    await db.schema
      .createTable('certificate_counts')
      .addColumn('owner_uin', 'text', (c) => c.notNull())
      .addColumn('project_id', 'bigint', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('certificate_counts_pk', ['owner_uin', 'project_id', 'status'])
      .execute();
    // The triggers come before the backfill: on PostgreSQL CREATE TRIGGER locks certificates against writes until
    // this migration commits, so no row can slip in between the two; on SQLite the migration holds the write lock.
    if (isPostgres(db)) await createPostgresTriggers(db);
    else await createSqliteTriggers(db);
    await db
      .insertInto('certificate_counts')
      .columns(['owner_uin', 'project_id', 'status', 'count'])
      .expression((eb) =>
        eb
          .selectFrom('certificates')
          .select(['owner_uin', 'project_id', 'status', eb.fn.countAll().as('count')])
          .groupBy(['owner_uin', 'project_id', 'status']),
      )
      .execute();
  },
};

/** Kysely hands a migration only the database; its adapter tells the dialect where the SQL differs (triggers). */
function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

async function createSqliteTriggers(db: AnyDb): Promise<void> {
  const add = (row: 'new' | 'old', delta: 1 | -1) =>
    sql.raw(`insert into certificate_counts (owner_uin, project_id, status, count)
      values (${row}.owner_uin, ${row}.project_id, ${row}.status, ${delta})
      on conflict (owner_uin, project_id, status) do update set count = certificate_counts.count + excluded.count;`);
  await sql`create trigger certificate_counts_insert after insert on certificates
    begin ${add('new', 1)} end`.execute(db);
  await sql`create trigger certificate_counts_delete after delete on certificates
    begin ${add('old', -1)} end`.execute(db);
  await sql`create trigger certificate_counts_update after update of owner_uin, project_id, status on certificates
    when old.owner_uin <> new.owner_uin or old.project_id <> new.project_id or old.status <> new.status
    begin ${add('old', -1)} ${add('new', 1)} end`.execute(db);
}

async function createPostgresTriggers(db: AnyDb): Promise<void> {
  await sql`create function certificate_counts_add(owner text, project bigint, code integer, delta integer)
    returns void language sql as $$
      insert into certificate_counts (owner_uin, project_id, status, count) values (owner, project, code, delta)
      on conflict (owner_uin, project_id, status) do update set count = certificate_counts.count + excluded.count
    $$`.execute(db);
  // A move takes two count rows. Two moves crossing each other (A to B and B to A) in concurrent transactions would
  // each hold one and wait for the other, so the lower key is always taken first: they wait in line instead.
  await sql`create function certificate_counts_track() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        perform certificate_counts_add(new.owner_uin, new.project_id, new.status, 1);
      elsif tg_op = 'DELETE' then
        perform certificate_counts_add(old.owner_uin, old.project_id, old.status, -1);
      elsif (old.owner_uin, old.project_id, old.status) < (new.owner_uin, new.project_id, new.status) then
        perform certificate_counts_add(old.owner_uin, old.project_id, old.status, -1);
        perform certificate_counts_add(new.owner_uin, new.project_id, new.status, 1);
      else
        perform certificate_counts_add(new.owner_uin, new.project_id, new.status, 1);
        perform certificate_counts_add(old.owner_uin, old.project_id, old.status, -1);
      end if;
      return null;
    end
  $$`.execute(db);
  await sql`create trigger certificate_counts_insert_delete after insert or delete on certificates
    for each row execute function certificate_counts_track()`.execute(db);
  await sql`create trigger certificate_counts_update after update of owner_uin, project_id, status on certificates
    for each row
    when (old.owner_uin <> new.owner_uin or old.project_id <> new.project_id or old.status <> new.status)
    execute function certificate_counts_track()`.execute(db);
}

migrations['0004_iam_version'] = {
  async up(db: AnyDb) {
    // The gateway keeps resolved API keys in memory and checks, on every request, that this counter has not moved
    // (iam/iam.ts). Triggers raise it on any write to the rows a resolved key is made of, whoever writes (the server,
    // the CLI in another process, another node, an operator with a SQL shell), so a key disabled anywhere stops at
    // its next request everywhere.
    await db.insertInto('meta').values({ key: 'iam_version', value: '0' }).execute();
    const tables = ['accounts', 'sub_users', 'api_keys', 'policies'];
    if (isPostgres(db)) {
      await sql`create function iam_version_bump() returns trigger language plpgsql as $$
        begin
          update meta set value = (value::bigint + 1)::text where key = 'iam_version';
          return null;
        end
      $$`.execute(db);
      for (const t of tables) {
        await sql`create trigger ${sql.raw(`${t}_iam_version`)} after insert or update or delete on ${sql.table(t)}
          for each statement execute function iam_version_bump()`.execute(db);
      }
      return;
    }
    for (const t of tables) {
      for (const op of ['insert', 'update', 'delete']) {
        await sql`create trigger ${sql.raw(`${t}_iam_version_${op}`)} after ${sql.raw(op)} on ${sql.table(t)}
          begin update meta set value = cast(cast(value as integer) + 1 as text) where key = 'iam_version'; end`.execute(
          db,
        );
      }
    }
  },
};

migrations['0005_partial_indexes'] = {
  async up(db: AnyDb) {
    // A new order has no next check and no issuer, yet both indexes took an entry for every order: two of the five
    // index writes of a CreateCertificate, for rows never looked up by them. Partial, they hold only the orders under
    // review and the issued certificates. Every query on them compares the column (`next_check_at <= ?`,
    // `issuer_id = ?`), which implies IS NOT NULL on SQLite and PostgreSQL alike, so their plans stay
    // (test/store/partial-indexes.test.ts). The count per status, which read the first, reads certificate_counts.
    for (const [name, columns, column] of [
      ['certificates_next_check', ['status', 'next_check_at'], 'next_check_at'],
      ['certificates_issuer_serial', ['issuer_id', 'serial'], 'issuer_id'],
    ] as const) {
      await db.schema.dropIndex(name).execute();
      await db.schema
        .createIndex(name)
        .on('certificates')
        .columns([...columns])
        .where(sql<boolean>`${sql.ref(column)} is not null`)
        .execute();
    }
  },
};

migrations['0006_claims_index'] = {
  async up(db: AnyDb) {
    // The worker gives back its claims when it stops (`releaseAllClaims`: claimed_by = its id), which read every
    // certificate without an index: 270 ms to over a second on a million rows, holding the write lock. Only the
    // orders a worker holds have a claimant, so the index is partial and a new order takes no entry in it.
    await db.schema
      .createIndex('certificates_claimed_by')
      .on('certificates')
      .column('claimed_by')
      .where(sql<boolean>`${sql.ref('claimed_by')} is not null`)
      .execute();
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
