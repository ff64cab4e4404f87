// The presentation of certificates (src/actions/present.ts) against a model: the code it replaced, which read every
// field from the full row. DescribeCertificates' items, presented from the listed columns, and the fields it shares
// with DescribeCertificate(Detail), presented from the full row, must equal the model's for any row and language.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { certificatesItemJson, commonFields, formatTime } from '../../src/actions/present.js';
import { newOrderRow } from '../../src/orders/orders.js';
import { findProduct, freeProduct, PRODUCTS } from '../../src/orders/products.js';
import { STATUS_NAMES, type StatusCode } from '../../src/orders/status.js';
import type { CertificateRow } from '../../src/store/schema.js';
import { listedOf } from '../support/listed.js';

type Lang = 'en-US' | 'zh-CN';

function modelTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const d = new Date(Number(ms) + 8 * 3600_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function modelProduct(row: CertificateRow) {
  if (row.source === 'free') return freeProduct;
  return row.product_id === null ? undefined : findProduct(row.product_id);
}

function modelCommon(row: CertificateRow, lang: Lang) {
  const product = modelProduct(row);
  const san = JSON.parse(row.san) as string[];
  const status = row.status as StatusCode;
  return {
    OwnerUin: row.owner_uin,
    ProjectId: String(row.project_id),
    From: row.source === 'upload' ? 'upload' : (product?.brand.toLowerCase() ?? ''),
    CertificateType: row.certificate_type,
    PackageType: row.product_id === null ? '' : String(row.product_id),
    ProductZhName: product?.nameZh ?? '',
    Domain: row.domain,
    Alias: row.alias,
    Status: row.status,
    StatusMsg: row.status_msg ?? '',
    VerifyType: row.verify_type ?? '',
    VulnerabilityStatus: 'INACTIVE',
    CertBeginTime: modelTime(row.cert_begin),
    CertEndTime: modelTime(row.cert_end),
    ValidityPeriod: String(12 * row.time_span),
    InsertTime: modelTime(row.created_at),
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
    PackageTypeName: product ? (lang === 'zh-CN' ? product.nameZh : product.nameEn) : '',
    StatusName: STATUS_NAMES[status]?.[lang === 'zh-CN' ? 'zh' : 'en'] ?? '',
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

function modelItem(row: CertificateRow, lang: Lang) {
  const product = modelProduct(row);
  return {
    ...modelCommon(row, lang),
    ProjectInfo: null,
    BoundResource: [],
    IsIgnore: false,
    IsSM: false,
    EncryptAlgorithm: product?.algorithm ?? 'RSA',
    CAEncryptAlgorithms: [],
    CAEndTimes: [],
    CACommonNames: [],
    PreAuditInfo: null,
    AutoRenewFlag: 0,
    HostingStatus: null,
    HostingCompleteTime: null,
    HostingRenewCertId: null,
    HasRenewOrder: null,
    ReplaceOriCertIsDelete: false,
    IsExpiring: false,
    DVAuthDeadline: null,
    ValidationPassedTime: null,
    CertSANs: JSON.parse(row.san) as string[],
    AwaitingValidationMsg: null,
    AllowDownload: row.cert_pem !== null,
    IsDNSPODResolve: false,
    IsPackage: false,
    KeyPasswordCustomFlag: row.key_password_sealed !== null,
    SupportDownloadType: null,
    CertRevokedTime: row.revoked_at === null ? null : modelTime(row.revoked_at),
    HostingResourceTypes: null,
    HostingConfig: null,
    IsHostingUploadRenewCert: false,
  };
}

// Times up to the year 9999 and a few beyond it and before 1000, where toISOString changes its form.
const YEAR_10000 = Date.UTC(10000, 0, 1) - 8 * 3600_000;
const YEAR_1000 = Date.UTC(1000, 0, 1) - 8 * 3600_000;
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: YEAR_10000 + 86_400_000 }),
  fc.constantFrom(0, YEAR_10000 - 1, YEAR_10000, YEAR_1000 - 1, YEAR_1000, -1),
  fc.integer({ min: -8.64e15 + 8 * 3600_000, max: 8.64e15 - 8 * 3600_000 }),
);

const domain = fc.constantFrom('example.com', '*.example.com', 'www.example.org', '证书.example', '');
const rowArb = fc
  .record({
    status: fc.integer({ min: 0, max: 16 }),
    source: fc.constantFrom('paid', 'free', 'upload'),
    product_id: fc.option(fc.constantFrom(...PRODUCTS.keys(), 2, 83, 999), { nil: null }),
    project_id: fc.integer({ min: 0, max: 9_999_999 }),
    domain_num: fc.integer({ min: 1, max: 100 }),
    time_span: fc.integer({ min: 1, max: 3 }),
    alias: fc.string({ unit: 'binary' }),
    domain,
    san: fc.array(domain, { maxLength: 4 }).map((d) => JSON.stringify(d)),
    is_dv: fc.constantFrom(0, 1),
    verify_type: fc.option(fc.constantFrom('DNS', 'FILE', 'DNS_AUTO'), { nil: null }),
    status_msg: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
    tags: fc
      .array(fc.record({ TagKey: fc.string({ unit: 'binary' }), TagValue: fc.string({ unit: 'binary' }) }), {
        maxLength: 3,
      })
      .map((t) => JSON.stringify(t)),
    cert_pem: fc.option(fc.constant('-----BEGIN CERTIFICATE-----'), { nil: null }),
    key_password_sealed: fc.option(fc.constant('sealed'), { nil: null }),
    cert_begin: fc.option(timeArb, { nil: null }),
    cert_end: fc.option(timeArb, { nil: null }),
    revoked_at: fc.option(timeArb, { nil: null }),
    certificate_type: fc.constantFrom('SVR', 'CA'),
    created_at: timeArb,
  })
  .map((r) => newOrderRow({ certificate_id: 'aBcD1234', owner_uin: '100000000001', ...r }));

const langArb = fc.constantFrom<Lang>('en-US', 'zh-CN');

test('a DescribeCertificates item, written as ASCII JSON from the listed columns, is the model from the full row', () => {
  fc.assert(
    fc.property(rowArb, langArb, (row, lang) => {
      const json = certificatesItemJson(listedOf(row), lang);
      assert.match(json, /^[\x20-\x7e]*$/, 'ASCII only: every other character escaped');
      const model = modelItem(row, lang);
      assert.deepStrictEqual(JSON.parse(json), model);
      // The same keys in the same order, so a client's parser sees what it saw before.
      assert.equal(JSON.stringify(JSON.parse(json)), JSON.stringify(model));
    }),
    { numRuns: 1000 },
  );
});

test('the fields shared with DescribeCertificate(Detail) equal the model from the full row', () => {
  fc.assert(
    fc.property(rowArb, langArb, (row, lang) => {
      assert.equal(JSON.stringify(commonFields(row, lang)), JSON.stringify(modelCommon(row, lang)));
    }),
    { numRuns: 500 },
  );
});

test("formatTime writes toISOString's Beijing-time form, its sign and six digits beyond 9999, and its RangeError", () => {
  fc.assert(
    fc.property(timeArb, (ms) => assert.equal(formatTime(ms), modelTime(ms))),
    { numRuns: 5000 },
  );
  assert.equal(formatTime(Date.UTC(2026, 10, 27, 16, 5, 9)), '2026-11-28 00:05:09');
  assert.equal(formatTime(YEAR_10000), '+010000-01-01 00:00');
  assert.equal(formatTime(null), '');
  assert.throws(() => formatTime(8.64e15), RangeError);
});
