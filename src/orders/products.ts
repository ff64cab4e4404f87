// The product catalogue behind CreateCertificate's ProductId (and the one free DV product), as data, and the rules
// for a valid (ProductId, DomainNum, TimeSpan) combination. Pure business rules: knows no HTTP, storage or wire codes.
import { DomainError } from '../errors.js';

export type ValidationLevel = 'DV' | 'OV' | 'EV';
export type ProductKind = 'single' | 'multi' | 'wildcard' | 'wildcard-multi';

export interface Product {
  id: number;
  brand: string;
  level: ValidationLevel;
  kind: ProductKind;
  algorithm: 'RSA' | 'ECC' | 'SM2';
  multiYear: boolean;
  /** Most years CreateCertificate's TimeSpan may ask for. */
  maxTimeSpan: number;
  nameZh: string;
  nameEn: string;
  pro: boolean;
}

/**
 * Longest TimeSpan (years) of a multi-year product. The SDK says only that multi-year products may exceed one year
 * (`TimeSpan`: 支持多年期的证书才可以大于1年) and names no maximum; we cap at 3, the longest multi-year plan commercial
 * CAs commonly sell (Huawei Cloud's equivalent API, `effective_time`, also stops at 3).
 */
export const MAX_MULTI_YEAR_TIME_SPAN = 3;

/**
 * Most domains one order may name. The SDK gives no cap; we take Let's Encrypt's 100 names per certificate (boulder's
 * `maxNames`), which is also the upper bound of the multi-domain products of the CAs listed here.
 */
export const MAX_DOMAIN_NUM = 100;

/**
 * Products that may only be bought for one year: the SDK marks 99, 100 and 101 as 不支持多年期 (no multi-year) and
 * names 105 一年期 (one-year). The rule for the rest: every other paid product is multi-year, since the SDK marks only
 * the exceptions.
 */
const SINGLE_YEAR_ONLY: ReadonlySet<number> = new Set([99, 100, 101, 105]);

type Row = [id: number, brand: string, level: ValidationLevel, kind: ProductKind, nameZh: string, nameEn: string];

/**
 * Verbatim from the SDK's `CreateCertificateRequest.ProductId` comment (tencentcloud-sdk-nodejs 4.1.313,
 * ssl_models.d.ts), exactly its ids (36, 62-74, 78-80, 83, 84, 86, 87, 91 are not listed there). The zh name is the
 * comment's text without its trailing notes (，不支持多年期 goes into SINGLE_YEAR_ONLY); the en names follow the
 * international API page (tencentcloud.com/document/api/1007/55888). Derived from the zh name, as the comment says it:
 * `pro` when it says Pro, `algorithm` SM2 when it says 国密 (Chinese national cryptography), RSA otherwise.
 * 105 names no CA, so its brand is 'Generic'; 单域名 without 企业型 (OV) or 增强型 (EV) reads as DV single-domain.
 */
const ROWS: readonly Row[] = [
  [3, 'SecureSite', 'EV', 'single', 'SecureSite 增强型企业版（EV Pro）', 'SecureSite EV Pro'],
  [4, 'SecureSite', 'EV', 'single', 'SecureSite 增强型（EV）', 'SecureSite EV'],
  [5, 'SecureSite', 'OV', 'single', 'SecureSite 企业型专业版（OV Pro）', 'SecureSite OV Pro'],
  [6, 'SecureSite', 'OV', 'single', 'SecureSite 企业型（OV）', 'SecureSite OV'],
  [7, 'SecureSite', 'OV', 'wildcard', 'SecureSite 企业型（OV）通配符', 'SecureSite OV wildcard'],
  [8, 'GeoTrust', 'EV', 'single', 'Geotrust 增强型（EV）', 'GeoTrust EV'],
  [9, 'GeoTrust', 'OV', 'single', 'Geotrust 企业型（OV）', 'GeoTrust OV'],
  [10, 'GeoTrust', 'OV', 'wildcard', 'Geotrust 企业型（OV）通配符', 'GeoTrust OV wildcard'],
  [11, 'TrustAsia', 'DV', 'multi', 'TrustAsia 域名型多域名 SSL 证书', 'TrustAsia DV multi-domain'],
  [12, 'TrustAsia', 'DV', 'wildcard', 'TrustAsia 域名型（DV）通配符', 'TrustAsia DV wildcard'],
  [13, 'TrustAsia', 'OV', 'wildcard', 'TrustAsia 企业型通配符（OV）SSL 证书（D3）', 'TrustAsia OV wildcard D3'],
  [14, 'TrustAsia', 'OV', 'single', 'TrustAsia 企业型（OV）SSL 证书（D3）', 'TrustAsia OV D3'],
  [15, 'TrustAsia', 'OV', 'multi', 'TrustAsia 企业型多域名 （OV）SSL 证书（D3）', 'TrustAsia OV multi-domain D3'],
  [16, 'TrustAsia', 'EV', 'single', 'TrustAsia 增强型 （EV）SSL 证书（D3）', 'TrustAsia EV D3'],
  [17, 'TrustAsia', 'EV', 'multi', 'TrustAsia 增强型多域名（EV）SSL 证书（D3）', 'TrustAsia EV multi-domain D3'],
  [18, 'GlobalSign', 'OV', 'single', 'GlobalSign 企业型（OV）SSL 证书', 'GlobalSign OV'],
  [19, 'GlobalSign', 'OV', 'wildcard', 'GlobalSign 企业型通配符 （OV）SSL 证书', 'GlobalSign OV wildcard'],
  [20, 'GlobalSign', 'EV', 'single', 'GlobalSign 增强型 （EV）SSL 证书', 'GlobalSign EV'],
  [
    21,
    'TrustAsia',
    'OV',
    'wildcard-multi',
    'TrustAsia 企业型通配符多域名（OV）SSL 证书（D3）',
    'TrustAsia OV wildcard multi-domain D3',
  ],
  [22, 'GlobalSign', 'OV', 'multi', 'GlobalSign 企业型多域名（OV）SSL 证书', 'GlobalSign OV multi-domain'],
  [
    23,
    'GlobalSign',
    'OV',
    'wildcard-multi',
    'GlobalSign 企业型通配符多域名（OV）SSL 证书',
    'GlobalSign OV wildcard multi-domain',
  ],
  [24, 'GlobalSign', 'EV', 'multi', 'GlobalSign 增强型多域名（EV）SSL 证书', 'GlobalSign EV multi-domain'],
  [25, 'WoTrus', 'DV', 'single', 'Wotrus 域名型证书', 'WoTrus DV'],
  [26, 'WoTrus', 'DV', 'multi', 'Wotrus 域名型多域名证书', 'WoTrus DV multi-domain'],
  [27, 'WoTrus', 'DV', 'wildcard', 'Wotrus 域名型通配符证书', 'WoTrus DV wildcard'],
  [28, 'WoTrus', 'OV', 'single', 'Wotrus 企业型证书', 'WoTrus OV'],
  [29, 'WoTrus', 'OV', 'multi', 'Wotrus 企业型多域名证书', 'WoTrus OV multi-domain'],
  [30, 'WoTrus', 'OV', 'wildcard', 'Wotrus 企业型通配符证书', 'WoTrus OV wildcard'],
  [31, 'WoTrus', 'EV', 'single', 'Wotrus 增强型证书', 'WoTrus EV'],
  [32, 'WoTrus', 'EV', 'multi', 'Wotrus 增强型多域名证书', 'WoTrus EV multi-domain'],
  [33, 'WoTrus', 'DV', 'single', 'WoTrus-国密域名型证书', 'WoTrus SM2 DV'],
  [34, 'WoTrus', 'DV', 'multi', 'WoTrus-国密域名型证书（多域名）', 'WoTrus SM2 DV multi-domain'],
  [35, 'WoTrus', 'DV', 'wildcard', 'WoTrus-国密域名型证书（通配符）', 'WoTrus SM2 DV wildcard'],
  [37, 'WoTrus', 'OV', 'single', 'WoTrus-国密企业型证书', 'WoTrus SM2 OV'],
  [38, 'WoTrus', 'OV', 'multi', 'WoTrus-国密企业型证书（多域名）', 'WoTrus SM2 OV multi-domain'],
  [39, 'WoTrus', 'OV', 'wildcard', 'WoTrus-国密企业型证书（通配符）', 'WoTrus SM2 OV wildcard'],
  [40, 'WoTrus', 'EV', 'single', 'WoTrus-国密增强型证书', 'WoTrus SM2 EV'],
  [41, 'WoTrus', 'EV', 'multi', 'WoTrus-国密增强型证书（多域名）', 'WoTrus SM2 EV multi-domain'],
  [
    42,
    'TrustAsia',
    'DV',
    'wildcard-multi',
    'TrustAsia-域名型证书（通配符多域名）',
    'TrustAsia DV wildcard multi-domain',
  ],
  [43, 'DNSPod', 'OV', 'single', 'DNSPod-企业型(OV)SSL证书', 'DNSPod OV'],
  [44, 'DNSPod', 'OV', 'wildcard', 'DNSPod-企业型(OV)通配符SSL证书', 'DNSPod OV wildcard'],
  [45, 'DNSPod', 'OV', 'multi', 'DNSPod-企业型(OV)多域名SSL证书', 'DNSPod OV multi-domain'],
  [46, 'DNSPod', 'EV', 'single', 'DNSPod-增强型(EV)SSL证书', 'DNSPod EV'],
  [47, 'DNSPod', 'EV', 'multi', 'DNSPod-增强型(EV)多域名SSL证书', 'DNSPod EV multi-domain'],
  [48, 'DNSPod', 'DV', 'single', 'DNSPod-域名型(DV)SSL证书', 'DNSPod DV'],
  [49, 'DNSPod', 'DV', 'wildcard', 'DNSPod-域名型(DV)通配符SSL证书', 'DNSPod DV wildcard'],
  [50, 'DNSPod', 'DV', 'multi', 'DNSPod-域名型(DV)多域名SSL证书', 'DNSPod DV multi-domain'],
  [51, 'DNSPod', 'OV', 'single', 'DNSPod（国密）-企业型(OV)SSL证书', 'DNSPod SM2 OV'],
  [52, 'DNSPod', 'OV', 'wildcard', 'DNSPod（国密）-企业型(OV)通配符SSL证书', 'DNSPod SM2 OV wildcard'],
  [53, 'DNSPod', 'OV', 'multi', 'DNSPod（国密）-企业型(OV)多域名SSL证书', 'DNSPod SM2 OV multi-domain'],
  [54, 'DNSPod', 'DV', 'single', 'DNSPod（国密）-域名型(DV)SSL证书', 'DNSPod SM2 DV'],
  [55, 'DNSPod', 'DV', 'wildcard', 'DNSPod（国密）-域名型(DV)通配符SSL证书', 'DNSPod SM2 DV wildcard'],
  [56, 'DNSPod', 'DV', 'multi', 'DNSPod（国密）-域名型(DV)多域名SSL证书', 'DNSPod SM2 DV multi-domain'],
  [57, 'SecureSite', 'OV', 'multi', 'SecureSite 企业型专业版多域名(OV Pro)', 'SecureSite OV Pro multi-domain'],
  [58, 'SecureSite', 'OV', 'multi', 'SecureSite 企业型多域名(OV)', 'SecureSite OV multi-domain'],
  [59, 'SecureSite', 'EV', 'multi', 'SecureSite 增强型专业版多域名(EV Pro)', 'SecureSite EV Pro multi-domain'],
  [60, 'SecureSite', 'EV', 'multi', 'SecureSite 增强型多域名(EV)', 'SecureSite EV multi-domain'],
  [61, 'GeoTrust', 'EV', 'multi', 'Geotrust 增强型多域名(EV)', 'GeoTrust EV multi-domain'],
  [75, 'SecureSite', 'OV', 'single', 'SecureSite 企业型(OV)', 'SecureSite OV'],
  [76, 'SecureSite', 'OV', 'wildcard', 'SecureSite 企业型(OV)通配符', 'SecureSite OV wildcard'],
  [77, 'SecureSite', 'EV', 'single', 'SecureSite 增强型(EV)', 'SecureSite EV'],
  [81, 'GlobalSign', 'OV', 'single', 'GlobalSign 企业型（OV）SSL证书', 'GlobalSign OV'],
  [82, 'GlobalSign', 'OV', 'wildcard', 'GlobalSign 企业型通配符 （OV）SSL证书', 'GlobalSign OV wildcard'],
  [85, 'GlobalSign', 'EV', 'single', 'GlobalSign 增强型 （EV）SSL证书', 'GlobalSign EV'],
  [
    88,
    'GlobalSign',
    'OV',
    'wildcard-multi',
    'GlobalSign 企业型通配符多域名 （OV）SSL证书',
    'GlobalSign OV wildcard multi-domain',
  ],
  [89, 'GlobalSign', 'OV', 'multi', 'GlobalSign 企业型多域名 （OV）SSL证书', 'GlobalSign OV multi-domain'],
  [90, 'GlobalSign', 'EV', 'multi', 'GlobalSign 增强型多域名（EV） SSL证书', 'GlobalSign EV multi-domain'],
  [92, 'SecureSite', 'OV', 'multi', 'SecureSite 企业型专业版多域名(OV Pro)', 'SecureSite OV Pro multi-domain'],
  [93, 'SecureSite', 'OV', 'multi', 'SecureSite 企业型多域名(OV)', 'SecureSite OV multi-domain'],
  [94, 'SecureSite', 'EV', 'multi', 'SecureSite 增强型专业版多域名(EV Pro)', 'SecureSite EV Pro multi-domain'],
  [95, 'SecureSite', 'EV', 'multi', 'SecureSite 增强型多域名(EV)', 'SecureSite EV multi-domain'],
  [96, 'SecureSite', 'EV', 'single', 'SecureSite 增强型专业版(EV Pro)', 'SecureSite EV Pro'],
  [97, 'SecureSite', 'OV', 'single', 'SecureSite 企业型专业版(OV Pro)', 'SecureSite OV Pro'],
  [98, 'CFCA', 'OV', 'single', 'CFCA 企业型(OV)SSL证书', 'CFCA OV'],
  [99, 'CFCA', 'OV', 'multi', 'CFCA 企业型多域名(OV)SSL证书', 'CFCA OV multi-domain'],
  [100, 'CFCA', 'OV', 'wildcard', 'CFCA 企业型通配符(OV)SSL证书', 'CFCA OV wildcard'],
  [101, 'CFCA', 'EV', 'single', 'CFCA 增强型(EV)SSL证书', 'CFCA EV'],
  [102, 'Rapid', 'DV', 'single', 'Rapid-域名型(DV)SSL证书', 'Rapid DV'],
  [103, 'Rapid', 'DV', 'wildcard', 'Rapid-域名型(DV)SSL证书(通配符)', 'Rapid DV wildcard'],
  [104, 'TrustAsia', 'DV', 'single', 'TrustAsia-域名型(单域名)', 'TrustAsia DV single-domain'],
  [105, 'Generic', 'DV', 'single', 'SSL单域名证书(一年期)', 'SSL single-domain certificate (1 year)'],
];

function rowToProduct([id, brand, level, kind, nameZh, nameEn]: Row): Product {
  const multiYear = !SINGLE_YEAR_ONLY.has(id);
  return Object.freeze({
    id,
    brand,
    level,
    kind,
    algorithm: nameZh.includes('国密') ? 'SM2' : 'RSA',
    multiYear,
    maxTimeSpan: multiYear ? MAX_MULTI_YEAR_TIME_SPAN : 1,
    nameZh,
    nameEn,
    pro: nameZh.includes('Pro'),
  });
}

export const PRODUCTS: ReadonlyMap<number, Product> = new Map(ROWS.map((r) => [r[0], rowToProduct(r)]));

/**
 * The free DV certificate that ApplyCertificate issues. It is not orderable through CreateCertificate, so it is not in
 * PRODUCTS. The SDK's `ApplyCertificateRequest.PackageType` says 可不传，目前仅支持类型83 (may be omitted; only 83 =
 * "TrustAsia C1 DV Free" is supported), and the Describe* models list both 83 and the older 2 = "TrustAsia TLS RSA CA".
 * New free certificates therefore carry PackageType '83'; ApplyCertificate also accepts the legacy '2' (older clients
 * and scripts send it) and an absent PackageType.
 */
export const FREE_DV_PACKAGE_TYPE = '83';
export const LEGACY_FREE_DV_PACKAGE_TYPE = '2';
/** The SDK's `ApplyCertificateRequest.ValidityPeriod`: 默认3（月），目前仅支持3个月 (3 months, the only value). */
export const FREE_DV_VALIDITY_MONTHS = 3;

export const freeProduct: Product = Object.freeze({
  id: Number(FREE_DV_PACKAGE_TYPE),
  brand: 'TrustAsia',
  level: 'DV',
  kind: 'single',
  // RSA is ApplyCertificate's default CsrEncryptAlgo; the request may ask for ECC instead.
  algorithm: 'RSA',
  multiYear: false,
  maxTimeSpan: 1,
  nameZh: 'TrustAsia C1 DV Free',
  nameEn: 'TrustAsia C1 DV Free',
  pro: false,
});

/** Whether ApplyCertificate's PackageType names the free product (absent means the default, which is it). */
export function isFreePackageType(packageType: string | undefined): boolean {
  return (
    packageType === undefined || packageType === FREE_DV_PACKAGE_TYPE || packageType === LEGACY_FREE_DV_PACKAGE_TYPE
  );
}

export function findProduct(id: number): Product | undefined {
  return PRODUCTS.get(id);
}

const MULTI_KINDS: ReadonlySet<ProductKind> = new Set(['multi', 'wildcard-multi']);

/**
 * Validates CreateCertificate's combination and returns the product. Throws DomainError: an unknown ProductId is
 * 'InvalidParam', an SM2 product 'Unsupported' (the embedded CA signs RSA/ECDSA only); DomainNum must be 1 for
 * single/wildcard products and 2..MAX_DOMAIN_NUM for multi-domain ones; TimeSpan 1..maxTimeSpan.
 */
export function checkOrder(
  product: Product | undefined,
  productId: number,
  domainNum: number,
  timeSpan: number,
): Product {
  if (product === undefined) {
    throw new DomainError('InvalidParam', `ProductId ${productId} is not a known product`, 'ProductId');
  }
  if (product.algorithm === 'SM2') {
    throw new DomainError(
      'Unsupported',
      `ProductId ${productId} (${product.nameZh}) is an SM2 (国密) product; SM2 certificates are not supported yet`,
      'ProductId',
    );
  }
  if (!Number.isInteger(domainNum) || domainNum < 1) {
    throw new DomainError('InvalidParam', `DomainNum ${domainNum} must be a whole number of at least 1`, 'DomainNum');
  }
  if (MULTI_KINDS.has(product.kind)) {
    if (domainNum < 2) {
      throw new DomainError(
        'InvalidParam',
        `DomainNum ${domainNum} is too small: ProductId ${productId} is a multi-domain product and needs more than 1`,
        'DomainNum',
      );
    }
    if (domainNum > MAX_DOMAIN_NUM) {
      throw new DomainError(
        'InvalidParam',
        `DomainNum ${domainNum} is too large: an order may name at most ${MAX_DOMAIN_NUM} domains`,
        'DomainNum',
      );
    }
  } else if (domainNum !== 1) {
    throw new DomainError(
      'InvalidParam',
      `DomainNum ${domainNum} is not allowed: ProductId ${productId} is a ${product.kind} product and covers exactly 1 domain`,
      'DomainNum',
    );
  }
  if (!Number.isInteger(timeSpan) || timeSpan < 1) {
    throw new DomainError(
      'InvalidParam',
      `TimeSpan ${timeSpan} must be a whole number of years, at least 1`,
      'TimeSpan',
    );
  }
  if (timeSpan > 1 && !product.multiYear) {
    throw new DomainError(
      'InvalidParam',
      `TimeSpan ${timeSpan} is not allowed: ProductId ${productId} does not support multi-year orders`,
      'TimeSpan',
    );
  }
  if (timeSpan > product.maxTimeSpan) {
    throw new DomainError(
      'InvalidParam',
      `TimeSpan ${timeSpan} is too long: ProductId ${productId} allows at most ${product.maxTimeSpan} years`,
      'TimeSpan',
    );
  }
  return product;
}

const KIND_LABEL: Readonly<Record<ProductKind, string>> = {
  single: 'single domain',
  multi: 'multi-domain',
  wildcard: 'wildcard',
  'wildcard-multi': 'wildcard multi-domain',
};

/** The CreateCertificate catalogue as a markdown table, one row per ProductId, for the README/docs generator. */
export function catalogueMarkdown(): string {
  const lines = [
    '| ProductId | Brand | Level | Kind | Algorithm | Max years | Pro | Name (zh) | Name (en) |',
    '|---:|---|---|---|---|---:|---|---|---|',
  ];
  for (const p of [...PRODUCTS.values()].sort((a, b) => a.id - b.id)) {
    const algorithm = p.algorithm === 'SM2' ? 'SM2 (not supported yet)' : p.algorithm;
    const cells = [
      p.id,
      p.brand,
      p.level,
      KIND_LABEL[p.kind],
      algorithm,
      p.maxTimeSpan,
      p.pro ? 'yes' : '',
      p.nameZh,
      p.nameEn,
    ];
    lines.push(`| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
