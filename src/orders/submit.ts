// SubmitCertificateInformation's business rules: who may submit, when, which domains, which CSR (uploaded and
// verified, or made here from a pooled key), which organisation and contact details. Everything slow (CSR
// parsing, key generation) happens before the transaction; the transaction re-reads the order under its lock
// and replaces the stored information whole, so a rejected request changes nothing.

import { DomainError } from '../errors.js';
import type { Caller } from '../iam/caller.js';
import type { SubjectInfo } from '../pki/csr.js';
import { checkCsrSubject, createCsr, parseCsr } from '../pki/csr.js';
import type { GeneratedKey } from '../pki/keys.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { CertificateRow } from '../store/schema.js';
import { checkOrderInfo, type OrderInfo } from './contacts.js';
import { checkDomainSet, normalizeDomain } from './domains.js';
import type { Change, OrdersCore } from './orders.js';
import { findProduct, freeProduct, type Product } from './products.js';
import { Status, WAITING_FOR_INFORMATION } from './status.js';
import { checkKeyPassword, type VerifyType } from './submit-rules.js';

export { checkKeyPassword, VERIFY_TYPES, type VerifyType } from './submit-rules.js';

export interface SubmitInput {
  certificateId: string;
  csrType?: 'online' | 'parse';
  csrContent?: string;
  certificateDomain?: string;
  domainList?: string[];
  keyPassword?: string;
  info: OrderInfo;
  verifyType?: VerifyType;
  isDv?: boolean;
}

/** Where online CSRs get their keys: a pool per key spec ('RSA-2048', 'EC-P256'). */
export interface KeySource {
  take(spec: string): Promise<GeneratedKey>;
}

export interface SubmitDeps {
  box: SecretBox;
  keys: KeySource;
}

export function productOfRow(row: CertificateRow): Product {
  if (row.source === 'free') return freeProduct;
  const product = row.product_id === null ? undefined : findProduct(row.product_id);
  if (!product)
    throw new DomainError('WrongStatus', `certificate ${row.certificate_id} is not an order`, 'CertificateId');
  return product;
}

/** The subject of an online CSR: CN only for DV; organisation fields too for OV/EV (Baseline Requirements 7.1.4). */
function subjectFor(primary: string, product: Product, isDv: boolean, info: OrderInfo): SubjectInfo {
  if (product.level === 'DV' || isDv) return { commonName: primary };
  return {
    commonName: primary,
    organization: info.organizationName,
    organizationalUnit: info.organizationDivision,
    locality: info.organizationCity,
    state: info.organizationRegion,
    country: info.organizationCountry,
  };
}

interface Prepared {
  primary: string;
  all: string[];
  csrType: 'online' | 'parse';
  csrPem: string;
  privateKeyPem: string | null;
  info: OrderInfo;
}

/** Checks everything that needs no lock, and makes or parses the CSR. */
async function prepare(row: CertificateRow, input: SubmitInput, deps: SubmitDeps): Promise<Prepared> {
  const product = productOfRow(row);
  const info = checkOrderInfo(input.info);
  checkKeyPassword(input.keyPassword);
  const csrType = input.csrType ?? (input.csrContent ? 'parse' : 'online');
  const isDv = product.level === 'DV' || input.isDv === true;

  if (csrType === 'parse') {
    if (!input.csrContent) {
      throw new DomainError('InvalidParam', 'CsrContent is required when CsrType is parse', 'CsrContent');
    }
    const csr = await parseCsr(input.csrContent);
    // The CSR's names are compared in the same normal form as the submitted ones (lowercase, punycode, no dot).
    const norm = (d: string) => normalizeDomain(d, { allowWildcard: true, field: 'CsrContent' });
    const cn = csr.commonName ? norm(csr.commonName) : null;
    const given = input.certificateDomain?.trim();
    if (!given && !cn && !input.domainList?.length) {
      throw new DomainError(
        'InvalidParam',
        'the CSR has no common name, and neither CertificateDomain nor DomainList names a domain',
        'CsrContent',
      );
    }
    const { primary, all } = checkDomainSet({
      primary: given || cn || undefined,
      list: input.domainList,
      kind: product.kind,
      domainNum: row.domain_num,
    });
    if (cn !== null && cn !== primary) {
      throw new DomainError(
        'InvalidParam',
        `the CSR's common name ${cn} does not equal CertificateDomain ${primary}`,
        'CertificateDomain',
      );
    }
    const covered = new Set(all);
    const stray = csr.dnsNames.map(norm).filter((d) => !covered.has(d));
    if (stray.length > 0) {
      throw new DomainError(
        'InvalidParam',
        `the CSR names ${stray.join(', ')} in subjectAltName, which CertificateDomain and DomainList do not include`,
        'CsrContent',
      );
    }
    return { primary, all, csrType, csrPem: csr.pem, privateKeyPem: null, info };
  }

  if (input.csrContent) {
    throw new DomainError('InvalidParam', 'CsrContent must be empty when CsrType is online', 'CsrContent');
  }
  const { primary, all } = checkDomainSet({
    primary: input.certificateDomain,
    list: input.domainList,
    kind: product.kind,
    domainNum: row.domain_num,
  });
  const subject = subjectFor(primary, product, isDv, info);
  // Refuse a subject that cannot be written before spending a pooled key on it.
  checkCsrSubject(subject, all);
  const key = await deps.keys.take(row.key_spec);
  const csrPem = await createCsr({ key, subject, domains: all });
  return { primary, all, csrType, csrPem, privateKeyPem: key.privateKeyPem, info };
}

function requireWaiting(row: CertificateRow): void {
  if (!WAITING_FOR_INFORMATION.has(row.status)) {
    throw new DomainError(
      'WrongStatus',
      `certificate ${row.certificate_id} has status ${row.status}; information can be submitted only in status ` +
        `${Status.PaidInfoPending} (paid) or ${Status.FreeInfoPending} (free)`,
      'CertificateId',
    );
  }
}

export async function submitInformation(
  core: OrdersCore,
  deps: SubmitDeps,
  caller: Caller,
  input: SubmitInput,
  change: Omit<Change, 'caller' | 'action'>,
): Promise<CertificateRow> {
  const action = 'SubmitCertificateInformation';
  const first = await core.load(core.store.db, caller, input.certificateId, action);
  if (!caller.realNameVerified) {
    throw new DomainError('NoRealNameAuth', 'the account has not completed identity (real-name) verification');
  }
  requireWaiting(first);
  const prepared = await prepare(first, input, deps);
  return core.store.tx(async (db) => {
    // Under the write lock: the order may have moved on (another Submit, a cancel) while the CSR was made.
    const row = await core.load(db, caller, input.certificateId, action, { forUpdate: true });
    requireWaiting(row);
    if (row.source === 'free') await core.checkFreeQuota(db, caller.uin, row.certificate_id);
    const id = row.certificate_id;
    return core.apply(
      db,
      row,
      {
        domain: prepared.primary,
        san: JSON.stringify(prepared.all),
        csr_type: prepared.csrType,
        csr_pem: prepared.csrPem,
        private_key_sealed:
          prepared.privateKeyPem === null ? null : deps.box.seal(prepared.privateKeyPem, `certificate-key:${id}`),
        key_password_sealed: input.keyPassword ? deps.box.seal(input.keyPassword, `key-password:${id}`) : null,
        info: JSON.stringify(prepared.info),
        is_dv: productOfRow(row).level === 'DV' || input.isDv === true ? 1 : 0,
        verify_type: input.verifyType ?? row.verify_type,
        submitted_at: core.now(),
      },
      {
        caller,
        action,
        detail: row.submitted_at === null ? 'information submitted' : 'information replaced',
        ...change,
      },
    );
  });
}
