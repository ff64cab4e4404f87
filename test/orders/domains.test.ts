import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/errors.js';
import { checkDomainSet, normalizeDomain, tryNormalizeDomain } from '../../src/orders/domains.js';
import type { ProductKind } from '../../src/orders/products.js';

const WILD = { allowWildcard: true, field: 'CertificateDomain' };
const PLAIN = { allowWildcard: false, field: 'CertificateDomain' };
const label = (n: number, c = 'a') => c.repeat(n);

function throwsDomain(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
    assert.equal(e.kind, 'InvalidParam');
    assert.equal(e.field, field);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('normalizeDomain', () => {
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253
  const name253 = `${label(63)}.${label(63, 'b')}.${label(63, 'c')}.${label(57, 'd')}.com`;
  const name254 = `${label(63)}.${label(63, 'b')}.${label(63, 'c')}.${label(58, 'd')}.com`;

  const valid: [raw: string, expected: string, wildcard?: boolean][] = [
    ['example.com', 'example.com'],
    ['  Example.COM  ', 'example.com'],
    ['example.com.', 'example.com'],
    ['www.example.com.', 'www.example.com'],
    ['\texample.com\r\n', 'example.com'],
    ['a-b.example.com', 'a-b.example.com'],
    ['1password.com', '1password.com'],
    ['123.example.com', '123.example.com'],
    ['x.y', 'x.y'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['例子.测试', 'xn--fsqu00a.xn--0zwm56d'],
    ['例子。测试', 'xn--fsqu00a.xn--0zwm56d'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
    ['faß.de', 'xn--fa-hia.de'],
    ['example.xn--0zwm56d', 'example.xn--0zwm56d'],
    [`${label(63)}.com`, `${label(63)}.com`],
    [name253, name253],
    ['*.example.com', '*.example.com', true],
    ['*.EXAMPLE.com.', '*.example.com', true],
    ['*.bücher.example', '*.xn--bcher-kva.example', true],
    ['*.a.b.c.example.com', '*.a.b.c.example.com', true],
  ];
  for (const [raw, expected, wildcard] of valid) {
    test(`normalises ${JSON.stringify(raw)} to ${expected}`, () => {
      assert.equal(normalizeDomain(raw, wildcard ? WILD : PLAIN), expected);
      assert.equal(normalizeDomain(expected, WILD), expected, 'idempotent');
    });
  }

  const invalid: [raw: string, reason: RegExp, opts?: typeof WILD][] = [
    ['', /is empty/],
    ['   ', /is empty/],
    ['example', /at least two labels/],
    ['com.', /at least two labels/],
    ['.example.com', /empty label/],
    ['example..com', /empty label/],
    ['example.com..', /empty label/],
    ['-example.com', /hyphen/],
    ['example-.com', /hyphen/],
    ['exa_mple.com', /character "_"/],
    ['exa mple.com', /whitespace/],
    ['exa\nmple.com', /whitespace/],
    ['exa\u0000mple.com', /control/],
    ['a%41.com', /character "%"/],
    ['user@example.com', /character "@"/],
    ['example.com/path', /character "\/"/],
    ['http://example.com', /character ":"/],
    ['example.com:443', /character ":"/],
    [`${label(64)}.com`, /longer than 63/],
    [name254, /254 characters long, over 253/],
    ['ab--cd.com', /reserved/],
    ['xn--a.com', /not valid punycode/],
    ['xn--ab-.com', /hyphen/],
    ['xn--abc.com', /not valid punycode/],
    ['xn--wca.com', /not valid punycode/],
    ['xn--.com', /not valid punycode|hyphen/],
    ['example.123', /top-level label is numeric/],
    ['example.0x1f', /top-level label is numeric/],
    ['1.2.3.4', /IP addresses/],
    ['127.1', /top-level label is numeric/],
    ['::1', /IP addresses/],
    ['[::1]', /IP addresses/],
    ['2001:db8::1', /IP addresses/],
    ['[2001:db8::1]', /IP addresses/],
    ['bücher.123', /not a valid internationalised domain name|numeric/],
    ['a\ud800.com', /control/],
    ['*', /needs a domain after it/, WILD],
    ['*.', /needs a domain after it/, WILD],
    ['a*.b.com', /whole leftmost label/, WILD],
    ['*a.b.com', /whole leftmost label/, WILD],
    ['a.*.com', /whole leftmost label/, WILD],
    ['*.*.com', /whole leftmost label/, WILD],
    ['a.b.*', /whole leftmost label/, WILD],
    ['*.com', /at least two labels/, WILD],
    ['*.1.2.3.4', /IP addresses/, WILD],
    ['*.example.com', /wildcard name, which is not allowed here/],
  ];
  for (const [raw, reason, opts] of invalid) {
    test(`refuses ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)} with InvalidParam`, () => {
      throwsDomain(() => normalizeDomain(raw, opts ?? PLAIN), 'CertificateDomain', reason);
    });
  }

  test('names the field and quotes the input in its message', () => {
    throwsDomain(
      () => normalizeDomain('foo', { allowWildcard: false, field: 'DomainList' }),
      'DomainList',
      /^DomainList "foo" is not a valid domain name: it needs at least two labels$/,
    );
  });

  test('returns a domain or throws DomainError for any string, never another error', () => {
    const unit = fc.oneof(
      fc.constantFrom('.', '-', '*', 'a', 'Z', '0', 'ü', '例', '。', 'xn--', ' ', '%', '[', ':', '\u0000', '\ud800'),
      fc.string({ unit: 'binary', maxLength: 3 }),
    );
    const arb = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit, maxLength: 40 }), fc.domain());
    fc.assert(
      fc.property(arb, fc.boolean(), (raw, allowWildcard) => {
        try {
          normalizeDomain(raw, { allowWildcard, field: 'DomainList' });
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('is idempotent on its output', () => {
    const arb = fc.oneof(
      fc.domain(),
      fc.domain().map((d) => `*.${d}`),
      fc.domain().map((d) => `${d.toUpperCase()}.`),
      fc
        .array(fc.constantFrom('bücher', '例子', 'faß', 'Ωmega', 'a', 'xn--bcher-kva', '测试'), {
          minLength: 2,
          maxLength: 4,
        })
        .map((ls) => ls.join('.')),
    );
    fc.assert(
      fc.property(arb, (raw) => {
        const r = tryNormalizeDomain(raw, true);
        if ('name' in r) assert.equal(normalizeDomain(r.name, WILD), r.name);
      }),
      { numRuns: 2000 },
    );
  });

  test('accepts the domains fast-check generates, bar the reserved "??--" labels', () => {
    fc.assert(
      fc.property(
        fc.domain().filter((d) => !d.split('.').some((l) => l.slice(2, 4) === '--' && !l.startsWith('xn--'))),
        (d) => {
          const r = tryNormalizeDomain(d, false);
          // fc.domain() may produce punycode-looking labels that are not valid punycode; those are refused.
          if ('problem' in r) assert.match(r.problem, /punycode/);
          else assert.equal(r.name, d.toLowerCase());
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('checkDomainSet', () => {
  const set = (primary: string | undefined, list: string[] | undefined, kind: ProductKind, domainNum: number) =>
    checkDomainSet({ primary, list, kind, domainNum });

  const valid: [
    primary: string | undefined,
    list: string[] | undefined,
    kind: ProductKind,
    n: number,
    all: string[],
  ][] = [
    ['example.com', undefined, 'single', 1, ['example.com']],
    ['Example.com.', [], 'single', 1, ['example.com']],
    ['example.com', ['EXAMPLE.com'], 'single', 1, ['example.com']],
    ['*.example.com', undefined, 'wildcard', 1, ['*.example.com']],
    ['*.example.com', ['*.example.com'], 'wildcard', 1, ['*.example.com']],
    ['a.com', ['b.com'], 'multi', 2, ['a.com', 'b.com']],
    ['a.com', ['a.com', 'b.com', 'c.com'], 'multi', 3, ['a.com', 'b.com', 'c.com']],
    ['a.com', ['b.com', 'a.com.'], 'multi', 2, ['a.com', 'b.com']],
    ['a.com', ['b.com'], 'multi', 5, ['a.com', 'b.com']],
    [undefined, ['a.com', 'b.com'], 'multi', 2, ['a.com', 'b.com']],
    ['', ['a.com', 'b.com'], 'multi', 2, ['a.com', 'b.com']],
    [undefined, ['a.com'], 'single', 1, ['a.com']],
    ['*.a.com', ['a.com', 'b.com', '*.b.com'], 'wildcard-multi', 4, ['*.a.com', 'a.com', 'b.com', '*.b.com']],
    ['a.com', ['*.a.com'], 'wildcard-multi', 2, ['a.com', '*.a.com']],
    ['bücher.example', ['xn--bcher-kva.example', 'b.com'], 'multi', 2, ['xn--bcher-kva.example', 'b.com']],
  ];
  for (const [primary, list, kind, n, all] of valid) {
    test(`accepts ${primary} + ${JSON.stringify(list)} for ${kind}/${n}`, () => {
      assert.deepEqual(set(primary, list, kind, n), { primary: all[0], all });
    });
  }

  const invalid: [
    primary: string | undefined,
    list: string[] | undefined,
    kind: ProductKind,
    n: number,
    field: string,
    msg: RegExp,
  ][] = [
    [undefined, undefined, 'single', 1, 'CertificateDomain', /CertificateDomain is required/],
    ['  ', [], 'single', 1, 'CertificateDomain', /CertificateDomain is required/],
    ['a.com', undefined, 'multi', 2, 'DomainList', /DomainList is required/],
    ['a.com', [], 'wildcard-multi', 2, 'DomainList', /DomainList is required/],
    ['a.com', ['b.com'], 'single', 1, 'DomainList', /only the CertificateDomain for a single product.*"b\.com"/],
    ['*.a.com', ['a.com'], 'wildcard', 1, 'DomainList', /only the CertificateDomain for a wildcard product/],
    ['*.a.com', undefined, 'single', 1, 'CertificateDomain', /wildcard name, which this product does not cover/],
    ['a.com', ['*.b.com'], 'multi', 2, 'DomainList', /"\*\.b\.com" is a wildcard name/],
    ['a.com', undefined, 'wildcard', 1, 'CertificateDomain', /must be a wildcard name such as "\*\.a\.com"/],
    ['a.com', ['b.com', 'B.com.'], 'multi', 3, 'DomainList', /DomainList names "b\.com" more than once/],
    ['a.com', ['a.com', 'b.com', 'a.com'], 'multi', 3, 'DomainList', /"a\.com" more than once/],
    [undefined, ['a.com', 'b.com', 'a.com'], 'multi', 3, 'DomainList', /"a\.com" more than once/],
    ['a.com', ['b.com', 'c.com', 'd.com'], 'multi', 3, 'DomainList', /^DomainList has 4 domains .* allows 3$/],
    ['a.com', ['a.com', 'b.com', 'c.com', 'd.com'], 'multi', 3, 'DomainList', /has 4 domains/],
    ['a.com', ['b.com'], 'single', 1, 'DomainList', /single product/],
    ['a..com', ['b.com'], 'multi', 2, 'CertificateDomain', /empty label/],
    ['a.com', ['b.com', 'bad_name.com'], 'multi', 3, 'DomainList', /DomainList "bad_name\.com"/],
    [undefined, ['localhost', 'b.com'], 'multi', 2, 'DomainList', /at least two labels/],
  ];
  for (const [primary, list, kind, n, field, msg] of invalid) {
    test(`refuses ${primary} + ${JSON.stringify(list)} for ${kind}/${n} with InvalidParam on ${field}`, () => {
      throwsDomain(() => set(primary, list, kind, n), field, msg);
    });
  }
});
