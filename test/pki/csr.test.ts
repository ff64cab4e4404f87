import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/errors.js';
import { createCsr, matchesPrivateKey, parseCsr } from '../../src/pki/csr.js';
import { generateKey } from '../../src/pki/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'tcssl-csr-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmp = (name: string) => join(dir, `${++fileNo}-${name}`);

/** Runs the openssl CLI; resolves with stdout, rejects with stderr. */
function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`openssl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input ?? '');
  });
}

const SUBJ = '/C=CN/ST=Guangdong/L=Shenzhen/O=Tencent/OU=Qcloud/CN=a.com';
const SAN = 'subjectAltName=DNS:a.com,DNS:b.com';

/** A CSR from `openssl req -new` with a fresh key made by `keyArgs` (e.g. ['-newkey', 'rsa:2048']). */
function opensslCsr(keyArgs: string[], extra: string[] = ['-addext', SAN], subj = SUBJ): Promise<string> {
  const keyout = keyArgs.includes('-key') ? [] : ['-nodes', '-keyout', tmp('key.pem')];
  return openssl(['req', '-new', ...keyArgs, ...keyout, '-subj', subj, ...extra]);
}

/** A CSR for an existing key made by `genArgs` (an openssl subcommand writing the key to -out). */
async function opensslCsrForKey(genArgs: string[], extra: string[] = []): Promise<string> {
  const key = tmp('key.pem');
  await openssl([...genArgs, '-out', key]);
  return opensslCsr(['-key', key], extra, '/CN=a.com');
}

async function assertCsrInvalid(input: string | Promise<string>, message: RegExp): Promise<void> {
  await assert.rejects(parseCsr(await input), (e: unknown) => {
    assert.ok(e instanceof DomainError, `not a DomainError: ${e}`);
    assert.equal(e.kind, 'CsrInvalid');
    assert.equal(e.field, 'CsrContent');
    assert.match(e.message, message);
    return true;
  });
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function pemOf(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE REQUEST-----\n`;
}

describe('parseCsr reads openssl CSRs', () => {
  test('RSA-2048 with subject and SANs', async () => {
    const key = tmp('rsa.pem');
    const pem = await openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-subj',
      SUBJ,
      '-addext',
      SAN,
    ]);
    const csr = await parseCsr(pem);
    assert.equal(csr.commonName, 'a.com');
    assert.deepEqual(csr.subject, {
      country: 'CN',
      state: 'Guangdong',
      locality: 'Shenzhen',
      organization: 'Tencent',
      organizationalUnit: 'Qcloud',
      commonName: 'a.com',
    });
    assert.deepEqual(csr.dnsNames, ['a.com', 'b.com']);
    assert.equal(csr.keyAlgorithm, 'RSA');
    assert.equal(csr.rsaBits, 2048);
    assert.equal(csr.curve, undefined);
    assert.equal(csr.signatureAlgorithm, 'sha256WithRSAEncryption');
    assert.equal(csr.publicKeyPem, await openssl(['req', '-pubkey', '-noout'], pem));
    assert.equal(csr.pem, pem);
    assert.equal(matchesPrivateKey(csr.publicKeyPem, await openssl(['pkey', '-in', key])), true);
  });

  test('RSA-4096', async () => {
    const csr = await parseCsr(await opensslCsr(['-newkey', 'rsa:4096']));
    assert.equal(csr.keyAlgorithm, 'RSA');
    assert.equal(csr.rsaBits, 4096);
  });

  for (const [curve, hash, sig] of [
    ['P-256', '-sha256', 'ecdsa-with-SHA256'],
    ['P-384', '-sha384', 'ecdsa-with-SHA384'],
  ] as const) {
    test(`ECDSA ${curve}`, async () => {
      const csr = await parseCsr(
        await opensslCsr(['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`, hash, '-addext', SAN], []),
      );
      assert.equal(csr.keyAlgorithm, 'ECC');
      assert.equal(csr.curve, curve);
      assert.equal(csr.rsaBits, undefined);
      assert.equal(csr.signatureAlgorithm, sig);
      assert.deepEqual(csr.dnsNames, ['a.com', 'b.com']);
    });
  }

  test('lowercases SAN dNSNames, keeps their order, and skips other SAN types', async () => {
    const ext = 'subjectAltName=DNS:WWW.Example.COM,IP:10.0.0.1,email:x@y.z,DNS:*.Example.com';
    const csr = await parseCsr(
      await opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-addext', ext]),
    );
    assert.deepEqual(csr.dnsNames, ['www.example.com', '*.example.com']);
  });

  test('a CSR without SAN or subject fields beyond CN', async () => {
    const csr = await parseCsr(
      await opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], [], '/CN=only.example'),
    );
    assert.deepEqual(csr.dnsNames, []);
    assert.deepEqual(csr.subject, { commonName: 'only.example' });
  });

  test('a CSR with an empty subject has a null commonName', async () => {
    const ext = ['-addext', 'subjectAltName=DNS:x.example'];
    const csr = await parseCsr(await opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ext, '/'));
    assert.equal(csr.commonName, null);
    assert.deepEqual(csr.dnsNames, ['x.example']);
  });

  test('accepts the NEW CERTIFICATE REQUEST label, CRLF and surrounding blank lines, and normalises the PEM', async () => {
    const pem = await opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const legacy = `\r\n\n${pem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST').replace(/\n/g, '\r\n')}\n\n`;
    assert.equal((await parseCsr(legacy)).pem, pem);
  });
});

describe('parseCsr refuses', () => {
  test('RSA-1024 keys', () =>
    assertCsrInvalid(opensslCsr(['-newkey', 'rsa:1024']), /RSA 1024-bit keys are not supported/));
  test('P-521 keys', () =>
    assertCsrInvalid(opensslCsrForKey(['ecparam', '-name', 'secp521r1', '-genkey', '-noout']), /P-521/));
  test('Ed25519 keys', () => assertCsrInvalid(opensslCsrForKey(['genpkey', '-algorithm', 'ed25519']), /Ed25519 keys/));
  test('SM2 keys', () =>
    assertCsrInvalid(opensslCsrForKey(['genpkey', '-algorithm', 'SM2'], ['-sm3']), /SM2 keys are not supported/));
  test('DSA keys', async () => {
    const params = tmp('dsaparam.pem');
    await openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', params]);
    await assertCsrInvalid(opensslCsrForKey(['genpkey', '-paramfile', params], ['-sha256']), /DSA keys/);
  });
  test('SHA-1 signatures', () =>
    assertCsrInvalid(
      opensslCsr(['-newkey', 'rsa:2048', '-sha1']),
      /sha1WithRSAEncryption: SHA-1 signatures are refused/,
    ));
  test('ECDSA SHA-1 signatures', () =>
    assertCsrInvalid(opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha1']), /ecdsa-with-SHA1/));
  test('MD5 signatures', async (t) => {
    let pem: string;
    try {
      pem = await opensslCsr(['-newkey', 'rsa:2048', '-md5']);
    } catch {
      t.skip('this openssl refuses to sign with MD5');
      return;
    }
    await assertCsrInvalid(pem, /md5WithRSAEncryption: MD5 signatures are refused/);
  });

  test('a CSR with one byte of its signature flipped', async () => {
    const der = derOf(await opensslCsr(['-newkey', 'rsa:2048']));
    der[der.length - 10] ^= 0x01;
    await assertCsrInvalid(pemOf(der), /signature does not verify/);
  });

  test('a CSR whose signed content was changed', async () => {
    const pem = await opensslCsr(
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ['-addext', 'subjectAltName=DNS:a.com'],
    );
    const der = derOf(pem);
    const at = der.indexOf('a.com', 40, 'latin1');
    der[der.indexOf('a.com', at + 1, 'latin1')] = 'e'.charCodeAt(0); // DNS:a.com -> DNS:e.com
    await assertCsrInvalid(pemOf(der), /signature does not verify/);
  });

  const valid = opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const cases: Array<[string, () => Promise<string> | string, RegExp]> = [
    ['the empty string', () => '', /empty/],
    ['whitespace', () => ' \n\t ', /empty/],
    ['non-PEM text', () => 'hello, this is not a CSR', /not a PEM/],
    ['base64 DER without PEM armour', async () => derOf(await valid).toString('base64'), /not a PEM/],
    [
      'PEM garbage',
      () => '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n-----END CERTIFICATE REQUEST-----',
      /base64/,
    ],
    [
      'base64 that is not DER',
      () =>
        `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from('hello world, no DER').toString('base64')}\n-----END CERTIFICATE REQUEST-----`,
      /DER|structure/,
    ],
    ['trailing text after the PEM', async () => `${await valid}extra text\n`, /text after it/],
    ['leading text before the PEM', async () => `Certificate Request:\n${await valid}`, /not a PEM/],
    ['two CSRs', async () => (await valid) + (await valid), /text after it|base64/],
    ['mismatched labels', async () => (await valid).replace('BEGIN CERTIFICATE', 'BEGIN NEW CERTIFICATE'), /END line/],
    ['a certificate', async () => (await valid).replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE'), /not a PEM/],
    [
      'trailing bytes inside the DER',
      async () => pemOf(Buffer.concat([derOf(await valid), Buffer.of(0)])),
      /one DER SEQUENCE/,
    ],
    ['a truncated DER', async () => pemOf(derOf(await valid).subarray(0, 100)), /truncated/],
    ['input over 64 KiB', async () => (await valid) + ' '.repeat(64 * 1024), /64 KiB/],
  ];
  for (const [name, make, message] of cases) test(name, async () => assertCsrInvalid(make(), message));

  test('a value that is not a string', () => assertCsrInvalid(Promise.resolve(42 as unknown as string), /not text/));
});

describe('createCsr', () => {
  const subject = {
    commonName: 'a.com',
    organization: 'Tencent Technology (Shenzhen) Company Limited',
    organizationalUnit: 'Qcloud',
    locality: 'Shenzhen',
    state: 'Guangdong',
    country: 'cn',
  };

  for (const spec of [{ algorithm: 'RSA' }, { algorithm: 'ECC', curve: 'P-384' }] as const) {
    test(`makes a ${spec.algorithm} CSR that openssl verifies, with the subject and every domain in SAN`, async () => {
      const key = await generateKey(spec);
      const pem = await createCsr({ key, subject, domains: ['b.com', 'A.com', '*.c.com'] });
      const file = tmp('created.csr');
      writeFileSync(file, pem);
      await openssl(['req', '-in', file, '-verify', '-noout']);
      const text = await openssl(['req', '-in', file, '-noout', '-text', '-nameopt', 'RFC2253']);
      assert.match(
        text,
        /Subject: CN=a\.com,OU=Qcloud,O=Tencent Technology \(Shenzhen\) Company Limited,L=Shenzhen,ST=Guangdong,C=CN\n/,
      );
      assert.match(text, /DNS:a\.com, DNS:b\.com, DNS:\*\.c\.com\n/);
      assert.match(text, spec.algorithm === 'RSA' ? /sha256WithRSAEncryption/ : /ecdsa-with-SHA256/);

      const parsed = await parseCsr(pem);
      assert.deepEqual(parsed.subject, { ...subject, country: 'CN' });
      assert.deepEqual(parsed.dnsNames, ['a.com', 'b.com', '*.c.com']);
      assert.equal(parsed.publicKeyPem, key.publicKeyPem);
      assert.equal(parsed.keyAlgorithm, spec.algorithm);
    });
  }

  test('keeps non-ASCII, quotes, commas and backslashes in subject values as written', async () => {
    const key = await generateKey({ algorithm: 'ECC' });
    const organization = '腾讯 "Cloud", Inc. \\ #1';
    const pem = await createCsr({ key, subject: { commonName: 'a.com', organization }, domains: [] });
    assert.equal((await parseCsr(pem)).subject.organization, organization);
    const text = await openssl(['req', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space,dn_rev'], pem);
    assert.ok(text.includes('腾讯'), text);
  });

  test('refuses a subject or domain it cannot encode, with InvalidParam naming the field', async () => {
    const key = await generateKey({ algorithm: 'ECC' });
    const cases: Array<[Parameters<typeof createCsr>[0]['subject'], string[], string]> = [
      [{ commonName: 'a.com', country: 'China' }, [], 'OrganizationCountry'],
      [{ commonName: ' ' }, [], 'CertificateDomain'],
      [{ commonName: 'a.com', organization: 'x'.repeat(65) }, [], 'OrganizationName'],
      [{ commonName: 'a.com', locality: 'a\u0000b' }, [], 'OrganizationCity'],
      [{ commonName: 'a.com' }, ['例子.com'], 'DomainList'],
    ];
    for (const [subj, domains, field] of cases) {
      await assert.rejects(
        createCsr({ key, subject: subj, domains }),
        (e: unknown) => e instanceof DomainError && e.kind === 'InvalidParam' && e.field === field,
        field,
      );
    }
  });
});

describe('matchesPrivateKey', () => {
  test('tells a matching key from another, reads certificates, and refuses garbage with ParseError', async () => {
    const a = await generateKey({ algorithm: 'ECC' });
    const b = await generateKey({ algorithm: 'ECC' });
    assert.equal(matchesPrivateKey(a.publicKeyPem, a.privateKeyPem), true);
    assert.equal(matchesPrivateKey(a.publicKeyPem, b.privateKeyPem), false);
    const keyFile = tmp('a.key');
    writeFileSync(keyFile, a.privateKeyPem);
    const cert = await openssl(['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=a.com', '-days', '1']);
    assert.equal(matchesPrivateKey(cert, a.privateKeyPem), true);
    assert.throws(() => matchesPrivateKey('junk', a.privateKeyPem), {
      kind: 'ParseError',
      field: 'CertificatePublicKey',
    });
    assert.throws(() => matchesPrivateKey(a.publicKeyPem, 'junk'), {
      kind: 'ParseError',
      field: 'CertificatePrivateKey',
    });
  });
});

describe('parseCsr on arbitrary input', () => {
  const isCsrInvalid = (e: unknown) => e instanceof DomainError && e.kind === 'CsrInvalid';
  const resolvesOrCsrInvalid = (input: string) =>
    parseCsr(input).then(
      () => true,
      (e: unknown) => isCsrInvalid(e) || Promise.reject(e),
    );

  test('any string resolves or rejects with CsrInvalid', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), resolvesOrCsrInvalid), {
      numRuns: 500,
    });
  });

  test('any PEM-armoured bytes resolve or reject with CsrInvalid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (bytes) => resolvesOrCsrInvalid(pemOf(Buffer.from(bytes)))),
      {
        numRuns: 500,
      },
    );
  });

  test('a real CSR with bytes changed resolves or rejects with CsrInvalid', async () => {
    const der = derOf(await opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']));
    const edits = fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(edits, fc.option(fc.nat(der.length), { nil: undefined }), async (changes, cut) => {
        const copy = Buffer.from(der);
        for (const [at, value] of changes) copy[at] = value;
        return resolvesOrCsrInvalid(pemOf(copy.subarray(0, cut === undefined ? copy.length : Math.max(cut, 1))));
      }),
      { numRuns: 500 },
    );
  });
});
