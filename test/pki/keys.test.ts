import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import { generateKey, importKeyPairForWebCrypto, loadX509, resolveKeySpec } from '../../src/pki/keys.js';

const isUnsupported = (e: unknown) => e instanceof DomainError && e.kind === 'Unsupported';

function publicOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

describe('generateKey', () => {
  test('makes an RSA-2048 PKCS#8 / SPKI pair with exponent 65537 by default', async () => {
    const key = await generateKey({ algorithm: 'RSA' });
    assert.deepEqual(key.spec, { algorithm: 'RSA', rsaBits: 2048 });
    assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const details = createPrivateKey(key.privateKeyPem).asymmetricKeyDetails;
    assert.equal(details?.modulusLength, 2048);
    assert.equal(details?.publicExponent, 65537n);
    assert.equal(publicOf(key.privateKeyPem), key.publicKeyPem);
  });

  test('makes P-256 by default and P-384 on request', async () => {
    const p256 = await generateKey({ algorithm: 'ECC' });
    const p384 = await generateKey({ algorithm: 'ECC', curve: 'P-384' });
    assert.deepEqual(p256.spec, { algorithm: 'ECC', curve: 'P-256' });
    assert.deepEqual(p384.spec, { algorithm: 'ECC', curve: 'P-384' });
    assert.equal(createPrivateKey(p256.privateKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(createPrivateKey(p384.privateKeyPem).asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.equal(publicOf(p384.privateKeyPem), p384.publicKeyPem);
  });

  test('refuses key sizes and curves outside RSA 2048-8192 and P-256/P-384 as Unsupported', async () => {
    for (const spec of [
      { algorithm: 'RSA', rsaBits: 1024 },
      { algorithm: 'RSA', rsaBits: 8200 },
      { algorithm: 'RSA', rsaBits: 2047 },
      { algorithm: 'ECC', curve: 'P-521' },
      { algorithm: 'DSA' },
    ]) {
      await assert.rejects(generateKey(spec as never), isUnsupported, JSON.stringify(spec));
    }
    assert.deepEqual(resolveKeySpec({ algorithm: 'RSA', rsaBits: 3072 }), { algorithm: 'RSA', rsaBits: 3072 });
  });
});

describe('importKeyPairForWebCrypto', () => {
  const data = new TextEncoder().encode('to be signed');

  test('gives x509 an RSA pair that signs with RSASSA-PKCS1-v1_5 / SHA-256', async () => {
    const key = await generateKey({ algorithm: 'RSA' });
    const { keys, signingAlgorithm } = await importKeyPairForWebCrypto(key.privateKeyPem);
    assert.deepEqual(signingAlgorithm, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
    const sig = await webcrypto.subtle.sign(signingAlgorithm, keys.privateKey, data);
    assert.equal(await webcrypto.subtle.verify(signingAlgorithm, keys.publicKey, sig, data), true);
    assert.equal(keys.privateKey.extractable, false);
  });

  test('gives x509 an ECDSA pair, also from a SEC1 "EC PRIVATE KEY" PEM', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const { keys, signingAlgorithm } = await importKeyPairForWebCrypto(sec1, 'SHA-384');
    assert.deepEqual(signingAlgorithm, { name: 'ECDSA', hash: 'SHA-384' });
    assert.equal((keys.publicKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve, 'P-384');
    const sig = await webcrypto.subtle.sign(signingAlgorithm, keys.privateKey, data);
    assert.equal(await webcrypto.subtle.verify(signingAlgorithm, keys.publicKey, sig, data), true);
  });

  test('refuses an unreadable key as ParseError', async () => {
    await assert.rejects(importKeyPairForWebCrypto('not a key'), { kind: 'ParseError' });
  });

  test('refuses Ed25519 and P-521 keys as Unsupported', async () => {
    for (const [type, opts] of [
      ['ed25519', {}],
      ['ec', { namedCurve: 'secp521r1' }],
    ] as const) {
      const pem = generateKeyPairSync(type as 'ec', opts as { namedCurve: string }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await assert.rejects(importKeyPairForWebCrypto(pem.toString()), isUnsupported, type);
    }
  });
});

describe('loadX509', () => {
  test('loads @peculiar/x509 once, with node WebCrypto as its provider', async () => {
    const x509 = await loadX509();
    assert.equal(await loadX509(), x509);
    assert.equal(x509.cryptoProvider.get(), webcrypto);
  });
});
