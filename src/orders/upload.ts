// UploadCertificate: a certificate (and optionally its key) issued elsewhere, kept and served like our own.
// The chain is parsed and the key checked against the leaf before anything is written.

import { DomainError } from '../errors.js';
import type { Caller } from '../iam/caller.js';
import { evaluate } from '../iam/policy.js';
import { parseCertificatePem, splitPemChain } from '../pki/certificate-info.js';
import { matchesPrivateKey } from '../pki/csr.js';
import type { SecretBox } from '../pki/secret-box.js';
import * as writes from '../store/certificate-writes.js';
import * as certs from '../store/certificates-repo.js';
import type { CertificateRow } from '../store/schema.js';
import { type Change, newCertificateId, newOrderRow, type Orders } from './orders.js';
import { Status } from './status.js';
import { checkKeyPassword } from './submit.js';

export interface UploadInput {
  publicKeyPem: string;
  privateKeyPem?: string;
  certificateType: 'SVR' | 'CA';
  alias?: string;
  projectId: number;
  tags?: Array<{ TagKey: string; TagValue: string }>;
  repeatable: boolean;
  keyPassword?: string;
}

export async function upload(
  orders: Orders,
  deps: { box: SecretBox; projectBelongsTo(uin: string, id: number): Promise<boolean> },
  caller: Caller,
  input: UploadInput,
  change: Omit<Change, 'caller' | 'action'>,
): Promise<{ row: CertificateRow; repeatOf: string | null }> {
  const action = 'UploadCertificate';
  if (!(await deps.projectBelongsTo(caller.uin, input.projectId))) {
    throw new DomainError('InvalidParam', `project ${input.projectId} does not exist`, 'ProjectId');
  }
  if (evaluate(caller, `ssl:${action}`, input.projectId) !== 'allow') {
    throw new DomainError('NoProjectPermission', `you may not upload certificates into project ${input.projectId}`);
  }
  const pems = splitPemChain(input.publicKeyPem);
  if (pems.length === 0) {
    throw new DomainError('ParseError', 'CertificatePublicKey holds no PEM certificate', 'CertificatePublicKey');
  }
  const leaf = await parseCertificatePem(pems[0]);
  const chain = await Promise.all(pems.slice(1).map((p) => parseCertificatePem(p)));
  if (input.certificateType === 'CA' && input.privateKeyPem) {
    throw new DomainError(
      'InvalidParam',
      'a CA certificate is uploaded without a private key',
      'CertificatePrivateKey',
    );
  }
  if (input.certificateType === 'SVR' && !input.privateKeyPem) {
    throw new DomainError('InvalidParam', 'a server certificate needs its private key', 'CertificatePrivateKey');
  }
  if (input.privateKeyPem && !matchesPrivateKey(leaf.pem, input.privateKeyPem)) {
    throw new DomainError('Mismatch', 'the private key does not belong to the certificate', 'CertificatePrivateKey');
  }
  checkKeyPassword(input.keyPassword);

  return orders.store.tx(async (db) => {
    if (!input.repeatable) {
      const same = await certs.findUploadBySerial(db, caller.uin, leaf.serialHex, leaf.pem);
      if (same) return { row: same, repeatOf: same.certificate_id };
    }
    const now = orders.now();
    const id = newCertificateId();
    const domain = leaf.subjectCN ?? leaf.sans[0] ?? '';
    const row = newOrderRow({
      certificate_id: id,
      owner_uin: caller.uin,
      project_id: input.projectId,
      status: Status.Issued,
      source: 'upload',
      alias: input.alias ?? '',
      domain,
      san: JSON.stringify(leaf.sans.length > 0 ? leaf.sans : domain ? [domain] : []),
      key_spec: leaf.keyType === 'ECC' ? 'EC-P256' : 'RSA-2048',
      private_key_sealed: input.privateKeyPem ? deps.box.seal(input.privateKeyPem, `certificate-key:${id}`) : null,
      key_password_sealed: input.keyPassword ? deps.box.seal(input.keyPassword, `key-password:${id}`) : null,
      certificate_type: input.certificateType,
      tags: JSON.stringify(input.tags ?? []),
      cert_pem: leaf.pem,
      chain_pem: chain.length > 0 ? chain.map((c) => c.pem).join('') : null,
      serial: leaf.serialHex,
      cert_begin: leaf.notBefore,
      cert_end: leaf.notAfter,
      created_at: now,
    });
    await writes.insertCertificate(db, row);
    await orders.log(db, row, null, { caller, action, detail: `uploaded ${domain}`, ...change });
    return { row, repeatOf: null };
  });
}
