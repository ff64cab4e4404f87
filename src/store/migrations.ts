// Versioned schema migrations, run at start by every process that opens the store. Portable SQL only:
// the same steps build the SQLite and the PostgreSQL schema.

import type { Kysely, Migration, MigrationProvider } from 'kysely';

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

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
