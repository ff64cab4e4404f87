// The order's later steps: commit (information complete -> review), cancel, delete. Each is one transaction that
// re-reads the order under its lock, checks the status, and writes the change with its log entry.

import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors.js';
import type { Caller } from '../iam/caller.js';
import * as certs from '../store/certificates-repo.js';
import type { CertificateRow } from '../store/schema.js';
import { missingForLevel, type OrderInfo } from './contacts.js';
import type { Change, OrdersCore } from './orders.js';
import {
  CANCELLABLE_STATUSES as CANCELLABLE,
  DELETABLE_STATUSES as DELETABLE,
  Status,
  type StatusCode,
  WAITING_FOR_INFORMATION,
} from './status.js';
import { productOfRow, type VerifyType } from './submit.js';
import { createChallenges } from './validation.js';

type ChangeCtx = Omit<Change, 'caller' | 'action'>;

export async function commit(
  core: OrdersCore,
  caller: Caller,
  certificateId: string,
  verifyType: VerifyType | undefined,
  change: ChangeCtx,
): Promise<CertificateRow> {
  const action = 'CommitCertificateInformation';
  return core.store.tx(async (db) => {
    const row = await core.load(db, caller, certificateId, action, { forUpdate: true });
    if (!WAITING_FOR_INFORMATION.has(row.status)) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status}; only an order waiting for information ` +
          `(status ${Status.PaidInfoPending} or ${Status.FreeInfoPending}) can be committed`,
        'CertificateId',
      );
    }
    if (row.submitted_at === null) {
      throw new DomainError(
        'Incomplete',
        `certificate ${row.certificate_id} has no submitted information; call SubmitCertificateInformation first`,
        'CertificateId',
      );
    }
    const product = productOfRow(row);
    const level = row.is_dv === 1 ? 'DV' : product.level;
    const missing = missingForLevel(level, JSON.parse(row.info) as OrderInfo, row.domain !== '');
    if (missing.length > 0) {
      throw new DomainError(
        'Incomplete',
        `the information for this ${level} certificate is incomplete: ${missing.join(', ')} missing`,
        missing[0],
      );
    }
    // The CA-side order number, as the real service returns it from this call.
    const orderId = row.order_id ?? `tcssl-${randomBytes(8).toString('hex')}`;
    const method = verifyType ?? (row.verify_type as VerifyType | null) ?? 'DNS';
    const now = core.now();
    await createChallenges(db, row, method, now);
    return core.apply(
      db,
      row,
      {
        status: Status.Reviewing,
        verify_type: method,
        order_id: orderId,
        status_msg: null,
        committed_at: now,
        // Due at once: the worker checks the domains on its next pass (at once in auto mode).
        next_check_at: now,
      },
      { caller, action, detail: 'information committed for review', ...change },
    );
  });
}

export async function cancel(
  core: OrdersCore,
  caller: Caller,
  certificateId: string,
  change: ChangeCtx,
): Promise<CertificateRow> {
  const action = 'CancelCertificateOrder';
  return core.store.tx(async (db) => {
    const row = await core.load(db, caller, certificateId, action, { forUpdate: true });
    if (row.source === 'upload' || !CANCELLABLE.includes(row.status as StatusCode)) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status} and its order cannot be cancelled`,
        'CertificateId',
      );
    }
    return core.apply(
      db,
      row,
      { status: Status.Cancelled, status_msg: 'order cancelled by the customer' },
      { caller, action, ...change },
    );
  });
}

export async function remove(
  core: OrdersCore,
  caller: Caller,
  certificateId: string,
  change: ChangeCtx,
): Promise<void> {
  const action = 'DeleteCertificate';
  await core.store.tx(async (db) => {
    const row = await core.load(db, caller, certificateId, action, { forUpdate: true });
    if (row.source !== 'upload') {
      if (row.status === Status.Issued) {
        throw new DomainError(
          'CannotDeleteIssued',
          `certificate ${row.certificate_id} is issued and valid; revoke it or let it expire before deleting it`,
          'CertificateId',
        );
      }
      if (!DELETABLE.includes(row.status as StatusCode)) {
        throw new DomainError(
          'WrongStatus',
          `certificate ${row.certificate_id} has status ${row.status}; cancel the order before deleting it`,
          'CertificateId',
        );
      }
    }
    // The log entry outlives the row: DescribeCertificateOperateLogs still shows who deleted what.
    await core.log(db, { ...row, version: row.version + 1 }, row.status, { caller, action, ...change });
    await certs.deleteCertificate(db, row.certificate_id);
  });
}

/** RFC 5280 CRLReason codes the free-text Reason may name; anything else is recorded as unspecified (0). */
const REASON_CODES: Record<string, number> = {
  unspecified: 0,
  keycompromise: 1,
  cacompromise: 2,
  affiliationchanged: 3,
  superseded: 4,
  cessationofoperation: 5,
};

export function reasonCode(reason: string | undefined): number {
  return REASON_CODES[(reason ?? '').replace(/[\s_-]/g, '').toLowerCase()] ?? 0;
}

/**
 * RevokeCertificate: an issued certificate goes to "being revoked" (9) and, since this CA needs no revocation
 * letter, on to "revoked" (10) at once; both steps are logged. The CRL and OCSP answers change with the row.
 */
export async function revoke(
  core: OrdersCore,
  caller: Caller,
  certificateId: string,
  reason: string | undefined,
  change: ChangeCtx,
): Promise<CertificateRow> {
  const action = 'RevokeCertificate';
  return core.store.tx(async (db) => {
    const row = await core.load(db, caller, certificateId, action, { forUpdate: true });
    if (row.source === 'upload' || row.status !== Status.Issued) {
      throw new DomainError(
        'WrongStatus',
        `certificate ${row.certificate_id} has status ${row.status}; only a certificate issued here can be revoked`,
        'CertificateId',
      );
    }
    const detail = reason ? `reason: ${reason.slice(0, 200)}` : '';
    const revoking = await core.apply(db, row, { status: Status.Revoking }, { caller, action, detail, ...change });
    return core.apply(
      db,
      revoking,
      { status: Status.Revoked, revoked_at: core.now(), revocation_reason: reasonCode(reason) },
      { caller, action, detail, ...change },
    );
  });
}
