// CheckCertificateChain's rules, on chains made by openssl: linked, valid now, anchored.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import { checkChain } from '../../src/pki/chain.js';
import { makeTestChain, type TestChain } from '../support/test-certs.js';

describe('checkChain', () => {
  let c: TestChain;
  let other: TestChain;
  before(async () => {
    c = await makeTestChain('ec-p256', 'www.chain.example');
    other = await makeTestChain('rsa', 'www.other.example');
  });

  test('leaf + intermediate anchored in a given root is valid and trusted, completed with the root', () => {
    const v = checkChain(c.leafPem + c.intermediatePem, [c.rootPem]);
    assert.equal(v.valid, true);
    assert.equal(v.trusted, true);
    assert.equal(v.chain.length, 3);
    assert.equal(v.problem, null);
  });

  test('the same chain without its root among the anchors is valid but not trusted', () => {
    const v = checkChain(c.leafPem + c.intermediatePem, []);
    assert.equal(v.valid, true);
    assert.equal(v.trusted, false);
    assert.match(v.problem ?? '', /trusted root/);
  });

  test('a chain whose links do not match is invalid and says which link', () => {
    const v = checkChain(c.leafPem + other.intermediatePem, [c.rootPem, other.rootPem]);
    assert.equal(v.valid, false);
    assert.match(v.problem ?? '', /certificate 1 is not signed by certificate 2/);
  });

  test('a chain checked at a time outside its validity is invalid', () => {
    const v = checkChain(c.leafPem + c.intermediatePem, [c.rootPem], Date.parse('2000-01-01'));
    assert.equal(v.valid, false);
    assert.match(v.problem ?? '', /not valid now/);
  });

  test('garbage is refused with ParseError', () => {
    for (const bad of ['', 'hello', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']) {
      assert.throws(
        () => checkChain(bad, []),
        (e) => e instanceof DomainError && e.kind === 'ParseError',
      );
    }
  });
});
