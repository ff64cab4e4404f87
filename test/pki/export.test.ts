import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { DomainError } from '../../src/errors.js';
import { buildDownloadZip, type DownloadInput, type DownloadZip } from '../../src/pki/export.js';
import {
  keysFromJks,
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

const KEY_PASSWORD = 'Customer-pw-123';
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

function onlineInput(chain: TestChain, domain: string, keyPassword: string | null): DownloadInput {
  return {
    domain,
    certPem: chain.leafPem,
    chainPems: [chain.intermediatePem],
    rootPem: chain.rootPem,
    privateKeyPem: chain.leafKeyPem,
    csrPem: chain.csrPem,
    keyPassword,
  };
}

/** `openssl x509 -noout -subject` on each certificate in a PEM file, in order. */
async function subjectsOf(pem: string): Promise<string[]> {
  const subjects: string[] = [];
  for (const block of pemBlocks(pem)) {
    assert.equal(block.label, 'CERTIFICATE');
    const file = scratch.file('part.crt', block.pem);
    subjects.push((await runTool('openssl', ['x509', '-in', file, '-noout', '-subject'])).stdout.trim());
  }
  return subjects;
}

/** Opens the PFX with openssl (default provider only): its private keys and certificate subjects. */
async function openPfx(pfx: Uint8Array, password: string): Promise<{ keys: string[]; subjects: string[] }> {
  const file = scratch.file('x.pfx', pfx);
  const { stdout } = await runTool('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes']);
  const blocks = pemBlocks(stdout);
  return {
    keys: blocks.filter((b) => b.label === 'PRIVATE KEY').map((b) => b.pem),
    subjects: await subjectsOf(
      blocks
        .filter((b) => b.label === 'CERTIFICATE')
        .map((b) => b.pem)
        .join(''),
    ),
  };
}

/** keytool lists the JKS, then moves it into PKCS#12 and openssl reads the key back out. */
async function openJks(jks: Uint8Array, alias: string, password: string): Promise<{ listing: string; key: string }> {
  const file = scratch.file('x.jks', jks);
  const listing = (await runTool('keytool', ['-list', '-v', '-keystore', file, '-storepass', password])).stdout;
  const [key] = await keysFromJks({ jksFile: file, alias, storePass: password, p12File: scratch.file('x.p12') });
  return { listing, key };
}

const publicKeyOfKey = (pem: string) => publicKeyOfKeyFile(scratch.file('k.key', pem));

for (const type of ['rsa', 'ec-p256'] as TestKeyType[]) {
  describe(`buildDownloadZip for an online order with a KeyPassword (${type})`, () => {
    let chain: TestChain;
    let out: DownloadZip;
    let files: Record<string, Uint8Array>;
    let leafPublicKey: string;
    const d = 'www.example.com';
    const subject = { leaf: `subject=CN = ${d}`, int: 'subject=C = CN, O = tcssl test, CN = tcssl Test Intermediate' };
    const root = 'subject=C = CN, O = tcssl test, CN = tcssl Test Root';

    before(async () => {
      chain = await makeTestChain(type, d);
      out = buildDownloadZip(onlineInput(chain, d, KEY_PASSWORD));
      files = unzipSync(out.zip);
      leafPublicKey = await publicKeyOfCertFile(scratch.file('leaf.pem', chain.leafPem));
    });

    test('lays the files out per server type, as in Tencent Cloud’s download', () => {
      assert.deepEqual(out.files, [
        `${d}.csr`,
        `Nginx/1_${d}_bundle.crt`,
        `Nginx/2_${d}.key`,
        'Apache/1_root_bundle.crt',
        `Apache/2_${d}.crt`,
        `Apache/3_${d}.key`,
        `IIS/${d}.pfx`,
        'IIS/keystorePass.txt',
        `Tomcat/${d}.jks`,
        'Tomcat/keystorePass.txt',
        `${d}.pem`,
        `${d}.key`,
      ]);
      assert.deepEqual(Object.keys(files).sort(), [...out.files].sort());
      assert.equal(out.generatedPassword, null);
    });

    test('every certificate file opens with openssl x509: leaf, then intermediates, never the root', async () => {
      assert.deepEqual(await subjectsOf(text(files[`Nginx/1_${d}_bundle.crt`])), [subject.leaf, subject.int]);
      assert.deepEqual(await subjectsOf(text(files['Apache/1_root_bundle.crt'])), [subject.int]);
      assert.deepEqual(await subjectsOf(text(files[`Apache/2_${d}.crt`])), [subject.leaf]);
      assert.deepEqual(await subjectsOf(text(files[`${d}.pem`])), [subject.leaf, subject.int]);
    });

    test('every key file is the leaf’s key, by openssl pkey', async () => {
      for (const name of [`Nginx/2_${d}.key`, `Apache/3_${d}.key`, `${d}.key`]) {
        assert.match(text(files[name]), /^-----BEGIN PRIVATE KEY-----\n/);
        assert.equal(await publicKeyOfKey(text(files[name])), leafPublicKey, name);
      }
    });

    test('the CSR is the one the order holds', async () => {
      assert.equal(text(files[`${d}.csr`]).trim(), chain.csrPem.trim());
      const csrFile = scratch.file('x.csr', files[`${d}.csr`]);
      await runTool('openssl', ['req', '-in', csrFile, '-noout', '-verify']);
    });

    test('the PFX opens with the KeyPassword in openssl pkcs12: the key and the full chain', async () => {
      const pfx = await openPfx(files[`IIS/${d}.pfx`], KEY_PASSWORD);
      assert.equal(pfx.keys.length, 1);
      assert.equal(await publicKeyOfKey(pfx.keys[0]), leafPublicKey);
      assert.deepEqual(pfx.subjects, [subject.leaf, subject.int, root]);
    });

    test('the JKS opens with the KeyPassword in keytool, and the key it gives up matches the leaf', async () => {
      const jks = await openJks(files[`Tomcat/${d}.jks`], d, KEY_PASSWORD);
      assert.match(jks.listing, new RegExp(`Alias name: ${d.replace(/\./g, '\\.')}`));
      assert.match(jks.listing, /Entry type: PrivateKeyEntry/);
      assert.match(jks.listing, /Certificate chain length: 3/);
      assert.equal(await publicKeyOfKey(jks.key), leafPublicKey);
    });

    test('both keystores refuse a wrong password', async () => {
      await assert.rejects(openPfx(files[`IIS/${d}.pfx`], 'Wrong-pw-123'));
      await assert.rejects(openJks(files[`Tomcat/${d}.jks`], d, 'Wrong-pw-123'), /password was incorrect/);
    });

    test('the password is in both keystorePass.txt files and in no other file', () => {
      assert.equal(text(files['IIS/keystorePass.txt']), KEY_PASSWORD);
      assert.equal(text(files['Tomcat/keystorePass.txt']), KEY_PASSWORD);
      for (const [name, data] of Object.entries(files)) {
        if (name.endsWith('keystorePass.txt')) continue;
        assert.equal(Buffer.from(data).includes(KEY_PASSWORD), false, name);
        assert.equal(Buffer.from(data).includes(Buffer.from(KEY_PASSWORD, 'utf16le').swap16()), false, name);
      }
    });
  });
}

describe('buildDownloadZip', () => {
  let rsa: TestChain;
  let ec: TestChain;
  let wildcard: TestChain;
  before(async () => {
    [rsa, ec, wildcard] = await Promise.all([
      makeTestChain('rsa'),
      makeTestChain('ec-p384'),
      makeTestChain('ec-p256', '*.example.com'),
    ]);
  });

  test('for a parse order (the customer kept the key) has no key file and no Tomcat or IIS folder', () => {
    const d = 'www.example.com';
    const out = buildDownloadZip({ ...onlineInput(rsa, d, null), privateKeyPem: null });
    assert.deepEqual(out.files, [
      `${d}.csr`,
      `Nginx/1_${d}_bundle.crt`,
      'Apache/1_root_bundle.crt',
      `Apache/2_${d}.crt`,
      `${d}.pem`,
    ]);
    assert.deepEqual(Object.keys(unzipSync(out.zip)).sort(), [...out.files].sort());
    assert.equal(out.generatedPassword, null);
  });

  test('without a CSR leaves the .csr out', () => {
    const out = buildDownloadZip({ ...onlineInput(rsa, 'www.example.com', KEY_PASSWORD), csrPem: null });
    assert.equal(
      out.files.some((f) => f.endsWith('.csr')),
      false,
    );
    assert.equal(out.files.length, 11);
  });

  test('without a KeyPassword generates one, returns it, and seals the PFX and JKS with it', async () => {
    const d = 'www.example.com';
    const out = buildDownloadZip(onlineInput(ec, d, null));
    const files = unzipSync(out.zip);
    assert.match(out.generatedPassword ?? '', /^[A-Za-z0-9]{16}$/);
    const password = out.generatedPassword as string;
    assert.equal(text(files['IIS/keystorePass.txt']), password);
    assert.equal(text(files['Tomcat/keystorePass.txt']), password);
    const leafPublicKey = await publicKeyOfCertFile(scratch.file('leaf.pem', ec.leafPem));
    assert.equal(await publicKeyOfKey((await openPfx(files[`IIS/${d}.pfx`], password)).keys[0]), leafPublicKey);
    assert.equal(await publicKeyOfKey((await openJks(files[`Tomcat/${d}.jks`], d, password)).key), leafPublicKey);
    assert.notEqual(buildDownloadZip(onlineInput(ec, d, null)).generatedPassword, password);
    assert.match(buildDownloadZip(onlineInput(ec, d, '')).generatedPassword ?? '', /^[A-Za-z0-9]{16}$/);
  });

  test("names a wildcard certificate's files with '_' for '*'", async () => {
    const out = buildDownloadZip(onlineInput(wildcard, '*.example.com', KEY_PASSWORD));
    assert.ok(out.files.includes('Nginx/1__.example.com_bundle.crt'));
    assert.ok(out.files.includes('Apache/2__.example.com.crt'));
    assert.ok(out.files.includes('IIS/_.example.com.pfx'));
    assert.ok(out.files.includes('Tomcat/_.example.com.jks'));
    assert.equal(
      out.files.some((f) => f.includes('*')),
      false,
    );
    const files = unzipSync(out.zip);
    const pfxFile = scratch.file('wild.pfx', files['IIS/_.example.com.pfx']);
    const { stdout } = await runTool('openssl', [
      'pkcs12',
      '-in',
      pfxFile,
      '-passin',
      `pass:${KEY_PASSWORD}`,
      '-nodes',
    ]);
    assert.match(stdout, /friendlyName: \*\.example\.com/);
    assert.match(stdout, /subject=CN = \*\.example\.com/);
  });

  test('dates every entry at the leaf’s notBefore, so equal inputs list equally', () => {
    const a = buildDownloadZip(onlineInput(rsa, 'www.example.com', KEY_PASSWORD));
    const b = buildDownloadZip(onlineInput(rsa, 'www.example.com', KEY_PASSWORD));
    assert.deepEqual(a.files, b.files);
    const zip = Buffer.from(a.zip);
    // The first local file header: signature, then the DOS time at byte 10 and date at byte 12 (local time).
    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    const t = new Date(Date.parse(new X509Certificate(rsa.leafPem).validFrom));
    const dosDate = ((t.getFullYear() - 1980) << 9) | ((t.getMonth() + 1) << 5) | t.getDate();
    const dosTime = (t.getHours() << 11) | (t.getMinutes() << 5) | (t.getSeconds() >> 1);
    assert.equal(zip.readUInt16LE(12), dosDate);
    assert.equal(zip.readUInt16LE(10), dosTime);
  });

  test('packs the root once when the chain already ends with it', async () => {
    const input = {
      ...onlineInput(rsa, 'www.example.com', KEY_PASSWORD),
      chainPems: [rsa.intermediatePem, rsa.rootPem],
    };
    const files = unzipSync(buildDownloadZip(input).zip);
    assert.equal((await openPfx(files['IIS/www.example.com.pfx'], KEY_PASSWORD)).subjects.length, 3);
  });

  test('refuses a key that is not the certificate’s as Mismatch', () => {
    assert.throws(
      () => buildDownloadZip({ ...onlineInput(rsa, 'www.example.com', KEY_PASSWORD), privateKeyPem: ec.leafKeyPem }),
      (e: unknown) => e instanceof DomainError && e.kind === 'Mismatch',
    );
  });
});
