// The console checks fields with the server's own rules bound to browser primitives (console/src/rules.ts). Those
// primitives must agree with node's net.isIP and url.domainTo*, so that the console's messages are the server's.

import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, test } from 'node:test';
import { domainToASCII, domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { punycodeDecode } from '../../console/src/punycode.js';
import {
  browserIdn,
  domainProblem,
  domainRules,
  domainSetProblem,
  infoFieldProblem,
  serverWording,
} from '../../console/src/rules.js';
import { checkOrderInfo } from '../../src/orders/contacts.js';
import { checkDomainSet, tryNormalizeDomain } from '../../src/orders/domains.js';

const NAMES = [
  'example.com',
  '*.bücher.example',
  'bücher.example',
  'BÜCHER.example',
  '例子。测试',
  'ü.123',
  'a_b.ü',
  'xn--bcher-kva.example',
  'xn--zz.example',
  'xn--abc.example',
  'xn--a.example',
  'ab--c.example',
  'ü..com',
  '%41ü.com',
  '0x1f.ü',
  '1.2.3.4',
  '01.1.1.1',
  '[::1]',
  '::',
  '1:2:3:4:5:6:7::',
  '1:2:3:4:5:6:7:8:9',
  '::ffff:1.2.3.4',
  '1::2::3',
  'fe80::1%eth0',
  'fe80::1%',
  '12345::1',
  'ß.example',
  'xn--zca.example',
  'ﬀ.example',
  '\u200d.example',
];

/** Names built from the characters where the primitives could differ (the joiner U+200D among them). */
const hostish = fc
  .array(fc.constantFrom(...'abz09.:%*-üß例子。[]'.split(''), '\u200d'), { maxLength: 24 })
  .map((chars) => chars.join(''));

describe('console rule primitives', () => {
  test("isIP agrees with node's net.isIP", () => {
    for (const s of NAMES) assert.equal(browserIdn.isIP(s), isIP(s), s);
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.%a-z]{0,40}$/), (s) => browserIdn.isIP(s) === isIP(s)),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.ipV4(), (s) => browserIdn.isIP(s) === 4));
    fc.assert(fc.property(fc.ipV6(), (s) => browserIdn.isIP(s) === 6));
  });

  test("domainToASCII agrees with node's url.domainToASCII on non-ASCII names", () => {
    for (const s of NAMES.filter((n) => [...n].some((c) => c.charCodeAt(0) > 0x7f))) {
      assert.equal(browserIdn.domainToASCII(s), domainToASCII(s), s);
    }
  });

  test('punycode decoding round-trips what node encodes', () => {
    assert.equal(punycodeDecode('bcher-kva'), 'bücher');
    assert.equal(punycodeDecode('zz'), null);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), (s) => {
        const ascii = domainToASCII(`${s}.example`);
        if (!ascii.startsWith('xn--')) return true;
        const label = ascii.split('.')[0];
        return browserIdn.domainToUnicode(label) === domainToUnicode(label);
      }),
      { numRuns: 500 },
    );
  });

  test("tryNormalizeDomain gives the server's result and message for every name", () => {
    for (const s of NAMES) {
      for (const wild of [true, false]) {
        assert.deepEqual(domainRules.tryNormalizeDomain(s, wild), tryNormalizeDomain(s, wild), s);
      }
    }
    fc.assert(
      fc.property(hostish, (s) => {
        assert.deepEqual(domainRules.tryNormalizeDomain(s, true), tryNormalizeDomain(s, true));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('console field checks', () => {
  test("a bad email gets the server's message, in both languages", () => {
    let server = '';
    try {
      checkOrderInfo({ adminEmail: 'test@' });
    } catch (e) {
      server = (e as Error).message;
    }
    assert.equal(server, 'AdminEmail "test@" is not a valid email address');
    assert.equal(infoFieldProblem('AdminEmail', 'test@'), server);
    assert.equal(serverWording(server, 'zh'), `参数有误。${server}`);
    assert.equal(infoFieldProblem('AdminEmail', 'test@tencent.com'), undefined);
    assert.equal(
      infoFieldProblem('OrganizationCountry', 'ZZ'),
      'OrganizationCountry "ZZ" is not an ISO 3166-1 alpha-2 country code such as "CN"',
    );
  });

  test('domain checks name the field and match checkDomainSet', () => {
    assert.match(domainProblem('a_b.com', 'CertificateDomain') ?? '', /^CertificateDomain "a_b.com" is not a valid/);
    const input = { primary: 'a.example.com', list: ['*.b.example.com'], kind: 'multi' as const, domainNum: 3 };
    const problem = domainSetProblem(input);
    assert.ok(problem);
    assert.equal(problem.field, 'DomainList');
    assert.throws(() => checkDomainSet(input), { message: problem.message });
    assert.equal(
      domainSetProblem({ primary: '*.test-dq342da.com', list: [], kind: 'wildcard', domainNum: 1 }),
      undefined,
    );
  });
});
