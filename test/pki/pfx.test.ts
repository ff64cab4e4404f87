import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import { buildPfx, PFX_ITERATIONS } from '../../src/pki/pfx.js';
import {
  makeTestChain,
  pemBlocks,
  publicKeyOfCertFile,
  publicKeyOfKeyFile,
  runTool,
  scratchDir,
  type TestChain,
  type TestKeyType,
} from '../support/test-certs.js';

const scratch = scratchDir();
after(() => scratch.remove());

const PASSWORD = 'Pfx-pass-123';
const rawOf = (pem: string) => new X509Certificate(pem).raw;

for (const type of ['rsa', 'ec-p256', 'ec-p384'] as TestKeyType[]) {
  describe(`buildPfx with ${type} keys`, () => {
    let chain: TestChain;
    let pfxFile: string;
    before(async () => {
      chain = await makeTestChain(type);
      const pfx = buildPfx({
        privateKeyPem: chain.leafKeyPem,
        certPem: chain.leafPem,
        chainPems: [chain.intermediatePem, chain.rootPem],
        password: PASSWORD,
        friendlyName: 'www.example.com',
      });
      pfxFile = scratch.file(`${type}.pfx`, pfx);
    });

    test('opens in OpenSSL 3 without the legacy provider, all of it AES-256 PBES2 under a SHA-256 MAC', async () => {
      const { stdout, stderr } = await runTool('openssl', [
        'pkcs12',
        '-info',
        '-in',
        pfxFile,
        '-passin',
        `pass:${PASSWORD}`,
        '-noout',
      ]);
      const info = stdout + stderr;
      assert.match(info, new RegExp(`MAC: sha256, Iteration ${PFX_ITERATIONS}`));
      assert.match(info, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, .*PRF hmacWithSHA256/);
      assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, .*PRF hmacWithSHA256/);
      assert.doesNotMatch(info, /RC2|3DES|pbeWithSHA1/i);
    });

    test('yields the key, matching the leaf, and the chain leaf first, with the friendly name', async () => {
      const { stdout } = await runTool('openssl', ['pkcs12', '-in', pfxFile, '-passin', `pass:${PASSWORD}`, '-nodes']);
      const blocks = pemBlocks(stdout);
      const keys = blocks.filter((b) => b.label === 'PRIVATE KEY');
      const certs = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => rawOf(b.pem));
      assert.equal(keys.length, 1);
      assert.deepEqual(certs, [rawOf(chain.leafPem), rawOf(chain.intermediatePem), rawOf(chain.rootPem)]);
      assert.equal(
        await publicKeyOfKeyFile(scratch.file('key.pem', keys[0].pem)),
        await publicKeyOfCertFile(scratch.file('leaf.pem', chain.leafPem)),
      );
      assert.match(stdout, /friendlyName: www\.example\.com/);
    });

    test('refuses the wrong password', async () => {
      await assert.rejects(runTool('openssl', ['pkcs12', '-in', pfxFile, '-passin', 'pass:wrong-pass', '-nodes']));
    });
  });
}

describe('buildPfx', () => {
  let rsa: TestChain;
  let ec: TestChain;
  before(async () => {
    [rsa, ec] = await Promise.all([makeTestChain('rsa'), makeTestChain('ec-p256')]);
  });

  test("is read by Java's keytool as a PKCS12 keystore with the whole chain", async () => {
    const pfx = buildPfx({
      privateKeyPem: rsa.leafKeyPem,
      certPem: rsa.leafPem,
      chainPems: [rsa.intermediatePem + rsa.rootPem],
      password: PASSWORD,
      friendlyName: 'www.example.com',
    });
    const file = scratch.file('java.pfx', pfx);
    const { stdout } = await runTool('keytool', [
      '-list',
      '-v',
      '-storetype',
      'PKCS12',
      '-keystore',
      file,
      '-storepass',
      PASSWORD,
    ]);
    assert.match(stdout, /Alias name: www\.example\.com/);
    assert.match(stdout, /Entry type: PrivateKeyEntry/);
    assert.match(stdout, /Certificate chain length: 3/);
  });

  test('seals each file with fresh salts, so two builds differ', () => {
    const input = { privateKeyPem: ec.leafKeyPem, certPem: ec.leafPem, chainPems: [], password: PASSWORD };
    assert.notDeepEqual(buildPfx(input), buildPfx(input));
  });

  test('refuses a key that belongs to another certificate as Mismatch', () => {
    assert.throws(
      () => buildPfx({ privateKeyPem: ec.leafKeyPem, certPem: rsa.leafPem, chainPems: [], password: PASSWORD }),
      (e: unknown) => e instanceof DomainError && e.kind === 'Mismatch',
    );
  });

  test('refuses an unreadable certificate or key as ParseError', () => {
    const isParseError = (e: unknown) => e instanceof DomainError && e.kind === 'ParseError';
    const good = { privateKeyPem: rsa.leafKeyPem, certPem: rsa.leafPem, chainPems: [], password: PASSWORD };
    assert.throws(() => buildPfx({ ...good, certPem: 'not a certificate' }), isParseError);
    assert.throws(
      () => buildPfx({ ...good, chainPems: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] }),
      isParseError,
    );
    assert.throws(() => buildPfx({ ...good, privateKeyPem: 'not a key' }), isParseError);
    assert.throws(() => buildPfx({ ...good, certPem: rsa.leafPem + rsa.intermediatePem }), isParseError);
  });
});
