import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isDomainError } from '../../src/errors.js';
import { parseCertificatePem, splitPemChain } from '../../src/pki/certificate-info.js';
import { openssl } from '../support/openssl.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'tcssl-certinfo-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A self-signed certificate from `openssl req -x509`. */
async function selfSigned(opts: { newkey: string[]; subject: string; serial?: string; ext?: string[] }) {
  const dir = join(root, `c${n++}`);
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await run('mkdir', ['-p', dir]);
  await run('openssl', [
    'req',
    '-x509',
    ...opts.newkey,
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    opts.subject,
    '-days',
    '30',
    ...(opts.serial ? ['-set_serial', opts.serial] : []),
    ...(opts.ext ?? []).flatMap((e) => ['-addext', e]),
  ]);
  return readFileSync(cert, 'utf8');
}

const RSA = ['-newkey', 'rsa:2048'];
const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

function isParseError(e: unknown): boolean {
  return isDomainError(e) && e.kind === 'ParseError' && e.field === 'CertificatePublicKey';
}

describe('parseCertificatePem', () => {
  test('reads serial, validity, subject, SANs, issuer, key and fingerprints as openssl does', async () => {
    const pem = await selfSigned({
      newkey: RSA,
      subject: '/C=CN/O=Example Ltd/CN=www.example.test',
      serial: '0x1234abcd',
      ext: ['subjectAltName=DNS:www.example.test,DNS:*.Example.test,IP:127.0.0.1,email:a@example.test'],
    });
    const info = await parseCertificatePem(pem);
    assert.equal(info.serialHex, '1234abcd');
    assert.equal(info.subjectCN, 'www.example.test');
    assert.deepEqual(info.sans, ['www.example.test', '*.example.test']);
    assert.match(info.subjectDn, /CN=www\.example\.test/);
    assert.match(info.issuerDn, /O=Example Ltd/);
    assert.equal(info.keyType, 'RSA');
    assert.equal(info.rsaBits, 2048);
    assert.equal(info.isCa, true, 'openssl req -x509 marks its certificates CA:TRUE');

    const dates = await openssl(['x509', '-noout', '-startdate', '-enddate', '-in', '@in'], pem);
    const [start, end] = dates
      .trim()
      .split('\n')
      .map((l) => Date.parse(l.split('=')[1]));
    assert.equal(info.notBefore, start);
    assert.equal(info.notAfter, end);
    for (const [alg, field] of [
      ['-sha1', 'fingerprintSha1'],
      ['-sha256', 'fingerprintSha256'],
    ] as const) {
      const out = await openssl(['x509', '-noout', '-fingerprint', alg, '-in', '@in'], pem);
      assert.equal(info[field], out.split('=')[1].trim().replace(/:/g, '').toLowerCase());
    }
    const pub = await openssl(['x509', '-noout', '-pubkey', '-in', '@in'], pem);
    assert.equal(info.publicKeyPem.trim(), pub.trim());
  });

  test('an ECDSA P-256 certificate without SAN reads as ECC with its curve and no SANs', async () => {
    const info = await parseCertificatePem(await selfSigned({ newkey: P256, subject: '/CN=ec.example.test' }));
    assert.equal(info.keyType, 'ECC');
    assert.equal(info.curve, 'P-256');
    assert.deepEqual(info.sans, []);
  });

  test('an Ed25519 certificate reads with keyType other', async () => {
    const info = await parseCertificatePem(
      await selfSigned({ newkey: ['-newkey', 'ed25519'], subject: '/CN=ed.example.test' }),
    );
    assert.equal(info.keyType, 'other');
  });

  test('a serial with its top bit set keeps the 00 byte that DER needs', async () => {
    const info = await parseCertificatePem(await selfSigned({ newkey: P256, subject: '/CN=x', serial: '0xff01' }));
    assert.equal(info.serialHex, '00ff01');
  });

  test('a subject without CN gives subjectCN null', async () => {
    const info = await parseCertificatePem(await selfSigned({ newkey: P256, subject: '/O=No Common Name' }));
    assert.equal(info.subjectCN, null);
  });

  test('of a chain, the first certificate is read', async () => {
    const leaf = await selfSigned({ newkey: P256, subject: '/CN=first.example.test' });
    const other = await selfSigned({ newkey: P256, subject: '/CN=second.example.test' });
    assert.equal((await parseCertificatePem(leaf + other)).subjectCN, 'first.example.test');
  });

  test('garbage, a key, truncated DER and trailing bytes are ParseError on CertificatePublicKey', async () => {
    const good = await selfSigned({ newkey: P256, subject: '/CN=x' });
    const der = Buffer.from(good.split('\n').slice(1, -2).join(''), 'base64');
    const wrap = (b: Buffer) => `-----BEGIN CERTIFICATE-----\n${b.toString('base64')}\n-----END CERTIFICATE-----\n`;
    for (const bad of [
      'hello',
      '',
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n',
      wrap(der.subarray(0, der.length - 10)),
      wrap(Buffer.concat([der, Buffer.from([0, 0])])),
      wrap(Buffer.from('30031234', 'hex')),
      '-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n',
    ]) {
      await assert.rejects(parseCertificatePem(bad), isParseError, JSON.stringify(bad.slice(0, 40)));
    }
  });
});

describe('splitPemChain', () => {
  test('returns each certificate block in order, normalised, ignoring text around them', async () => {
    const a = await selfSigned({ newkey: P256, subject: '/CN=a' });
    const b = await selfSigned({ newkey: P256, subject: '/CN=b' });
    const text = `subject=CN = a\r\n${a.replace(/\n/g, '\r\n')}\nBag Attributes\n  friendlyName: b\n${b}  \n`;
    assert.deepEqual(splitPemChain(text), [a, b]);
  });

  test('text without certificates gives an empty list', () => {
    assert.deepEqual(splitPemChain(''), []);
    assert.deepEqual(splitPemChain('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), []);
  });

  test('a block whose body is not base64 is a ParseError', () => {
    assert.throws(
      () => splitPemChain('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----'),
      isParseError,
    );
  });
});
