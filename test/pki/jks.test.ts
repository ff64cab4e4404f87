import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import { buildJks } from '../../src/pki/jks.js';
import {
  keysFromJks,
  makeTestChain,
  publicKeyOfCertFile,
  publicKeyOfKeyFile,
  runTool,
  scratchDir,
  type TestChain,
  type TestKeyType,
} from '../support/test-certs.js';

const scratch = scratchDir();
after(() => scratch.remove());

const PASSWORD = 'Jks-pass-123';

/** keytool -importkeystore into PKCS#12, then openssl: the key Java recovered, as `openssl pkey -pubout` sees it. */
async function recoveredPublicKey(jksFile: string, alias: string, storePass: string, keyPass: string): Promise<string> {
  const keys = await keysFromJks({ jksFile, alias, storePass, keyPass, p12File: scratch.file('recovered.p12') });
  assert.equal(keys.length, 1);
  return publicKeyOfKeyFile(scratch.file('recovered.key', keys[0]));
}

for (const type of ['rsa', 'ec-p256', 'ec-p384'] as TestKeyType[]) {
  describe(`buildJks with ${type} keys`, () => {
    let chain: TestChain;
    let jksFile: string;
    before(async () => {
      chain = await makeTestChain(type);
      const jks = buildJks({
        alias: 'WWW.Example.com',
        privateKeyPem: chain.leafKeyPem,
        chainPems: [chain.leafPem, chain.intermediatePem, chain.rootPem],
        storePassword: PASSWORD,
      });
      jksFile = scratch.file(`${type}.jks`, jks);
    });

    test('keytool lists one PrivateKeyEntry under the lowercased alias, with the three-certificate chain', async () => {
      const { stdout } = await runTool('keytool', ['-list', '-v', '-keystore', jksFile, '-storepass', PASSWORD]);
      assert.match(stdout, /Keystore type: JKS/i);
      assert.match(stdout, /Your keystore contains 1 entry/);
      assert.match(stdout, /Alias name: www\.example\.com/);
      assert.match(stdout, /Entry type: PrivateKeyEntry/);
      assert.match(stdout, /Certificate chain length: 3/);
      const owners = [...stdout.matchAll(/^Owner: (.*)$/gm)].map((m) => m[1]);
      assert.deepEqual(owners, [
        'CN=www.example.com',
        'CN=tcssl Test Intermediate, O=tcssl test, C=CN',
        'CN=tcssl Test Root, O=tcssl test, C=CN',
      ]);
    });

    test('keytool -importkeystore recovers the key that matches the leaf', async () => {
      assert.equal(
        await recoveredPublicKey(jksFile, 'www.example.com', PASSWORD, PASSWORD),
        await publicKeyOfCertFile(scratch.file('leaf.pem', chain.leafPem)),
      );
    });

    test('keytool refuses the wrong store password', async () => {
      await assert.rejects(
        runTool('keytool', ['-list', '-keystore', jksFile, '-storepass', 'Wrong-pass-1']),
        /tampered with, or password was incorrect/,
      );
    });
  });
}

describe('buildJks', () => {
  let rsa: TestChain;
  let ec: TestChain;
  before(async () => {
    [rsa, ec] = await Promise.all([makeTestChain('rsa'), makeTestChain('ec-p256')]);
  });

  test('seals the key with keyPassword when it differs from the store password', async () => {
    const file = scratch.file(
      'two-passwords.jks',
      buildJks({
        alias: 'tomcat',
        privateKeyPem: ec.leafKeyPem,
        chainPems: [ec.leafPem + ec.intermediatePem],
        storePassword: PASSWORD,
        keyPassword: 'Key-pass-456',
      }),
    );
    assert.equal(
      await recoveredPublicKey(file, 'tomcat', PASSWORD, 'Key-pass-456'),
      await publicKeyOfCertFile(scratch.file('leaf.pem', ec.leafPem)),
    );
    await assert.rejects(recoveredPublicKey(file, 'tomcat', PASSWORD, PASSWORD), /Cannot recover key/);
  });

  test('writes the JKS v2 header, the entry date and the SHA-1 integrity digest Java checks', () => {
    const now = Date.UTC(2024, 0, 2, 3, 4, 5);
    const jks = Buffer.from(
      buildJks({ alias: 'a', privateKeyPem: rsa.leafKeyPem, chainPems: [rsa.leafPem], storePassword: 'pw', now }),
    );
    assert.equal(jks.readUInt32BE(0), 0xfeedfeed);
    assert.equal(jks.readUInt32BE(4), 2);
    assert.equal(jks.readUInt32BE(8), 1); // one entry
    assert.equal(jks.readUInt32BE(12), 1); // a private key entry
    assert.equal(jks.readUInt16BE(16), 1);
    assert.equal(jks.toString('utf8', 18, 19), 'a');
    assert.equal(Number(jks.readBigInt64BE(19)), now);
    const body = jks.subarray(0, -20);
    const pw = Buffer.from([0, 0x70, 0, 0x77]); // 'pw' as Java chars, big-endian
    const digest = createHash('sha1').update(pw).update('Mighty Aphrodite').update(body).digest();
    assert.deepEqual(jks.subarray(-20), digest);
  });

  test('refuses a key that belongs to another certificate as Mismatch', () => {
    assert.throws(
      () => buildJks({ alias: 'a', privateKeyPem: rsa.leafKeyPem, chainPems: [ec.leafPem], storePassword: PASSWORD }),
      (e: unknown) => e instanceof DomainError && e.kind === 'Mismatch',
    );
  });

  test('refuses an empty chain as ParseError and an empty alias as InvalidParam', () => {
    const base = { alias: 'a', privateKeyPem: rsa.leafKeyPem, chainPems: [rsa.leafPem], storePassword: PASSWORD };
    assert.throws(
      () => buildJks({ ...base, chainPems: [] }),
      (e: unknown) => e instanceof DomainError && e.kind === 'ParseError',
    );
    assert.throws(
      () => buildJks({ ...base, alias: '' }),
      (e: unknown) => e instanceof DomainError && e.kind === 'InvalidParam',
    );
  });
});
