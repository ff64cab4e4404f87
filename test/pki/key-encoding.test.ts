import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { encodeJwk } from '../../src/pki/key-encoding.js';
import { toPem } from '../../src/pki/pem.js';

describe('PKCS#8 and SPKI from a JWK', () => {
  const kinds = [
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), 40],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), 40],
    ['RSA-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 6],
    ['RSA-3072', () => generateKeyPairSync('rsa', { modulusLength: 3072 }), 2],
  ] as const;
  for (const [name, make, count] of kinds) {
    test(`${name}: byte-for-byte node's own PEM export, for ${count} keys`, () => {
      for (let i = 0; i < count; i++) {
        const { privateKey, publicKey } = make();
        const encoded = encodeJwk(privateKey.export({ format: 'jwk' }));
        assert.ok(encoded);
        assert.equal(toPem('PRIVATE KEY', encoded.pkcs8), privateKey.export({ type: 'pkcs8', format: 'pem' }));
        assert.equal(toPem('PUBLIC KEY', encoded.spki), publicKey.export({ type: 'spki', format: 'pem' }));
      }
    });
  }

  test('other keys are not encoded here', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    assert.equal(encodeJwk(privateKey.export({ format: 'jwk' })), null);
    const { privateKey: k1 } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    assert.equal(encodeJwk(k1.export({ format: 'jwk' })), null);
  });
});
