// ApplyCertificate: a free DV certificate for one domain, ordered, submitted and committed in one step. The key
// and CSR are made before the transaction; the transaction checks the free quota and writes the order in review
// with its challenges, so a refused request leaves nothing behind.

import { DomainError } from '../errors.js';
import type { Caller } from '../iam/caller.js';
import { evaluate } from '../iam/policy.js';
import { checkCsrSubject, createCsr } from '../pki/csr.js';
import * as writes from '../store/certificate-writes.js';
import type { CertificateRow } from '../store/schema.js';
import { checkOrderInfo } from './contacts.js';
import { normalizeDomain } from './domains.js';
import { type Change, newCertificateId, newOrderRow, type Orders } from './orders.js';
import { freeProduct } from './products.js';
import { Status } from './status.js';
import { checkKeyPassword, type SubmitDeps, type VerifyType } from './submit.js';
import { createChallenges } from './validation.js';

export interface ApplyInput {
  verifyType: VerifyType;
  domain: string;
  projectId: number;
  contactEmail?: string;
  contactPhone?: string;
  algorithm: 'RSA' | 'ECC';
  keyParameter?: string;
  keyPassword?: string;
  alias?: string;
}

/** ApplyCertificate's key choices: RSA 2048 or ECC prime256v1, as its SDK model says. */
function keySpecFor(algorithm: 'RSA' | 'ECC', parameter: string | undefined): string {
  if (algorithm === 'RSA') {
    if (parameter !== undefined && parameter !== '' && parameter !== '2048') {
      throw new DomainError('InvalidParam', 'CsrKeyParameter must be 2048 for RSA', 'CsrKeyParameter');
    }
    return 'RSA-2048';
  }
  if (parameter !== 'prime256v1') {
    throw new DomainError('InvalidParam', 'CsrKeyParameter must be prime256v1 for ECC', 'CsrKeyParameter');
  }
  return 'EC-P256';
}

export async function applyFree(
  orders: Orders,
  deps: SubmitDeps & { projectBelongsTo(uin: string, id: number): Promise<boolean> },
  caller: Caller,
  input: ApplyInput,
  change: Omit<Change, 'caller' | 'action'>,
): Promise<CertificateRow> {
  const action = 'ApplyCertificate';
  if (!caller.realNameVerified) {
    throw new DomainError('NoRealNameAuth', 'the account has not completed identity (real-name) verification');
  }
  if (!(await deps.projectBelongsTo(caller.uin, input.projectId))) {
    throw new DomainError('InvalidParam', `project ${input.projectId} does not exist`, 'ProjectId');
  }
  if (evaluate(caller, `ssl:${action}`, input.projectId) !== 'allow') {
    throw new DomainError('NoProjectPermission', `you may not apply for certificates in project ${input.projectId}`);
  }
  const domain = normalizeDomain(input.domain, { allowWildcard: false, field: 'DomainName' });
  const info = checkOrderInfo({ contactEmail: input.contactEmail, contactNumber: input.contactPhone });
  checkKeyPassword(input.keyPassword, 'CsrKeyPassword');
  const keySpec = keySpecFor(input.algorithm, input.keyParameter);
  checkCsrSubject({ commonName: domain }, [domain]);
  const key = await deps.keys.take(keySpec);
  const csrPem = await createCsr({ key, subject: { commonName: domain }, domains: [domain] });

  return orders.store.tx(async (db) => {
    await orders.checkFreeQuota(db, caller.uin, null);
    const now = orders.now();
    const id = newCertificateId();
    const row = newOrderRow({
      certificate_id: id,
      owner_uin: caller.uin,
      project_id: input.projectId,
      status: Status.Reviewing,
      product_id: freeProduct.id,
      source: 'free',
      order_id: `tcssl-${id.toLowerCase()}`,
      alias: input.alias ?? '',
      domain,
      san: JSON.stringify([domain]),
      key_spec: keySpec,
      csr_type: 'online',
      csr_pem: csrPem,
      private_key_sealed: deps.box.seal(key.privateKeyPem, `certificate-key:${id}`),
      key_password_sealed: input.keyPassword ? deps.box.seal(input.keyPassword, `key-password:${id}`) : null,
      info: JSON.stringify(info),
      is_dv: 1,
      verify_type: input.verifyType,
      submitted_at: now,
      committed_at: now,
      next_check_at: now,
      created_at: now,
    });
    await writes.insertCertificate(db, row);
    await createChallenges(db, row, input.verifyType, now);
    await orders.log(db, row, null, { caller, action, detail: `free DV certificate for ${domain}`, ...change });
    return row;
  });
}
