// What DescribeCertificates' listing must read for a stored row: its listed columns as they are, and the two flags.

import type { ListedCertificate } from '../../src/store/certificate-list.js';
import type { CertificateRow } from '../../src/store/schema.js';

export function listedOf(r: CertificateRow): ListedCertificate {
  return {
    certificate_id: r.certificate_id,
    owner_uin: r.owner_uin,
    project_id: r.project_id,
    status: r.status,
    product_id: r.product_id,
    source: r.source,
    domain_num: r.domain_num,
    time_span: r.time_span,
    alias: r.alias,
    domain: r.domain,
    san: r.san,
    is_dv: r.is_dv,
    verify_type: r.verify_type,
    status_msg: r.status_msg,
    tags: r.tags,
    cert_begin: r.cert_begin,
    cert_end: r.cert_end,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
    certificate_type: r.certificate_type,
    has_cert: r.cert_pem !== null,
    has_key_password: r.key_password_sealed !== null,
  };
}
