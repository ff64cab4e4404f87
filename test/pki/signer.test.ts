import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { isDomainError } from '../../src/errors.js';
import { CertificateAuthority } from '../../src/pki/ca.js';
import { SecretBox } from '../../src/pki/secret-box.js';
import { type IssuedLeaf, issueLeaf, type LeafRequest, MAX_LEAF_DAYS } from '../../src/pki/signer.js';
import { authorityStore } from '../../src/store/authorities-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { makeCsr, openssl } from '../support/openssl.js';
import { runOpenssl } from '../support/test-ca.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'tcssl-signer-'));
let store: Store;
let ca: CertificateAuthority;
let files = 0;

before(async () => {
  store = await openStore({ url: '', dataDir: join(dir, 'data') });
  ca = await CertificateAuthority.open({
    store: authorityStore(store),
    box: new SecretBox(randomBytes(32)),
    organization: 'Signer Test',
  });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(text: string): string {
  const p = join(dir, `f${files++}.pem`);
  writeFileSync(p, text);
  return p;
}

async function ok(args: string[]): Promise<string> {
  const r = await runOpenssl(args);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const text = (pem: string) => ok(['x509', '-noout', '-text', '-in', file(pem)]);

/** openssl verify of leaf against the root alone, with the chain as untrusted intermediates. */
async function verify(leaf: IssuedLeaf): Promise<void> {
  const out = await ok([
    'verify',
    '-CAfile',
    file(ca.rootPem()),
    '-untrusted',
    file(leaf.chainPem),
    file(leaf.certPem),
  ]);
  assert.match(out, /: OK/);
}

function request(csrPem: string, over: Partial<LeafRequest> = {}): LeafRequest {
  const now = Date.now();
  return {
    csrPem,
    commonName: 'www.example.test',
    domains: ['www.example.test', 'example.test'],
    level: 'DV',
    notBefore: new Date(now - 30_000),
    notAfter: new Date(now + 90 * DAY),
    baseUrl: 'http://127.0.0.1:9000',
    ...over,
  };
}

/** The DER bytes of the n-th element of the TBSCertificate (0 version, 1 serial, 2 sigAlg, 3 issuer, 5 subject). */
function tbsField(pem: string, index: number): Buffer {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const tlv = (pos: number) => {
    let len = der[pos + 1];
    let start = pos + 2;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = der.readUIntBE(pos + 2, k);
      start += k;
    }
    return { start, end: start + len };
  };
  const tbs = tlv(tlv(0).start);
  let pos = tbs.start;
  for (let i = 0; i < index; i++) pos = tlv(pos).end;
  return der.subarray(pos, tlv(pos).end);
}

describe('issueLeaf', () => {
  for (const [key, alg, rsa] of [
    ['rsa:2048', 'sha256WithRSAEncryption', true],
    ['rsa:4096', 'sha256WithRSAEncryption', true],
    ['ec:P-256', 'ecdsa-with-SHA384', false],
    ['ec:P-384', 'ecdsa-with-SHA384', false],
  ] as const) {
    test(`a ${key} CSR gets a leaf that openssl verifies against the root, with the BR extensions`, async () => {
      const { csr } = await makeCsr({ key, subject: '/CN=ignored.example.test' });
      const leaf = await issueLeaf(ca, request(csr));
      await verify(leaf);
      const issuer = ca.issuerFor(rsa ? 'RSA' : 'ECC');
      assert.equal(leaf.issuerId, issuer.id);
      assert.equal(issuer.keyType, rsa ? 'RSA' : 'EC');
      assert.equal(leaf.chainPem, issuer.certPem);

      const t = await text(leaf.certPem);
      assert.match(t, new RegExp(`Signature Algorithm: ${alg}`));
      assert.match(t, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      if (rsa) assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
      else assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature\n/);
      assert.match(t, /X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
      assert.match(t, /X509v3 Subject Key Identifier: \s+[0-9A-F:]{59}/);
      const aki = /X509v3 Authority Key Identifier: \s+([0-9A-F:]{59})/.exec(t)?.[1];
      const issuerSki = /X509v3 Subject Key Identifier: \s+([0-9A-F:]{59})/.exec(await text(issuer.certPem))?.[1];
      assert.ok(aki && aki === issuerSki, 'AKI is the issuer SKI');
      assert.match(t, /X509v3 Certificate Policies: \s+Policy: 2\.23\.140\.1\.2\.1\n/);
      assert.match(t, new RegExp(`Full Name:\\s+URI:http://127\\.0\\.0\\.1:9000/crl/${issuer.id}\\.crl`));
      assert.match(t, /OCSP - URI:http:\/\/127\.0\.0\.1:9000\/ocsp\n/);
      assert.match(t, new RegExp(`CA Issuers - URI:http://127\\.0\\.0\\.1:9000/ca/${issuer.id}\\.crt`));
      assert.match(t, /X509v3 Subject Alternative Name: \s+DNS:www\.example\.test, DNS:example\.test\n/);
      assert.match(t, /Subject: CN = www\.example\.test\n/, 'a DV subject is the CN alone');
      // Strict verifiers (Go, BoringSSL) compare the issuer name byte for byte with the issuer's subject.
      assert.deepEqual(tbsField(leaf.certPem, 3), tbsField(issuer.certPem, 5));
    });
  }

  test('the serial is 16 random bytes, positive, and serialHex is what openssl prints', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const serials = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const leaf = await issueLeaf(ca, request(csr));
      assert.match(leaf.serialHex, /^[1-7][0-9a-f]{31}$|^0[1-9a-f][0-9a-f]{30}$/);
      assert.ok(Number.parseInt(leaf.serialHex.slice(0, 2), 16) < 0x80, 'top bit clear');
      const out = await ok(['x509', '-noout', '-serial', '-in', file(leaf.certPem)]);
      assert.equal(out.trim(), `serial=${leaf.serialHex.toUpperCase()}`);
      assert.match(await text(leaf.certPem), /Serial Number:\s+([0-9a-f]{2}:){15}[0-9a-f]{2}\n/);
      serials.add(leaf.serialHex);
    }
    assert.equal(serials.size, 3);
  });

  test(`a three-year request is capped at ${MAX_LEAF_DAYS} days, counted inclusively`, async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const leaf = await issueLeaf(
      ca,
      request(csr, { notBefore, notAfter: new Date(notBefore.getTime() + 3 * 365 * DAY) }),
    );
    assert.equal(leaf.notBefore, notBefore.getTime());
    assert.equal(leaf.notAfter - leaf.notBefore, MAX_LEAF_DAYS * DAY - 1000);
    const out = await ok(['x509', '-noout', '-startdate', '-enddate', '-in', file(leaf.certPem)]);
    const [start, end] = out
      .trim()
      .split('\n')
      .map((l) => Date.parse(l.split('=')[1]));
    assert.equal(start, leaf.notBefore);
    assert.equal(end, leaf.notAfter);
    await verify(leaf);
  });

  test('a shorter request keeps its own end, to the second', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const notBefore = new Date(1_800_000_000_500);
    const leaf = await issueLeaf(ca, request(csr, { notBefore, notAfter: new Date(1_800_000_000_500 + 30 * DAY) }));
    assert.equal(leaf.notBefore, 1_800_000_000_000);
    assert.equal(leaf.notAfter, 1_800_000_000_000 + 30 * DAY);
  });

  test('an OV leaf names C, ST, L and O (never OU) and asserts the OV policy; EV asserts the EV policy', async () => {
    const { csr } = await makeCsr({ key: 'rsa:2048', subject: '/CN=x' });
    const organization = {
      organization: 'Example, Inc.',
      organizationalUnit: 'Web',
      locality: 'São Paulo',
      state: 'SP',
      country: 'br',
    };
    const ov = await issueLeaf(ca, request(csr, { level: 'OV', organization }));
    await verify(ov);
    const t = await ok(['x509', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space', '-in', file(ov.certPem)]);
    assert.match(t, /Subject: C=BR, ST=SP, L=São Paulo, O=Example, Inc\., CN=www\.example\.test\n/);
    assert.doesNotMatch(t, /OU=/);
    assert.match(t, /Policy: 2\.23\.140\.1\.2\.2\n/);
    const ev = await issueLeaf(ca, request(csr, { level: 'EV', organization }));
    assert.match(await text(ev.certPem), /Policy: 2\.23\.140\.1\.1\n/);
  });

  test('an OV leaf without organisation, country or place is refused as Incomplete', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    for (const organization of [
      undefined,
      { country: 'US', state: 'CA' },
      { organization: 'Acme', state: 'CA' },
      { organization: 'Acme', country: 'US' },
    ]) {
      await assert.rejects(
        issueLeaf(ca, request(csr, { level: 'OV', organization })),
        (e) => isDomainError(e) && e.kind === 'Incomplete',
      );
    }
    await assert.rejects(
      issueLeaf(ca, request(csr, { level: 'OV', organization: { organization: 'A', country: 'USA', state: 'CA' } })),
      (e) => isDomainError(e) && e.kind === 'InvalidParam' && e.field === 'OrganizationCountry',
    );
  });

  test('the CN is the first SAN even when domains omit it; names are lowercased and unique', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const leaf = await issueLeaf(
      ca,
      request(csr, {
        commonName: 'WWW.Example.test',
        domains: ['*.example.test', 'www.example.test', '*.EXAMPLE.test'],
      }),
    );
    const t = await text(leaf.certPem);
    assert.match(t, /DNS:www\.example\.test, DNS:\*\.example\.test\n/);
    assert.match(t, /Subject: CN = www\.example\.test\n/);
  });

  test('a base URL with a path and a trailing slash gives URLs under that path', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const leaf = await issueLeaf(ca, request(csr, { baseUrl: 'https://pki.example.test/tcssl/' }));
    const t = await text(leaf.certPem);
    assert.match(t, /OCSP - URI:https:\/\/pki\.example\.test\/tcssl\/ocsp\n/);
    assert.match(t, new RegExp(`URI:https://pki\\.example\\.test/tcssl/crl/${leaf.issuerId}\\.crl`));
  });

  test('a bad CSR, an empty validity and a non-ASCII domain are refused', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1] ^= 0x01; // the signature's last byte
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(issueLeaf(ca, request(tampered)), (e) => isDomainError(e) && e.kind === 'CsrInvalid');
    const now = new Date();
    await assert.rejects(issueLeaf(ca, request(csr, { notBefore: now, notAfter: now })), /validity period is empty/);
    await assert.rejects(
      issueLeaf(ca, request(csr, { domains: ['bücher.example.test'] })),
      (e) => isDomainError(e) && e.kind === 'InvalidParam',
    );
  });
});

describe('a name longer than the 64-character CN bound', () => {
  test('is left out of the subject and carried by a critical subjectAltName alone', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=x' });
    const long = `${'a'.repeat(60)}.example.test`;
    const leaf = await issueLeaf(ca, request(csr, { commonName: long, domains: [long] }));
    const text = await openssl(['x509', '-noout', '-text', '-in', '@in'], leaf.certPem);
    assert.doesNotMatch(text, /Subject: .*CN/);
    assert.match(text, /X509v3 Subject Alternative Name: critical/);
    assert.ok(text.includes(`DNS:${long}`));
  });
});

describe('a TLS server with the leaf and chain', () => {
  async function handshake(certPem: string, keyPem: string, servername: string): Promise<void> {
    const server = tls.createServer({ key: keyPem, cert: certPem }, (s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.rootPem(), servername }, () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  }

  for (const key of ['rsa:2048', 'ec:P-256'] as const) {
    test(`${key}: a client trusting only the root connects for a SAN name and refuses another name`, async () => {
      const { csr, key: keyPem } = await makeCsr({ key, subject: '/CN=www.example.test' });
      const leaf = await issueLeaf(ca, request(csr, { domains: ['www.example.test', '*.api.example.test'] }));
      const cert = leaf.certPem + leaf.chainPem;
      await handshake(cert, keyPem, 'www.example.test');
      await handshake(cert, keyPem, 'v1.api.example.test');
      await assert.rejects(handshake(cert, keyPem, 'other.example.test'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      // Without the chain the client cannot reach the root: the intermediate is what servers must send.
      await assert.rejects(handshake(leaf.certPem, keyPem, 'www.example.test'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    });
  }
});
