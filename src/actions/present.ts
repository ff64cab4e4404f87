// Converts stored certificate rows into the SDK's response models (Certificates, DescribeCertificateResponse).
// Field types follow ssl_models.d.ts exactly (ProjectId is a string, Status a number): the Go SDK fails a
// whole call when one field's JSON type differs. Where there is no value, the real service's "none" is used.

import { dnsChallenge, fileChallenge } from '../dcv/challenge.js';
import type { OrderInfo } from '../orders/contacts.js';
import { ORDER_INFO_FIELDS } from '../orders/contacts.js';
import { findProduct, freeProduct } from '../orders/products.js';
import { STATUS_NAMES, type StatusCode } from '../orders/status.js';
import type { ListedCertificate } from '../store/certificate-list.js';
import type { CertificateRow, DcvCheckRow } from '../store/schema.js';
import type { Lang } from './context.js';
import { asciiJson, asciiJsonString, asciiJsonStrings } from './json-text.js';

/** '00' to '99'. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** Tencent returns times as 'YYYY-MM-DD HH:mm:ss' in Beijing time (UTC+8, no daylight saving). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const d = new Date(Number(ms) + 8 * 3600_000);
  const y = d.getUTCFullYear();
  // Written from the date's fields: twice as fast as slicing toISOString, which a page of the list calls thirty
  // times. toISOString's own form (a sign and six digits, or a RangeError) stays for other years.
  if (!(y >= 1000 && y <= 9999)) return d.toISOString().slice(0, 19).replace('T', ' ');
  const t = TWO_DIGITS;
  return `${y}-${t[d.getUTCMonth() + 1]}-${t[d.getUTCDate()]} ${t[d.getUTCHours()]}:${t[d.getUTCMinutes()]}:${t[d.getUTCSeconds()]}`;
}

/** Parses 'YYYY-MM-DD HH:mm:ss' (Beijing time) or 'YYYY-MM-DD'; undefined when malformed. */
export function parseTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) - 8 * 3600_000;
  return Number.isNaN(ms) ? undefined : ms;
}

export function sanOf(row: Pick<CertificateRow, 'san'>): string[] {
  return JSON.parse(row.san) as string[];
}

function productOf(row: Pick<CertificateRow, 'source' | 'product_id'>) {
  if (row.source === 'free') return freeProduct;
  return row.product_id === null ? undefined : findProduct(row.product_id);
}

/** The names both answers derive from a row and its product, each written once for both. */
function namesOf(row: Pick<CertificateRow, 'source' | 'status'>, product: ReturnType<typeof productOf>, lang: Lang) {
  const zh = lang === 'zh-CN';
  return {
    from: row.source === 'upload' ? 'upload' : (product?.brand.toLowerCase() ?? ''),
    packageTypeName: product ? (zh ? product.nameZh : product.nameEn) : '',
    statusName: STATUS_NAMES[row.status as StatusCode]?.[zh ? 'zh' : 'en'] ?? '',
  };
}

/** SubmittedData: what the customer submitted, as the SDK model names it. KeyPassword is never returned. */
export function submittedData(row: CertificateRow) {
  if (row.submitted_at === null) return null;
  const info = JSON.parse(row.info) as OrderInfo;
  const data: Record<string, unknown> = {
    CsrType: row.csr_type ?? '',
    CsrContent: row.csr_pem ?? '',
    CertificateDomain: row.domain,
    DomainList: sanOf(row).filter((d) => d !== row.domain),
    KeyPassword: '',
  };
  for (const f of ORDER_INFO_FIELDS) data[f.wire] = info[f.key] ?? '';
  data.VerifyType = row.verify_type ?? '';
  return data;
}

/** Fields shared by DescribeCertificates' items and DescribeCertificate(Detail). */
export function commonFields(row: CertificateRow, lang: Lang) {
  const product = productOf(row);
  const san = sanOf(row);
  const names = namesOf(row, product, lang);
  return {
    OwnerUin: row.owner_uin,
    ProjectId: String(row.project_id),
    From: names.from,
    CertificateType: row.certificate_type,
    PackageType: row.product_id === null ? '' : String(row.product_id),
    ProductZhName: product?.nameZh ?? '',
    Domain: row.domain,
    Alias: row.alias,
    Status: row.status,
    StatusMsg: row.status_msg ?? '',
    VerifyType: row.verify_type ?? '',
    VulnerabilityStatus: 'INACTIVE',
    CertBeginTime: formatTime(row.cert_begin),
    CertEndTime: formatTime(row.cert_end),
    ValidityPeriod: String(12 * row.time_span),
    InsertTime: formatTime(row.created_at),
    CertificateId: row.certificate_id,
    CertificateExtra: {
      DomainNumber: String(row.domain_num),
      OriginCertificateId: '',
      ReplacedBy: '',
      ReplacedFor: '',
      RenewOrder: '',
      SMCert: 0,
      CompanyType: 0,
    },
    PackageTypeName: names.packageTypeName,
    StatusName: names.statusName,
    SubjectAltName: san,
    IsVip: false,
    IsWildcard: san.some((d) => d.startsWith('*.')),
    IsDv: row.is_dv === 1,
    IsVulnerability: false,
    RenewAble: false,
    Deployable: row.cert_pem !== null,
    Tags: JSON.parse(row.tags) as Array<{ TagKey: string; TagValue: string }>,
  };
}

/** The JSON, in ASCII, of the fixed names (products, statuses) that items repeat: a handful of strings. */
const namesJson = new Map<string, string>();
function nameJson(s: string): string {
  let json = namesJson.get(s);
  if (json === undefined) {
    json = asciiJsonString(s);
    namesJson.set(s, json);
  }
  return json;
}

/**
 * One item of DescribeCertificates as JSON text, in ASCII (json-text.ts): commonFields' fields in their order, then
 * the list's own. Written by hand rather than built as an object and stringified: a page has ten to a thousand
 * items, and this takes about half the time. test/actions/present.test.ts holds it, and commonFields, to the same
 * model, for any row and language and any text in the row.
 */
export function certificatesItemJson(row: ListedCertificate, lang: Lang): string {
  const product = productOf(row);
  const sanList = sanOf(row);
  const san = asciiJsonStrings(sanList);
  const q = asciiJsonString;
  const n = JSON.stringify;
  const { from, packageTypeName, statusName } = namesOf(row, product, lang);
  const wildcard = sanList.some((d) => d.startsWith('*.'));
  return (
    `{"OwnerUin":${q(row.owner_uin)},"ProjectId":${q(String(row.project_id))},"From":${nameJson(from)},` +
    `"CertificateType":${q(row.certificate_type)},` +
    `"PackageType":${row.product_id === null ? '""' : q(String(row.product_id))},` +
    `"ProductZhName":${nameJson(product?.nameZh ?? '')},"Domain":${q(row.domain)},"Alias":${q(row.alias)},` +
    `"Status":${n(row.status)},"StatusMsg":${q(row.status_msg ?? '')},"VerifyType":${q(row.verify_type ?? '')},` +
    `"VulnerabilityStatus":"INACTIVE","CertBeginTime":${q(formatTime(row.cert_begin))},` +
    `"CertEndTime":${q(formatTime(row.cert_end))},"ValidityPeriod":${q(String(12 * row.time_span))},` +
    `"InsertTime":${q(formatTime(row.created_at))},"CertificateId":${q(row.certificate_id)},` +
    `"CertificateExtra":{"DomainNumber":${q(String(row.domain_num))},"OriginCertificateId":"","ReplacedBy":"",` +
    `"ReplacedFor":"","RenewOrder":"","SMCert":0,"CompanyType":0},` +
    `"PackageTypeName":${nameJson(packageTypeName)},` +
    `"StatusName":${nameJson(statusName)},"SubjectAltName":${san},"IsVip":false,"IsWildcard":${wildcard},` +
    `"IsDv":${row.is_dv === 1},"IsVulnerability":false,"RenewAble":false,"Deployable":${row.has_cert},` +
    `"Tags":${row.tags === '[]' ? '[]' : asciiJson(JSON.parse(row.tags))},"ProjectInfo":null,"BoundResource":[],` +
    `"IsIgnore":false,"IsSM":false,"EncryptAlgorithm":${nameJson(product?.algorithm ?? 'RSA')},` +
    `"CAEncryptAlgorithms":[],"CAEndTimes":[],"CACommonNames":[],"PreAuditInfo":null,"AutoRenewFlag":0,` +
    `"HostingStatus":null,"HostingCompleteTime":null,"HostingRenewCertId":null,"HasRenewOrder":null,` +
    `"ReplaceOriCertIsDelete":false,"IsExpiring":false,"DVAuthDeadline":null,"ValidationPassedTime":null,` +
    `"CertSANs":${san},"AwaitingValidationMsg":null,"AllowDownload":${row.has_cert},"IsDNSPODResolve":false,` +
    `"IsPackage":false,"KeyPasswordCustomFlag":${row.has_key_password},"SupportDownloadType":null,` +
    `"CertRevokedTime":${row.revoked_at === null ? 'null' : q(formatTime(row.revoked_at))},` +
    `"HostingResourceTypes":null,"HostingConfig":null,"IsHostingUploadRenewCert":false}`
  );
}

/**
 * DvAuthDetail: what the customer must publish for each domain. For DNS, DvAuthKey is the TXT host label and
 * DvAuthDomain the zone it sits in; for FILE, DvAuthPath is the directory and DvAuthKey the file name. The first
 * domain's values are repeated at the top level, as the real service does for single-domain orders.
 */
export function dvAuthDetail(checks: readonly DcvCheckRow[], san: string[]) {
  if (checks.length === 0) return null;
  // In the order's own domain order, primary first.
  const position = (d: string) => (san.indexOf(d) + san.length + 1) % (san.length + 1);
  const ordered = [...checks].sort((a, b) => position(a.domain) - position(b.domain));
  const auths = ordered.map((c) => {
    if (c.method === 'FILE') {
      const f = fileChallenge(c.domain, c.token);
      return {
        DvAuthKey: f.fileName,
        DvAuthValue: f.content,
        DvAuthDomain: c.domain,
        DvAuthPath: f.dir,
        DvAuthSubDomain: '',
        DvAuthVerifyType: 'FILE',
      };
    }
    const d = dnsChallenge(c.domain, c.token);
    return {
      DvAuthKey: d.hostLabel,
      DvAuthValue: d.value,
      DvAuthDomain: d.baseDomain,
      DvAuthPath: '',
      DvAuthSubDomain: d.hostLabel,
      DvAuthVerifyType: 'DNS',
    };
  });
  const first = auths[0];
  return {
    DvAuthKey: first.DvAuthKey,
    DvAuthValue: first.DvAuthValue,
    DvAuthDomain: first.DvAuthDomain,
    DvAuthPath: first.DvAuthPath,
    DvAuthKeySubDomain: first.DvAuthSubDomain,
    DvAuths: auths,
  };
}
