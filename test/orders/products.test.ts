import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import {
  catalogueMarkdown,
  checkOrder,
  FREE_DV_PACKAGE_TYPE,
  findProduct,
  freeProduct,
  isFreePackageType,
  MAX_DOMAIN_NUM,
  MAX_MULTI_YEAR_TIME_SPAN,
  PRODUCTS,
} from '../../src/orders/products.js';

/** The SDK's CreateCertificateRequest.ProductId comment, parsed into id -> text. */
function sdkProductComment(): Map<number, string> {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('tencentcloud-sdk-nodejs/package.json');
  const file = pkg.replace(/package\.json$/, 'tencentcloud/services/ssl/v20191205/ssl_models.d.ts');
  const src = readFileSync(file, 'utf8');
  const start = src.indexOf('export interface CreateCertificateRequest');
  assert.ok(start >= 0, 'CreateCertificateRequest not found in the SDK models');
  const comment = src.slice(src.indexOf('/**', start), src.indexOf('*/', start));
  const out = new Map<number, string>();
  for (const piece of comment.split('<br>')) {
    const m = /^\s*(\d+)\s*[：:]\s*(.*?)\s*(?:<\/p>)?\s*$/s.exec(piece);
    if (m) out.set(Number(m[1]), m[2].replace(/[，,]$/, ''));
  }
  return out;
}

function throwsDomain(fn: () => unknown, kind: string, field: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.equal(e.field, field);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('product catalogue', () => {
  const sdk = sdkProductComment();

  test('holds exactly the ProductIds the SDK comment lists', () => {
    assert.ok(sdk.size > 80, `parsed only ${sdk.size} products from the SDK comment`);
    assert.deepEqual(
      [...PRODUCTS.keys()].sort((a, b) => a - b),
      [...sdk.keys()].sort((a, b) => a - b),
    );
  });

  test('keeps the SDK zh names verbatim, without the multi-year note', () => {
    for (const [id, text] of sdk)
      assert.equal(PRODUCTS.get(id)?.nameZh, text.replace(/，不支持多年期$/, ''), `id ${id}`);
  });

  test('marks as SM2 exactly the 国密 products', () => {
    const sm2 = [...PRODUCTS.values()].filter((p) => p.algorithm === 'SM2').map((p) => p.id);
    const guomi = [...sdk].filter(([, t]) => t.includes('国密')).map(([id]) => id);
    assert.deepEqual(sm2, guomi);
    assert.deepEqual(sm2, [33, 34, 35, 37, 38, 39, 40, 41, 51, 52, 53, 54, 55, 56]);
  });

  test('refuses multi-year only where the SDK says so', () => {
    for (const [id, text] of sdk) {
      const single = /不支持多年期|一年期/.test(text);
      const p = PRODUCTS.get(id)!;
      assert.equal(p.multiYear, !single, `id ${id}`);
      assert.equal(p.maxTimeSpan, single ? 1 : MAX_MULTI_YEAR_TIME_SPAN, `id ${id}`);
    }
  });

  test('derives level, kind and Pro consistently with each zh name', () => {
    for (const p of PRODUCTS.values()) {
      const n = p.nameZh;
      const level = /增强型|EV/.test(n) ? 'EV' : /企业型|OV/.test(n) ? 'OV' : 'DV';
      assert.equal(p.level, level, `id ${p.id} ${n}`);
      const wildcard = n.includes('通配符');
      const multi = n.includes('多域名');
      const kind = wildcard && multi ? 'wildcard-multi' : wildcard ? 'wildcard' : multi ? 'multi' : 'single';
      assert.equal(p.kind, kind, `id ${p.id} ${n}`);
      assert.equal(p.pro, n.includes('Pro'), `id ${p.id}`);
      assert.ok(p.nameEn.length > 0 && !/[^\x20-\x7e]/.test(p.nameEn), `id ${p.id} en name`);
      assert.ok(n.toLowerCase().includes(p.brand.toLowerCase()) || p.id === 105, `id ${p.id} brand ${p.brand}`);
    }
  });

  test('finds products by id and nothing else', () => {
    assert.equal(findProduct(3)?.nameEn, 'SecureSite EV Pro');
    assert.equal(findProduct(36), undefined);
    assert.equal(findProduct(83), undefined);
    assert.equal(findProduct(0), undefined);
  });

  test('keeps the free DV product out of the ProductId map', () => {
    assert.equal(FREE_DV_PACKAGE_TYPE, '83');
    assert.equal(freeProduct.id, 83);
    assert.equal(PRODUCTS.has(freeProduct.id), false);
    assert.deepEqual([freeProduct.brand, freeProduct.level, freeProduct.kind], ['TrustAsia', 'DV', 'single']);
    assert.equal(freeProduct.multiYear, false);
    assert.ok(isFreePackageType(undefined) && isFreePackageType('83') && isFreePackageType('2'));
    assert.ok(!isFreePackageType('3') && !isFreePackageType(''));
  });

  test('renders a markdown table with one row per product', () => {
    const md = catalogueMarkdown();
    const rows = md.trim().split('\n');
    assert.equal(rows.length, PRODUCTS.size + 2);
    assert.match(rows[2], /^\| 3 \| SecureSite \| EV \| single domain \| RSA \| 3 \| yes \|/);
    assert.ok(rows.every((r) => r.startsWith('|') && r.endsWith('|')));
    assert.ok(md.includes('| 33 | WoTrus | DV | single domain | SM2 (not supported yet) |'));
  });
});

describe('checkOrder', () => {
  const ok: [id: number, domainNum: number, timeSpan: number][] = [
    [3, 1, 1],
    [3, 1, 3],
    [7, 1, 2],
    [11, 2, 1],
    [11, MAX_DOMAIN_NUM, 3],
    [21, 5, 1],
    [98, 1, 2],
    [99, 3, 1],
    [100, 1, 1],
    [101, 1, 1],
    [104, 1, 1],
    [105, 1, 1],
  ];
  for (const [id, n, t] of ok) {
    test(`accepts ProductId ${id}, DomainNum ${n}, TimeSpan ${t}`, () => {
      assert.equal(checkOrder(findProduct(id), id, n, t).id, id);
    });
  }

  const bad: [id: number, domainNum: number, timeSpan: number, kind: string, field: string, msg: RegExp][] = [
    [36, 1, 1, 'InvalidParam', 'ProductId', /^ProductId 36 is not a known product$/],
    [0, 1, 1, 'InvalidParam', 'ProductId', /ProductId 0/],
    [106, 1, 1, 'InvalidParam', 'ProductId', /ProductId 106/],
    [33, 1, 1, 'Unsupported', 'ProductId', /SM2 \(国密\).*not supported yet/],
    [56, 2, 1, 'Unsupported', 'ProductId', /SM2/],
    [3, 2, 1, 'InvalidParam', 'DomainNum', /exactly 1 domain/],
    [7, 2, 1, 'InvalidParam', 'DomainNum', /wildcard product/],
    [3, 0, 1, 'InvalidParam', 'DomainNum', /at least 1/],
    [11, 1, 1, 'InvalidParam', 'DomainNum', /needs more than 1/],
    [42, 1, 1, 'InvalidParam', 'DomainNum', /needs more than 1/],
    [11, MAX_DOMAIN_NUM + 1, 1, 'InvalidParam', 'DomainNum', /at most 100 domains/],
    [11, 2.5, 1, 'InvalidParam', 'DomainNum', /whole number/],
    [3, 1, 0, 'InvalidParam', 'TimeSpan', /at least 1/],
    [3, 1, -1, 'InvalidParam', 'TimeSpan', /at least 1/],
    [3, 1, 1.5, 'InvalidParam', 'TimeSpan', /whole number/],
    [3, 1, MAX_MULTI_YEAR_TIME_SPAN + 1, 'InvalidParam', 'TimeSpan', /at most 3 years/],
    [99, 2, 2, 'InvalidParam', 'TimeSpan', /does not support multi-year/],
    [100, 1, 2, 'InvalidParam', 'TimeSpan', /does not support multi-year/],
    [101, 1, 3, 'InvalidParam', 'TimeSpan', /does not support multi-year/],
    [105, 1, 2, 'InvalidParam', 'TimeSpan', /does not support multi-year/],
  ];
  for (const [id, n, t, kind, field, msg] of bad) {
    test(`refuses ProductId ${id}, DomainNum ${n}, TimeSpan ${t} with ${kind} on ${field}`, () => {
      throwsDomain(() => checkOrder(findProduct(id), id, n, t), kind, field, msg);
    });
  }
});
