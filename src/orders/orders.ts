// The certificate order lifecycle (the "RA"): creating orders, taking the customer's information, committing,
// cancelling, deleting, renaming, moving between projects. Every change of state is one transaction that
// writes the row and appends its operation-log entry. Knows no HTTP: callers pass a Caller, get DomainErrors.

import { DomainError } from '../errors.js';
import { actorOf, type Caller } from '../iam/caller.js';
import { evaluate } from '../iam/policy.js';
import type { SecretBox } from '../pki/secret-box.js';
import { pooledRandomBytes, timeOrderedUuid } from '../random.js';
import * as writes from '../store/certificate-writes.js';
import * as certs from '../store/certificates-repo.js';
import type { Db, Store } from '../store/db.js';
import { findDcvChecks as dcvChecksOf } from '../store/dcv-repo.js';
import { findCertificate } from '../store/hot-reads.js';
import type { CertificatePatch, CertificateRow } from '../store/schema.js';
import { type ApplyInput, applyFree } from './apply.js';
import { download } from './download.js';
import { cancel, commit, remove, revoke } from './lifecycle.js';
import { checkOrder, findProduct, freeProduct } from './products.js';
import { Status, type StatusCode } from './status.js';
import { type KeySource, type SubmitInput, submitInformation, type VerifyType } from './submit.js';
import { type UploadInput, upload } from './upload.js';
import { allPassed, type DomainChecker, runChecks } from './validation.js';

export interface OrdersDeps {
  store: Store;
  box: SecretBox;
  keys: KeySource;
  /** answers whether a project id belongs to an account (project 0 always does) */
  projectBelongsTo(uin: string, projectId: number): Promise<boolean>;
  /** the account's free-certificate quota, read in the caller's transaction */
  freeQuotaOf(db: Db, uin: string): Promise<number>;
  /** the CA's root, packed into PFX and JKS downloads */
  rootPem?: () => string;
  /** domain checks run on demand (CheckCertificateDomainVerification) */
  checker?: DomainChecker;
  /** told when an order becomes due for the worker (commit, apply, a passing manual check) */
  onDue?: () => void;
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
  const bytes = pooledRandomBytes(16);
  let id = '';
  for (const b of bytes) {
    if (b < 248 && id.length < 8) id += ID_ALPHABET[b % 62];
  }
  return id.length === 8 ? id : newCertificateId();
}

/** The shared steps that the lifecycle's rule modules (submit.ts, ...) build on. */
export type OrdersCore = Pick<Orders, 'store' | 'now' | 'load' | 'apply' | 'log' | 'checkFreeQuota'>;

/** A certificate row with every optional column empty; the caller names what it knows. */
export function newOrderRow(
  fields: Pick<CertificateRow, 'certificate_id' | 'owner_uin' | 'status' | 'source' | 'created_at'> &
    Partial<CertificateRow>,
): CertificateRow {
  return {
    project_id: 0,
    product_id: null,
    domain_num: 1,
    time_span: 1,
    deal_id: null,
    order_id: null,
    alias: '',
    domain: '',
    san: '[]',
    key_spec: 'RSA-2048',
    csr_type: null,
    csr_pem: null,
    private_key_sealed: null,
    key_password_sealed: null,
    info: '{}',
    is_dv: 0,
    verify_type: null,
    status_msg: null,
    tags: '[]',
    cert_pem: null,
    chain_pem: null,
    serial: null,
    cert_begin: null,
    cert_end: null,
    submitted_at: null,
    committed_at: null,
    revoked_at: null,
    certificate_type: 'SVR',
    issuer_id: null,
    revocation_reason: null,
    next_check_at: null,
    claimed_by: null,
    claimed_until: null,
    version: 1,
    updated_at: fields.created_at,
    ...fields,
  };
}

export class Orders {
  readonly store: Store;
  readonly now: () => number;
  private readonly deps: OrdersDeps;

  constructor(deps: OrdersDeps) {
    this.deps = deps;
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Loads the caller's certificate for `action`, enforcing the caller's project permission on it.
   * Another account's certificate is NotFound, exactly as a missing one.
   */
  async load(
    db: Db,
    caller: Caller,
    certificateId: string,
    action: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<CertificateRow> {
    // Outside a transaction the row is read on the store's read path (SQLite: the read-only connection).
    const row = opts.forUpdate
      ? await writes.findForUpdate(db, this.store.dialect, caller.uin, certificateId)
      : db === this.store.db
        ? await findCertificate(this.store, caller.uin, certificateId)
        : await certs.certificateReader(db).find(caller.uin, certificateId);
    if (!row)
      throw new DomainError('NotFound', `certificate ${JSON.stringify(certificateId)} does not exist`, 'CertificateId');
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
  async apply(db: Db, row: CertificateRow, patch: CertificatePatch, change: Change): Promise<CertificateRow> {
    const now = this.now();
    const ok = await writes.updateCertificate(db, row.certificate_id, row.version, { ...patch, updated_at: now });
    if (!ok) {
      throw new DomainError('Unavailable', `certificate ${row.certificate_id} was changed concurrently; retry`);
    }
    const next = { ...row, ...patch, updated_at: now, version: row.version + 1 } as CertificateRow;
    await this.log(db, next, row.status, change);
    return next;
  }

  async log(db: Db, row: CertificateRow, fromStatus: number | null, change: Change): Promise<void> {
    await writes.insertOperateLog(db, {
      log_id: timeOrderedUuid(),
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
    // ProductId 83 (TrustAsia C1 DV Free, absent from the SDK's paid list) orders a free certificate that waits
    // for its information in status 13; its quota is counted when the information is submitted.
    const free = input.productId === freeProduct.id;
    const product = free
      ? checkOrder(freeProduct, input.productId, input.domainNum, input.timeSpan)
      : checkOrder(findProduct(input.productId), input.productId, input.domainNum, input.timeSpan);
    if (evaluate(caller, 'ssl:CreateCertificate', 0) !== 'allow') {
      throw new DomainError('NoProjectPermission', 'you may not create certificates in the default project 0');
    }
    return this.store.tx(async (db) => {
      const now = this.now();
      const certificateId = newCertificateId();
      // Deal ids look like Tencent's billing deal names: a date and a sequence.
      const dealId = `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}${pooledRandomBytes(6).readUIntBE(0, 6) % 1e12}`;
      const row = newOrderRow({
        certificate_id: certificateId,
        owner_uin: caller.uin,
        status: free ? Status.FreeInfoPending : Status.PaidInfoPending,
        product_id: product.id,
        source: free ? 'free' : 'paid',
        domain_num: input.domainNum,
        time_span: input.timeSpan,
        deal_id: dealId,
        is_dv: product.level === 'DV' ? 1 : 0,
        key_spec: product.algorithm === 'ECC' ? 'EC-P256' : 'RSA-2048',
        tags: JSON.stringify(input.tags ?? []),
        created_at: now,
      });
      await writes.insertCertificate(db, row);
      await this.log(db, row, null, { caller, action: 'CreateCertificate', ...change });
      return { certificateIds: [certificateId], dealIds: [dealId] };
    });
  }

  /**
   * Free certificates count against the account's quota once their information is submitted; cancelled and
   * refunded ones give their place back. `exceptId` is the order being submitted (a re-submission is no new use).
   */
  async checkFreeQuota(db: Db, uin: string, exceptId: string | null): Promise<void> {
    const quota = await this.deps.freeQuotaOf(db, uin);
    const used = await certs.countFreeCertificatesInUse(db, uin, exceptId);
    if (used >= quota) {
      throw new DomainError('ExceedsFreeLimit', `the account has used all ${quota} of its free certificates`);
    }
  }

  /** SubmitCertificateInformation (rules in submit.ts). */
  async submitInformation(
    caller: Caller,
    input: SubmitInput,
    change: Omit<Change, 'caller' | 'action'> = {},
  ): Promise<CertificateRow> {
    return submitInformation(this, this.deps, caller, input, change);
  }

  /** CommitCertificateInformation: complete information moves the order to review (status 0). */
  async commit(
    caller: Caller,
    certificateId: string,
    verifyType?: VerifyType,
    change: Omit<Change, 'caller' | 'action'> = {},
  ) {
    const row = await commit(this, caller, certificateId, verifyType, change);
    this.deps.onDue?.();
    return row;
  }

  /** ApplyCertificate: a free DV certificate, straight into review. */
  async applyFree(caller: Caller, input: ApplyInput, change: Omit<Change, 'caller' | 'action'> = {}) {
    const row = await applyFree(
      this,
      { ...this.deps, projectBelongsTo: this.deps.projectBelongsTo },
      caller,
      input,
      change,
    );
    this.deps.onDue?.();
    return row;
  }

  /** UploadCertificate: a certificate issued elsewhere. */
  async upload(caller: Caller, input: UploadInput, change: Omit<Change, 'caller' | 'action'> = {}) {
    return upload(this, this.deps, caller, input, change);
  }

  /** DownloadCertificate: the ZIP of server-specific files. */
  async download(caller: Caller, certificateId: string) {
    return download(this, this.deps, caller, certificateId);
  }

  /**
   * CheckCertificateDomainVerification: runs the checks of an order under review now, records the results, and
   * hands the order to the worker at once when every domain is proven.
   */
  async checkDomains(caller: Caller, certificateId: string) {
    const row = await this.load(this.store.db, caller, certificateId, 'CheckCertificateDomainVerification');
    if (row.status !== Status.Reviewing && row.status !== Status.Issued) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status}; domains are verified while it is under review (0)`,
        'CertificateId',
      );
    }
    if (row.status === Status.Issued || !this.deps.checker) {
      return { row, checks: await dcvChecksOf(this.store.db, row.certificate_id) };
    }
    const checks = await runChecks(this.store.db, this.deps.checker, row.certificate_id, this.now);
    if (allPassed(checks)) {
      // Due now, not after the worker's backoff: the customer has just seen every domain pass.
      await certs.makeDue(this.store.db, row.certificate_id, Status.Reviewing, this.now());
      this.deps.onDue?.();
    }
    return { row, checks };
  }

  /** CancelCertificateOrder: an order not yet issued becomes cancelled (status 7). */
  async cancel(caller: Caller, certificateId: string, change: Omit<Change, 'caller' | 'action'> = {}) {
    return cancel(this, caller, certificateId, change);
  }

  /** DeleteCertificate: removes a finished or abandoned certificate; its log entries stay. */
  async remove(caller: Caller, certificateId: string, change: Omit<Change, 'caller' | 'action'> = {}) {
    return remove(this, caller, certificateId, change);
  }

  /** RevokeCertificate: issued -> being revoked -> revoked. */
  async revoke(caller: Caller, certificateId: string, reason?: string, change: Omit<Change, 'caller' | 'action'> = {}) {
    return revoke(this, caller, certificateId, reason, change);
  }

  /** Moves certificates to another project of the same account. */
  async modifyProject(
    caller: Caller,
    ids: string[],
    projectId: number,
    change: Omit<Change, 'caller' | 'action'> = {},
  ): Promise<{ success: string[]; failed: string[] }> {
    if (!(await this.deps.projectBelongsTo(caller.uin, projectId))) {
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
          const row = await this.load(db, caller, id, 'ModifyCertificateProject', { forUpdate: true });
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
      const row = await this.load(db, caller, id, 'ModifyCertificateAlias', { forUpdate: true });
      if (row.alias === alias) return;
      await this.apply(db, row, { alias }, { caller, action: 'ModifyCertificateAlias', ...change });
    });
  }

  /** Used by transitions that need a status guard. */
  requireStatus(row: CertificateRow, allowed: readonly StatusCode[], what: string): void {
    if (!allowed.includes(row.status as StatusCode)) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status}; ${what} needs status ${allowed.join(' or ')}`,
        'CertificateId',
      );
    }
  }
}
