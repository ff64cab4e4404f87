// The reads that every certificate request makes, by SQL text through `Store.read` instead of Kysely's query
// builder: on SQLite they run on the read-only connection, synchronously, without waiting behind another request's
// transaction. Same rows as the builder's `selectAll()` (both dialects hand back the driver's rows as they are).

import type { CertificateReader } from './certificates-repo.js';
import type { Store } from './db.js';
import type { CertificateRow, DcvCheckRow } from './schema.js';

const FIND = 'select * from certificates where certificate_id = ? and owner_uin = ?';
const DCV_CHECKS = 'select * from dcv_checks where certificate_id = ? order by created_at, domain';

/** The caller's certificate as last committed, through `store.read`. */
export async function findCertificate(
  store: Store,
  ownerUin: string,
  certificateId: string,
): Promise<CertificateRow | undefined> {
  return (await store.read<CertificateRow>(FIND, [certificateId, ownerUin]))[0];
}

/** `base` with its one-row find and its domain checks read through `store.read`. */
export function withHotReads(store: Store, base: CertificateReader): CertificateReader {
  return {
    ...base,
    find: (ownerUin, certificateId) => findCertificate(store, ownerUin, certificateId),
    dcvChecks: (certificateId) => store.read<DcvCheckRow>(DCV_CHECKS, [certificateId]),
  };
}
