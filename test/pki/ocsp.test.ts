import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/errors.js';
import {
  buildOcspResponse,
  decodeOcspGetPath,
  issuerMatches,
  MAX_REQUEST_BYTES,
  type OcspCertId,
  type OcspCertStatus,
  OcspRequestError,
  ocspErrorResponse,
  parseOcspRequest,
} from '../../src/pki/ocsp.js';
import { makeTestCa, runOpenssl, type TestCa, type TestCert } from '../support/test-ca.js';

const dir = mkdtempSync(join(tmpdir(), 'tcssl-ocsp-'));
let fileNo = 0;
const save = (name: string, data: Uint8Array) => {
  const p = join(dir, `${++fileNo}-${name}`);
  writeFileSync(p, data);
  return p;
};

let rsa: TestCa;
let p384: TestCa;
let other: TestCa;
before(async () => {
  [rsa, p384, other] = await Promise.all([
    makeTestCa({ key: 'rsa', leaves: 3 }),
    makeTestCa({ key: 'p384', leaves: 2 }),
    makeTestCa({ key: 'p256', leaves: 1, name: 'Other' }),
  ]);
});
after(() => {
  for (const c of [rsa, p384, other]) c?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3600_000;

/** `openssl ocsp -reqout` for the leaves: with a nonce unless asked not to; `-sha256` for SHA-256 CertIDs. */
async function opensslRequest(ca: TestCa, leaves: TestCert[], opts: { nonce?: boolean; sha256?: boolean } = {}) {
  const out = join(dir, `${++fileNo}-req.der`);
  const r = await runOpenssl([
    'ocsp',
    '-issuer',
    ca.issuer.certPath,
    ...(opts.sha256 ? ['-sha256'] : []),
    ...leaves.flatMap((l) => ['-cert', l.certPath]),
    ...(opts.nonce === false ? ['-no_nonce'] : []),
    '-reqout',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { path: out, der: new Uint8Array(readFileSync(out)) };
}

function respond(ca: TestCa, certIds: OcspCertId[], status: OcspCertStatus, nonce?: Uint8Array) {
  const now = Date.now();
  return buildOcspResponse({
    issuerCertPem: ca.issuer.certPem,
    issuerKeyPem: ca.issuer.keyPem,
    producedAt: now,
    nonce,
    responses: certIds.map((certId) => ({ certId, status, thisUpdate: now, nextUpdate: now + HOUR })),
  });
}

/** How openssl reads a response file for `leaf`, trusting only the root; `reqin` also checks the nonce. */
function opensslCheck(ca: TestCa, resp: Uint8Array, leaf: TestCert, reqin?: string, sha256 = false) {
  return runOpenssl([
    'ocsp',
    '-respin',
    save('resp.der', resp),
    '-issuer',
    ca.issuer.certPath,
    ...(sha256 ? ['-sha256'] : []),
    ...(reqin ? ['-reqin', reqin] : ['-cert', leaf.certPath]),
    '-CAfile',
    ca.root.certPath,
    '-resp_text',
  ]);
}

describe('parseOcspRequest on openssl requests', () => {
  test('reads a SHA-1 CertID without a nonce that matches its issuer and no other', async () => {
    const { der } = await opensslRequest(rsa, [rsa.leaves[0]], { nonce: false });
    const req = parseOcspRequest(der);
    assert.equal(req.nonce, undefined);
    assert.equal(req.certIds.length, 1);
    const [id] = req.certIds;
    assert.equal(id.hashAlgorithm, 'sha1');
    assert.equal(id.serialHex, rsa.leaves[0].serialHex);
    assert.match(id.issuerNameHash, /^[0-9a-f]{40}$/);
    assert.ok(issuerMatches(id, rsa.issuer.certPem));
    assert.ok(!issuerMatches(id, rsa.root.certPem));
    assert.ok(!issuerMatches(id, other.issuer.certPem));
    // raw is the CertID's DER, found verbatim in the request
    assert.ok(id.raw instanceof Uint8Array);
    assert.notEqual(Buffer.from(der).indexOf(id.raw), -1);
  });

  test("reads SHA-256 CertIDs for several leaves in order, and openssl's 16-byte nonce", async () => {
    const { der } = await opensslRequest(p384, p384.leaves, { sha256: true });
    const req = parseOcspRequest(der);
    assert.equal(req.nonce?.length, 16);
    assert.deepEqual(
      req.certIds.map((c) => [c.hashAlgorithm, c.serialHex]),
      p384.leaves.map((l) => ['sha256', l.serialHex]),
    );
    for (const id of req.certIds) assert.ok(issuerMatches(id, p384.issuer.certPem));
  });

  test('refuses more than 10 CertIDs with OcspRequestError', async () => {
    const { der } = await opensslRequest(rsa, Array(11).fill(rsa.leaves[0]));
    assert.throws(() => parseOcspRequest(der), OcspRequestError);
    const ten = await opensslRequest(rsa, Array(10).fill(rsa.leaves[0]));
    assert.equal(parseOcspRequest(ten.der).certIds.length, 10);
  });
});

for (const [name, pick, sigAlg] of [
  ['RSA', () => rsa, 'sha256WithRSAEncryption'],
  ['P-384', () => p384, 'ecdsa-with-SHA384'],
] as const) {
  describe(`buildOcspResponse signed by a ${name} issuer`, () => {
    test('openssl reads good, revoked (with time and reason) and unknown, and verifies the signature', async () => {
      const ca = pick();
      const leaf = ca.leaves[0];
      const { der } = await opensslRequest(ca, [leaf], { nonce: false });
      const { certIds } = parseOcspRequest(der);
      const revokedAt = Date.UTC(2026, 0, 2, 3, 4, 5);
      const cases: Array<[OcspCertStatus, RegExp]> = [
        [{ status: 'good' }, /: good\n/],
        [
          { status: 'revoked', revokedAt, reason: 1 },
          /: revoked\n[\s\S]*Reason: keyCompromise\n\s+Revocation Time: Jan {2}2 03:04:05 2026 GMT/,
        ],
        [{ status: 'unknown' }, /: unknown\n/],
      ];
      for (const [status, expected] of cases) {
        const resp = await respond(ca, certIds, status);
        const r = await opensslCheck(ca, resp, leaf);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, expected);
        assert.match(r.stderr, /Response verify OK/);
        assert.match(r.stdout, new RegExp(`Signature Algorithm: ${sigAlg}`));
        assert.match(r.stdout, /Responder Id: [0-9A-F]{40}\n/);
        assert.doesNotMatch(r.stdout, /Certificate:/); // no certs: the issuer signs itself
        assert.notEqual(Buffer.from(resp).indexOf(certIds[0].raw as Uint8Array), -1, 'CertID echoed verbatim');
      }
    });

    test('echoes the nonce so that openssl checks it', async () => {
      const ca = pick();
      const leaf = ca.leaves[1];
      const req = await opensslRequest(ca, [leaf]);
      const { certIds, nonce } = parseOcspRequest(req.der);
      const echoed = await opensslCheck(ca, await respond(ca, certIds, { status: 'good' }, nonce), leaf, req.path);
      assert.equal(echoed.code, 0, echoed.stderr);
      assert.match(echoed.stderr, /Response verify OK/);
      assert.doesNotMatch(echoed.stderr, /nonce/i);
      // the check is real: without the nonce openssl warns, with another it fails
      const missing = await opensslCheck(ca, await respond(ca, certIds, { status: 'good' }), leaf, req.path);
      assert.match(missing.stderr, /WARNING: no nonce in response/);
      const wrong = await opensslCheck(
        ca,
        await respond(ca, certIds, { status: 'good' }, randomBytes(16)),
        leaf,
        req.path,
      );
      assert.match(wrong.stderr, /Nonce Verify error/);
    });
  });
}

describe('buildOcspResponse', () => {
  test('rebuilds a CertID from its fields when raw is absent', async () => {
    const leaf = rsa.leaves[2];
    const { der } = await opensslRequest(rsa, [leaf], { nonce: false, sha256: true });
    const [id] = parseOcspRequest(der).certIds;
    const resp = await respond(rsa, [{ ...id, raw: undefined, serialHex: id.serialHex.toUpperCase() }], {
      status: 'revoked',
      revokedAt: Date.now() - HOUR,
    });
    const r = await opensslCheck(rsa, resp, leaf, undefined, true);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: revoked\n/);
    assert.doesNotMatch(r.stdout, /Reason:/); // unspecified is said by leaving it out
  });

  test('refuses a CertID of another issuer, and bad reasons and nonces, as InvalidParam', async () => {
    const { der } = await opensslRequest(other, [other.leaves[0]], { nonce: false });
    const foreign = parseOcspRequest(der).certIds;
    const isInvalid = (e: unknown) => e instanceof DomainError && e.kind === 'InvalidParam';
    await assert.rejects(respond(rsa, foreign, { status: 'unknown' }), isInvalid);
    const own = parseOcspRequest((await opensslRequest(rsa, [rsa.leaves[0]], { nonce: false })).der).certIds;
    await assert.rejects(respond(rsa, own, { status: 'revoked', revokedAt: Date.now(), reason: 7 }), isInvalid);
    await assert.rejects(respond(rsa, own, { status: 'good' }, new Uint8Array(33)), isInvalid);
    await assert.rejects(respond(rsa, [], { status: 'good' }), isInvalid);
  });
});

describe('ocspErrorResponse', () => {
  test('is the bare status that openssl prints', async () => {
    const codes = { malformedRequest: 1, internalError: 2, tryLater: 3, unauthorized: 6 } as const;
    for (const [status, code] of Object.entries(codes) as Array<[keyof typeof codes, number]>) {
      const der = ocspErrorResponse(status);
      assert.deepEqual([...der], [0x30, 0x03, 0x0a, 0x01, code]);
      const r = await runOpenssl(['ocsp', '-respin', save('err.der', der), '-resp_text', '-noverify']);
      // openssl lowercases the name: "Responder Error: malformedrequest (1)"
      assert.match(r.stdout + r.stderr, new RegExp(`Responder Error: ${status} \\(${code}\\)`, 'i'));
    }
  });
});

describe('decodeOcspGetPath', () => {
  // base64 of these bytes holds '+', '/' and '=' padding
  const bytes = new Uint8Array([0x30, 0x04, 0xfb, 0xef, 0xff, 0xfe, 0xf8]);
  const b64 = Buffer.from(bytes).toString('base64');

  test('undoes url-encoding and base64 in every form a client or router leaves', () => {
    assert.match(b64, /\+/);
    assert.match(b64, /\//);
    assert.match(b64, /=$/);
    for (const path of [
      encodeURIComponent(b64),
      b64,
      `/${b64}`,
      b64.replace(/\+/g, ' '),
      b64.replace(/\+/g, '-').replace(/\//g, '_'),
      b64.replace(/=+$/, ''),
      `${encodeURIComponent(b64)}?x=1`,
      encodeURIComponent(b64).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), // %2f as well as %2F
    ]) {
      assert.deepEqual(decodeOcspGetPath(path), bytes, path);
    }
  });

  test('refuses what is not url-encoded base64 with OcspRequestError', () => {
    for (const path of ['', '/', '%zz', 'MI!!', 'M', 'MA==A', 'M\nAA', 'x'.repeat(100_000)]) {
      assert.throws(() => decodeOcspGetPath(path), OcspRequestError, JSON.stringify(path.slice(0, 20)));
    }
  });
});

describe('parseOcspRequest on malformed input', () => {
  const isRequestError = (e: unknown) => e instanceof OcspRequestError;
  /** A DER SEQUENCE around `body` (definite length, up to 64 KiB). */
  const seq = (body: Uint8Array) => {
    const n = body.length;
    const head = n < 0x80 ? [0x30, n] : n < 0x100 ? [0x30, 0x81, n] : [0x30, 0x82, n >> 8, n & 0xff];
    return new Uint8Array([...head, ...body]);
  };

  test('refuses empty, oversized, deeply nested and every truncation of a real request', async () => {
    assert.throws(() => parseOcspRequest(new Uint8Array()), isRequestError);
    assert.throws(() => parseOcspRequest(new Uint8Array(MAX_REQUEST_BYTES + 1).fill(0x30)), isRequestError);
    const indefinite = new Uint8Array(MAX_REQUEST_BYTES);
    for (let k = 0; k < indefinite.length; k += 2) indefinite.set([0x30, 0x80], k);
    assert.throws(() => parseOcspRequest(indefinite), isRequestError);
    // 4,000 SEQUENCEs inside each other, and 7,000 side by side in a requestList: past the depth and node bounds
    let deep = new Uint8Array(0);
    for (let level = 0; level < 4000; level++) deep = seq(deep);
    assert.throws(() => parseOcspRequest(deep), isRequestError);
    const wide = seq(seq(seq(new Uint8Array(14_000).map((_, k) => (k % 2 ? 0x00 : 0x30)))));
    assert.throws(() => parseOcspRequest(wide), isRequestError);
    const { der } = await opensslRequest(rsa, [rsa.leaves[0]]);
    for (let n = 0; n < der.length; n++) assert.throws(() => parseOcspRequest(der.subarray(0, n)), isRequestError);
    assert.throws(() => parseOcspRequest(new Uint8Array([...der, 0])), isRequestError);
  });

  test('property: random and mutated bytes parse or throw OcspRequestError, and nothing else', async () => {
    const { der } = await opensslRequest(rsa, [rsa.leaves[0], rsa.leaves[1]]);
    const mutated = fc
      .array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const copy = new Uint8Array(der);
        for (const [at, value] of edits) copy[at] = value;
        return copy;
      });
    const started = Date.now();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated), (input) => {
        try {
          const req = parseOcspRequest(input);
          assert.ok(req.certIds.length >= 1 && req.certIds.length <= 10);
        } catch (e) {
          if (!isRequestError(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
    assert.ok(Date.now() - started < 20_000, 'parsing stays fast');
  });
});

describe('an OCSP responder over node:http wrapping these functions', () => {
  let server: Server;
  let base: string;
  const revoked = new Map<string, { revokedAt: number; reason?: number }>();

  /** What the real route does: parse, check the issuer, look statuses up, sign; errors become OCSP statuses. */
  async function answer(der: Uint8Array): Promise<Uint8Array> {
    let req: ReturnType<typeof parseOcspRequest>;
    try {
      req = parseOcspRequest(der);
    } catch (e) {
      return ocspErrorResponse(e instanceof OcspRequestError ? 'malformedRequest' : 'internalError');
    }
    if (!req.certIds.every((id) => issuerMatches(id, rsa.issuer.certPem))) return ocspErrorResponse('unauthorized');
    const known = new Set(rsa.leaves.map((l) => l.serialHex));
    const now = Date.now();
    return buildOcspResponse({
      issuerCertPem: rsa.issuer.certPem,
      issuerKeyPem: rsa.issuer.keyPem,
      nonce: req.nonce,
      producedAt: now,
      responses: req.certIds.map((certId) => {
        const r = revoked.get(certId.serialHex);
        const status: OcspCertStatus = r
          ? { status: 'revoked', ...r }
          : known.has(certId.serialHex)
            ? { status: 'good' }
            : { status: 'unknown' };
        return { certId, status, thisUpdate: now, nextUpdate: now + HOUR };
      }),
    });
  }

  async function body(req: IncomingMessage): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }

  before(async () => {
    revoked.set(rsa.leaves[0].serialHex, { revokedAt: Date.now() - HOUR, reason: 5 });
    server = createServer(async (req, res) => {
      const url = req.url ?? '';
      let der: Uint8Array | undefined;
      if (req.method === 'POST' && url === '/ocsp') der = await body(req);
      else if (req.method === 'GET' && url.startsWith('/ocsp/')) {
        try {
          der = decodeOcspGetPath(url.slice('/ocsp/'.length));
        } catch {
          der = new Uint8Array();
        }
      }
      if (!der) {
        res.writeHead(404).end();
        return;
      }
      const out = await answer(der);
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': out.length }).end(out);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const query = (ca: TestCa, leaf: TestCert, extra: string[] = []) =>
    runOpenssl([
      'ocsp',
      '-url',
      base,
      '-issuer',
      ca.issuer.certPath,
      '-cert',
      leaf.certPath,
      '-CAfile',
      ca.root.certPath,
      ...extra,
    ]);

  test('openssl ocsp -url (POST, with a nonce) hears revoked, good and unknown, verified', async () => {
    const revokedLeaf = await query(rsa, rsa.leaves[0]);
    assert.equal(revokedLeaf.code, 0, revokedLeaf.stderr);
    assert.match(revokedLeaf.stdout, /: revoked\n[\s\S]*Reason: cessationOfOperation/);
    assert.match(revokedLeaf.stderr, /Response verify OK/);
    assert.doesNotMatch(revokedLeaf.stderr, /nonce/i);
    const good = await query(rsa, rsa.leaves[1]);
    assert.match(good.stdout, /: good\n/);
    assert.match(good.stderr, /Response verify OK/);
    const late = await rsa.issueLeaf('not-on-record.example.test');
    const unknown = await query(rsa, late, ['-no_nonce']);
    assert.match(unknown.stdout, /: unknown\n/);
    assert.match(unknown.stderr, /Response verify OK/);
  });

  test('answers unauthorized for a certificate of another issuer', async () => {
    const r = await query(other, other.leaves[0]);
    assert.match(r.stdout + r.stderr, /Responder Error: unauthorized \(6\)/);
  });

  test('answers a GET whose path is the url-encoded base64 of the request', async () => {
    const req = await opensslRequest(rsa, [rsa.leaves[0]]);
    const res = await fetch(`${base}/${encodeURIComponent(Buffer.from(req.der).toString('base64'))}`);
    assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
    const r = await opensslCheck(rsa, new Uint8Array(await res.arrayBuffer()), rsa.leaves[0], req.path);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Cert Status: revoked/);
    assert.match(r.stderr, /Response verify OK/);
    assert.doesNotMatch(r.stderr, /nonce/i);
  });

  test('answers malformedRequest to junk by POST and GET', async () => {
    const post = await fetch(base, { method: 'POST', body: randomBytes(40) });
    assert.deepEqual(new Uint8Array(await post.arrayBuffer()), ocspErrorResponse('malformedRequest'));
    const get = await fetch(`${base}/not%20base64!`);
    assert.deepEqual(new Uint8Array(await get.arrayBuffer()), ocspErrorResponse('malformedRequest'));
  });
});
