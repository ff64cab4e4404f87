// The certificate order lifecycle (the "RA"): creating orders, taking the customer's information, committing,
// cancelling, deleting, renaming, moving between projects. Every change of state is one transaction that
// writes the row and appends its operation-log entry. Knows no HTTP: callers pass a Caller, get DomainErrors.

import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '../errors.js';
import { actorOf, type Caller } from '../iam/caller.js';
import { evaluate } from '../iam/policy.js';
import * as certs from '../store/certificates-repo.js';
import type { Db, Store } from '../store/db.js';
import type { CertificatePatch, CertificateRow } from '../store/schema.js';
import { checkOrder, findProduct } from './products.js';
import { Status, type StatusCode } from './status.js';

export interface OrdersDeps {
  store: Store;
  /** answers whether a project id belongs to an account (project 0 always does) */
  projectBelongsTo(uin: string, projectId: number): Promise<boolean>;
  now?: () => number;
}

/** Who and why, recorded with every change. */
export interface Change {
  caller: Caller | 'system';
  action: string;
  requestId?: string;
  detail?: string;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Certificate ids look like Tencent's: 8 characters, letters and digits ("abcb1234", "Gc4cW2hX"). */
export function newCertificateId(): string {
  const bytes = randomBytes(16);
  let id = '';
  for (const b of bytes) {
    if (b < 248 && id.length < 8) id += ID_ALPHABET[b % 62];
  }
  return id.length === 8 ? id : newCertificateId();
}

export class Orders {
  protected readonly store: Store;
  protected readonly now: () => number;
  private readonly projectBelongsTo: OrdersDeps['projectBelongsTo'];

  constructor(deps: OrdersDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.projectBelongsTo = deps.projectBelongsTo;
  }

  /**
   * Loads the caller's certificate for `action`, enforcing the caller's project permission on it.
   * Another account's certificate is NotFound, exactly as a missing one.
   */
  async load(db: Db, caller: Caller, certificateId: string, action: string): Promise<CertificateRow> {
    const row = await certs.certificateReader(db).find(caller.uin, certificateId);
    if (!row) throw new DomainError('NotFound', `certificate ${certificateId} does not exist`, 'CertificateId');
    const decision = evaluate(caller, `ssl:${action}`, Number(row.project_id));
    if (decision === 'deny-action') throw new DomainError('AuthError', `you may not call ${action}`);
    if (decision === 'deny-project') {
      throw new DomainError(
        'NoProjectPermission',
        `you may not call ${action} on certificates of project ${row.project_id}`,
        'CertificateId',
      );
    }
    return row;
  }

  /**
   * Writes `patch` to a row read in the same transaction and appends the log entry. The version check turns
   * a concurrent change by another node into a clean retryable failure instead of a lost update.
   */
  protected async apply(db: Db, row: CertificateRow, patch: CertificatePatch, change: Change): Promise<CertificateRow> {
    const now = this.now();
    const ok = await certs.updateCertificate(db, row.certificate_id, row.version, { ...patch, updated_at: now });
    if (!ok) {
      throw new DomainError('Unavailable', `certificate ${row.certificate_id} was changed concurrently; retry`);
    }
    const next = { ...row, ...patch, updated_at: now, version: row.version + 1 } as CertificateRow;
    await this.log(db, next, row.status, change);
    return next;
  }

  protected async log(db: Db, row: CertificateRow, fromStatus: number | null, change: Change): Promise<void> {
    await certs.insertOperateLog(db, {
      log_id: randomUUID(),
      certificate_id: row.certificate_id,
      owner_uin: row.owner_uin,
      actor: change.caller === 'system' ? 'system' : actorOf(change.caller),
      action: change.action,
      from_status: fromStatus,
      to_status: row.status,
      seq: row.version,
      request_id: change.requestId ?? null,
      detail: change.detail ?? '',
      created_at: this.now(),
    });
  }

  /** CreateCertificate: one order per call in status 5, as the paid flow starts. */
  async create(
    caller: Caller,
    input: {
      productId: number;
      domainNum: number;
      timeSpan: number;
      tags?: Array<{ TagKey: string; TagValue: string }>;
    },
    change: Omit<Change, 'caller' | 'action'> = {},
  ): Promise<{ certificateIds: string[]; dealIds: string[] }> {
    const product = checkOrder(findProduct(input.productId), input.productId, input.domainNum, input.timeSpan);
    if (evaluate(caller, 'ssl:CreateCertificate', 0) !== 'allow') {
      throw new DomainError('NoProjectPermission', 'you may not create certificates in the default project 0');
    }
    return this.store.tx(async (db) => {
      const now = this.now();
      const certificateId = newCertificateId();
      // Deal ids look like Tencent's billing deal names: a date and a sequence.
      const dealId = `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(6).readUIntBE(0, 6) % 1e12}`;
      const row: CertificateRow = {
        certificate_id: certificateId,
        owner_uin: caller.uin,
        project_id: 0,
        status: Status.PaidInfoPending,
        product_id: product.id,
        source: 'paid',
        domain_num: input.domainNum,
        time_span: input.timeSpan,
        deal_id: dealId,
        order_id: null,
        alias: '',
        domain: '',
        san: '[]',
        csr_type: null,
        csr_pem: null,
        private_key_sealed: null,
        key_password_sealed: null,
        info: '{}',
        is_dv: product.level === 'DV' ? 1 : 0,
        verify_type: null,
        status_msg: null,
        tags: JSON.stringify(input.tags ?? []),
        cert_pem: null,
        chain_pem: null,
        serial: null,
        cert_begin: null,
        cert_end: null,
        submitted_at: null,
        committed_at: null,
        revoked_at: null,
        version: 1,
        created_at: now,
        updated_at: now,
      };
      await certs.insertCertificate(db, row);
      await this.log(db, row, null, { caller, action: 'CreateCertificate', ...change });
      return { certificateIds: [certificateId], dealIds: [dealId] };
    });
  }

  /** Moves certificates to another project of the same account. */
  async modifyProject(
    caller: Caller,
    ids: string[],
    projectId: number,
    change: Omit<Change, 'caller' | 'action'> = {},
  ): Promise<{ success: string[]; failed: string[] }> {
    if (!(await this.projectBelongsTo(caller.uin, projectId))) {
      throw new DomainError('InvalidParam', `project ${projectId} does not exist`, 'ProjectId');
    }
    if (evaluate(caller, 'ssl:ModifyCertificateProject', projectId) !== 'allow') {
      throw new DomainError(
        'NoProjectPermission',
        `you may not move certificates into project ${projectId}`,
        'ProjectId',
      );
    }
    const success: string[] = [];
    const failed: string[] = [];
    for (const id of ids) {
      try {
        await this.store.tx(async (db) => {
          const row = await this.load(db, caller, id, 'ModifyCertificateProject');
          if (Number(row.project_id) === projectId) return;
          await this.apply(
            db,
            row,
            { project_id: projectId },
            {
              caller,
              action: 'ModifyCertificateProject',
              detail: `project ${row.project_id} -> ${projectId}`,
              ...change,
            },
          );
        });
        success.push(id);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        failed.push(id);
      }
    }
    return { success, failed };
  }

  async modifyAlias(
    caller: Caller,
    id: string,
    alias: string,
    change: Omit<Change, 'caller' | 'action'> = {},
  ): Promise<void> {
    await this.store.tx(async (db) => {
      const row = await this.load(db, caller, id, 'ModifyCertificateAlias');
      if (row.alias === alias) return;
      await this.apply(db, row, { alias }, { caller, action: 'ModifyCertificateAlias', ...change });
    });
  }

  /** Used by transitions that need a status guard. */
  protected requireStatus(row: CertificateRow, allowed: readonly StatusCode[], what: string): void {
    if (!allowed.includes(row.status as StatusCode)) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status}; ${what} needs status ${allowed.join(' or ')}`,
        'CertificateId',
      );
    }
  }
}
