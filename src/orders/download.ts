// DownloadCertificate: the issued certificate packed for each kind of server. The private key leaves the store
// only here, only when this service made it, and only to its owner.

import { DomainError } from '../errors.js';
import type { Caller } from '../iam/caller.js';
import { splitPemChain } from '../pki/certificate-info.js';
import { buildDownloadZip, type DownloadZip } from '../pki/export.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { Orders } from './orders.js';
import { Status } from './status.js';

export async function download(
  orders: Orders,
  deps: { box: SecretBox; rootPem?: () => string },
  caller: Caller,
  certificateId: string,
): Promise<DownloadZip> {
  const row = await orders.load(orders.store.db, caller, certificateId, 'DownloadCertificate');
  if (row.status !== Status.Issued || !row.cert_pem) {
    throw new DomainError(
      'NotDownloadable',
      `certificate ${row.certificate_id} has status ${row.status}; only an issued certificate can be downloaded`,
      'CertificateId',
    );
  }
  const id = row.certificate_id;
  return buildDownloadZip({
    domain: row.domain,
    certPem: row.cert_pem,
    chainPems: row.chain_pem ? splitPemChain(row.chain_pem) : [],
    rootPem: row.source === 'upload' ? undefined : deps.rootPem?.(),
    privateKeyPem: row.private_key_sealed ? deps.box.openString(row.private_key_sealed, `certificate-key:${id}`) : null,
    csrPem: row.csr_pem,
    keyPassword: row.key_password_sealed ? deps.box.openString(row.key_password_sealed, `key-password:${id}`) : null,
  });
}
