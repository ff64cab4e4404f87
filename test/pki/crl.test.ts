import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DomainError } from '../../src/errors.js';
import { buildCrl, normalizeSerialHex, type RevokedEntry, readIssuerCert } from '../../src/pki/crl.js';
import { makeTestCa, runOpenssl, type TestCa, type TestKeyType } from '../support/test-ca.js';

const dir = mkdtempSync(join(tmpdir(), 'tcssl-crl-'));
let fileNo = 0;
/** Writes bytes to a fresh file in the temp dir and returns its path. */
const save = (name: string, data: Uint8Array | string) => {
  const p = join(dir, `${++fileNo}-${name}`);
  writeFileSync(p, data);
  return p;
};

const SIG_ALG: Record<TestKeyType, string> = {
  rsa: 'sha256WithRSAEncryption',
  p256: 'ecdsa-with-SHA256',
  p384: 'ecdsa-with-SHA384',
};
const cas: Partial<Record<TestKeyType, TestCa>> = {};
const ca = (key: TestKeyType) => cas[key] as TestCa;

before(async () => {
  await Promise.all(
    (['rsa', 'p256', 'p384'] as const).map(async (key) => {
      cas[key] = await makeTestCa({ key, leaves: 3 });
    }),
  );
});
after(() => {
  for (const c of Object.values(cas)) c.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** ASN1_TIME_print's form, as `openssl crl -text` prints it: "Nov  7 09:05:01 2026 GMT". */
function opensslDate(ms: number): string {
  const d = new Date(ms);
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const hms = d.toISOString().slice(11, 19);
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} ${d.getUTCFullYear()} GMT`;
}

async function crlText(der: Uint8Array): Promise<string> {
  const r = await runOpenssl(['crl', '-inform', 'DER', '-in', save('crl.der', der), '-text', '-noout']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The CRL's text for one entry: from its "Serial Number:" line to the next entry or the signature. */
function entryFor(text: string, serialHex: string): string {
  const start = text.indexOf(`Serial Number: ${serialHex.toUpperCase()}\n`);
  assert.notEqual(start, -1, `serial ${serialHex} not listed in\n${text}`);
  const rest = text.slice(start + 1);
  const end = rest.search(/Serial Number:|Signature Algorithm:/);
  return rest.slice(0, end);
}

function build(c: TestCa, revoked: RevokedEntry[], over: { crlNumber?: number; at?: number } = {}) {
  const at = over.at ?? Date.now();
  return buildCrl({
    issuerCertPem: c.issuer.certPem,
    issuerKeyPem: c.issuer.keyPem,
    crlNumber: over.crlNumber ?? 1,
    thisUpdate: at,
    nextUpdate: at + 7 * 24 * 3600_000,
    revoked,
  });
}

for (const key of ['rsa', 'p256', 'p384'] as const) {
  describe(`buildCrl with a ${key} issuer`, () => {
    test(`signs an empty CRL with ${SIG_ALG[key]}, its number, AKI and nextUpdate, and no revoked list`, async () => {
      const at = Date.UTC(2026, 10, 7, 9, 5, 1, 678);
      const der = await build(ca(key), [], { crlNumber: 42, at });
      const text = await crlText(der);
      assert.match(text, /Version 2 \(0x1\)/);
      assert.match(text, new RegExp(`Signature Algorithm: ${SIG_ALG[key]}`));
      assert.match(text, /Issuer: C = CN, O = tcssl tests, OU = Issuing, CN = Test \w+ Issuing CA\n/);
      assert.ok(text.includes(`Last Update: ${opensslDate(at)}`), text);
      assert.ok(text.includes(`Next Update: ${opensslDate(at + 7 * 24 * 3600_000)}`), text);
      assert.match(text, /X509v3 CRL Number: \n\s+42\n/);
      const ski = Buffer.from(readIssuerCert(ca(key).issuer.certPem).keyIdentifier).toString('hex');
      const aki = /X509v3 Authority Key Identifier: \n\s+([0-9A-F:]+)\n/.exec(text)?.[1];
      assert.equal(aki?.replace(/:/g, '').toLowerCase(), ski);
      assert.match(text, /No Revoked Certificates\./);

      const verified = await runOpenssl([
        'crl',
        '-inform',
        'DER',
        '-in',
        save('crl.der', der),
        '-verify',
        '-CAfile',
        ca(key).issuer.certPath,
        '-noout',
      ]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stderr, /verify OK/);
    });

    test('lists three revoked serials with their reasons, and openssl verify -crl_check fails only revoked leaves', async () => {
      const c = ca(key);
      const now = Date.now();
      const der = await build(
        c,
        [
          { serialHex: c.leaves[0].serialHex, revokedAt: now - 60_000, reason: 1 },
          { serialHex: c.leaves[1].serialHex.toUpperCase(), revokedAt: now - 30_000, reason: 4 },
          { serialHex: '00ff01', revokedAt: now - 1_000 },
        ],
        { crlNumber: 3, at: now },
      );
      const text = await crlText(der);
      assert.match(text, /X509v3 CRL Number: \n\s+3\n/);
      assert.match(entryFor(text, c.leaves[0].serialHex), /CRL Reason Code: \n\s+Key Compromise\n/);
      assert.ok(entryFor(text, c.leaves[0].serialHex).includes(`Revocation Date: ${opensslDate(now - 60_000)}`));
      assert.match(entryFor(text, c.leaves[1].serialHex), /CRL Reason Code: \n\s+Superseded\n/);
      // unspecified is said by leaving the reasonCode out (RFC 5280 §5.3.1)
      assert.doesNotMatch(entryFor(text, 'ff01'), /CRL Reason Code/);
      assert.equal(text.match(/Serial Number:/g)?.length, 3);
      // ff01 has its top bit set, so the INTEGER carries a 00 to stay positive: 02 03 00 ff 01
      assert.notEqual(Buffer.from(der).indexOf(Buffer.from('020300ff01', 'hex')), -1);

      const crlPem = save('crl.pem', (await runOpenssl(['crl', '-inform', 'DER', '-in', save('crl.der', der)])).stdout);
      const verify = (leaf: string) =>
        runOpenssl(['verify', '-crl_check', '-CRLfile', crlPem, '-CAfile', c.chainPath, leaf]);
      for (const leaf of [c.leaves[0], c.leaves[1]]) {
        const r = await verify(leaf.certPath);
        assert.notEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /certificate revoked/);
      }
      const good = await verify(c.leaves[2].certPath);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /: OK/);
    });
  });
}

describe('buildCrl encodings', () => {
  test('writes CRL numbers up to 2^53-1 and switches to GeneralizedTime from 2050 (RFC 5280 §5.1.2.4)', async () => {
    const thisUpdate = Date.UTC(2049, 11, 31, 23, 59, 59);
    const der = await build(ca('p256'), [{ serialHex: '01', revokedAt: thisUpdate }], {
      crlNumber: Number.MAX_SAFE_INTEGER,
      at: thisUpdate,
    });
    const text = await crlText(der);
    assert.match(text, /X509v3 CRL Number: \n\s+9007199254740991\n/);
    assert.ok(text.includes('Last Update: Dec 31 23:59:59 2049 GMT'), text);
    assert.ok(text.includes(`Next Update: ${opensslDate(thisUpdate + 7 * 24 * 3600_000)}`), text);
    const bytes = Buffer.from(der);
    assert.notEqual(bytes.indexOf(Buffer.from('\x17\x0d491231235959Z', 'latin1')), -1, 'UTCTime for 2049');
    assert.notEqual(bytes.indexOf(Buffer.from('\x18\x0f20500107235959Z', 'latin1')), -1, 'GeneralizedTime for 2050');
  });
});

describe('buildCrl refusals', () => {
  const base = () => ({
    issuerCertPem: ca('rsa').issuer.certPem,
    issuerKeyPem: ca('rsa').issuer.keyPem,
    crlNumber: 1,
    thisUpdate: Date.now(),
    nextUpdate: Date.now() + 3600_000,
    revoked: [] as RevokedEntry[],
  });
  const rejectsWith = (kind: string) => (e: unknown) => e instanceof DomainError && e.kind === kind;

  test('refuses a key that is not the issuer certificate key as Mismatch', async () => {
    await assert.rejects(buildCrl({ ...base(), issuerKeyPem: ca('p256').issuer.keyPem }), rejectsWith('Mismatch'));
    await assert.rejects(buildCrl({ ...base(), issuerKeyPem: ca('rsa').root.keyPem }), rejectsWith('Mismatch'));
  });

  test('refuses unreadable PEMs as ParseError', async () => {
    await assert.rejects(buildCrl({ ...base(), issuerCertPem: 'nope' }), rejectsWith('ParseError'));
    const garbled = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';
    await assert.rejects(buildCrl({ ...base(), issuerCertPem: garbled }), rejectsWith('ParseError'));
    await assert.rejects(buildCrl({ ...base(), issuerKeyPem: 'nope' }), rejectsWith('ParseError'));
  });

  test('refuses bad numbers, times, serials and reason codes as InvalidParam', async () => {
    const now = Date.now();
    for (const bad of [
      { crlNumber: -1 },
      { crlNumber: 1.5 },
      { nextUpdate: now - 3600_000 },
      { thisUpdate: Number.NaN },
      { revoked: [{ serialHex: 'xyz', revokedAt: now }] },
      { revoked: [{ serialHex: '', revokedAt: now }] },
      { revoked: [{ serialHex: '01', revokedAt: now, reason: 7 }] },
      { revoked: [{ serialHex: '01', revokedAt: now, reason: 11 }] },
    ]) {
      await assert.rejects(buildCrl({ ...base(), ...bad }), rejectsWith('InvalidParam'), JSON.stringify(bad));
    }
  });
});

describe('normalizeSerialHex', () => {
  test('lowercases, drops leading zero bytes and pads to whole bytes', () => {
    assert.equal(normalizeSerialHex('00FF01'), 'ff01');
    assert.equal(normalizeSerialHex('0000'), '00');
    assert.equal(normalizeSerialHex('abc'), '0abc');
    assert.equal(normalizeSerialHex('7F'), '7f');
  });
});
