// Property-based tests of SubmitCertificateInformation against a real server on a real SQLite file: hostile and
// random values in every field, alone and inside an otherwise valid request, sent by inject (TC3 JSON), by the
// official Node SDK and as a flattened v1 GET. The answer is always a well-formed envelope (never InternalError), a
// rejection stores nothing, an acceptance stores what was sent (normalised), and the server keeps answering.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { call } from '../../src/cli/client.js';
import { signV1 } from '../../src/gateway/signature-v1.js';
import { signTc3 } from '../../src/gateway/signature-v3.js';
import { generateKey } from '../../src/pki/keys.js';
import type { CertificateRow } from '../../src/store/schema.js';
import { makeCsr } from '../support/openssl.js';
import { SEED_ORGANISATION } from '../support/seed.js';
import { type SslClient, sdkClient, startWorld, type World } from '../support/world.js';

/** TrustAsia DV multi-domain, SecureSite OV wildcard, DNSPod DV single-domain (the SDK's ProductId list). */
const DV_MULTI = 11;
const OV_WILDCARD = 7;
const DV_SINGLE = 48;

/** The codes a Submit may legitimately answer with here (every one observed); InternalError is never one of them. */
const ALLOWED_CODES = new Set([
  'MissingParameter',
  'InvalidParameter',
  'InvalidParameterValue',
  'UnknownParameter',
  'RequestSizeLimitExceeded',
  'FailedOperation.InvalidParam',
  'FailedOperation.CertificateNotFound',
  'FailedOperation.InvalidCertificateStatusCode',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A stack frame or a path of the server's own files in a message is a leak. */
const LEAK = /\bat .*:\d+:\d+|\/work\/|node_modules|\.ts\b/;

/** The seed's organisation, administrator and contact fields, with how the service normalises each when stored. */
const INFO_FIELDS = {
  OrganizationName: 'text',
  OrganizationDivision: 'text',
  OrganizationAddress: 'text',
  OrganizationCountry: 'country',
  OrganizationCity: 'text',
  OrganizationRegion: 'text',
  PostalCode: 'code',
  PhoneAreaCode: 'code',
  PhoneNumber: 'code',
  AdminFirstName: 'text',
  AdminLastName: 'text',
  AdminPhoneNum: 'code',
  AdminEmail: 'email',
  AdminPosition: 'text',
  ContactFirstName: 'text',
  ContactLastName: 'text',
  ContactEmail: 'email',
  ContactNumber: 'code',
  ContactPosition: 'text',
} as const;
type InfoField = keyof typeof INFO_FIELDS;
const INFO_WIRE = Object.keys(INFO_FIELDS) as InfoField[];
const FIELDS = [
  'CertificateId',
  'CsrType',
  'CsrContent',
  'CertificateDomain',
  'DomainList',
  'KeyPassword',
  ...INFO_WIRE,
  'VerifyType',
  'IsDV',
] as const;
type Field = (typeof FIELDS)[number];
type Params = Record<string, unknown>;

// --- the oracle: what an accepted request must have stored -------------------------------------------------------

/** Trimmed, lowercase, IDN in punycode, one trailing dot dropped. */
function normDomain(raw: string): string {
  let s = raw.trim().toLowerCase();
  if ([...s].some((c) => c.charCodeAt(0) > 0x7f)) s = domainToASCII(s);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

function normEmail(raw: string): string {
  const at = raw.lastIndexOf('@');
  return `${raw.slice(0, at)}@${normDomain(raw.slice(at + 1))}`;
}

const camel = (wire: string) => wire[0].toLowerCase() + wire.slice(1);
const isTrue = (v: unknown) => v === true || v === 'true' || v === 'True' || v === '1';

/** The only CSR with a subject CN that a test sends (the `cn` fixture, and mutations that happen to stay valid). */
const FIXTURE_CN = 'a.fuzz.example';

function expectAccepted(prev: CertificateRow, next: CertificateRow, seen: Params, isDvProduct: boolean): void {
  const str = (k: string): string | undefined => {
    const v = seen[k];
    if (v === undefined) return undefined;
    assert.equal(typeof v, 'string', `accepted a non-string ${k}: ${JSON.stringify(v)}`);
    return v as string;
  };
  assert.equal(next.status, prev.status, 'Submit does not move the status');
  assert.equal(next.version, prev.version + 1);

  const given = str('CertificateDomain')?.trim();
  const list = seen.DomainList ?? [];
  assert.ok(Array.isArray(list) && list.every((d) => typeof d === 'string'), `accepted DomainList ${list}`);
  const raw = given ? [given, ...list] : list.length > 0 ? list : [FIXTURE_CN];
  const names = [...new Set(raw.map(normDomain))];
  assert.deepEqual(JSON.parse(next.san), names, 'the stored domain set');
  assert.equal(next.domain, names[0]);

  const info: Record<string, string> = {};
  for (const wire of INFO_WIRE) {
    const v = str(wire)?.trim();
    if (!v) continue;
    const kind = INFO_FIELDS[wire];
    info[camel(wire)] = kind === 'country' ? v.toUpperCase() : kind === 'email' ? normEmail(v) : v;
  }
  assert.deepEqual(JSON.parse(next.info), info, 'the stored information');

  const csrType = str('CsrType') || (str('CsrContent') ? 'parse' : 'online');
  assert.equal(next.csr_type, csrType);
  assert.match(next.csr_pem ?? '', /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE/);
  assert.equal(next.private_key_sealed === null, csrType === 'parse', 'a key is kept only for an online CSR');
  assert.equal(next.key_password_sealed === null, !str('KeyPassword'));
  assert.equal(next.verify_type, str('VerifyType') || prev.verify_type);
  assert.equal(next.is_dv, isDvProduct || isTrue(seen.IsDV) ? 1 : 0);
}

// --- the envelope ------------------------------------------------------------------------------------------------

interface Reply {
  ok: boolean;
  code?: string;
  certificateId?: string;
}

function checkError(code: unknown, message: unknown, requestId: unknown, what: string): Reply {
  assert.equal(typeof code, 'string', what);
  assert.notEqual(code, 'InternalError', `InternalError for ${what}`);
  assert.ok(ALLOWED_CODES.has(code as string), `unexpected ${code}: ${message} for ${what}`);
  assert.ok(typeof message === 'string' && message.trim() !== '', `empty message for ${what}`);
  assert.doesNotMatch(message as string, LEAK, `a leaky message for ${what}`);
  assert.match(String(requestId), UUID);
  return { ok: false, code: code as string };
}

/** Reads an HTTP answer: status 200, JSON, and exactly the success or the error envelope. */
function readEnvelope(status: number, text: string, what: string): Reply {
  assert.equal(status, 200, `HTTP ${status} for ${what}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { Response: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['Response'], text);
  const r = body.Response;
  if (r.Error === undefined) {
    assert.deepEqual(Object.keys(r).sort(), ['CertificateId', 'RequestId'], text);
    assert.equal(typeof r.CertificateId, 'string');
    assert.match(String(r.RequestId), UUID);
    return { ok: true, certificateId: r.CertificateId as string };
  }
  assert.deepEqual(Object.keys(r).sort(), ['Error', 'RequestId'], text);
  const e = r.Error as Record<string, unknown>;
  assert.deepEqual(Object.keys(e).sort(), ['Code', 'Message'], text);
  return checkError(e.Code, e.Message, r.RequestId, what);
}

/** A lone surrogate as U+FFFD: encodeURIComponent and the SDK's JSON cannot carry one as such, nor can UTF-8. */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const show = (v: unknown) => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
};

/** fast-check parameters; the failing assertion goes into the report, as node's reporter does not print `cause`. */
const runs = (numRuns: number) => ({ numRuns, includeErrorInReport: true });

// --- generators --------------------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e',
  '\u2066x\u2069',
  '\u200f',
  '\ufeff',
  '\u2028',
  '\u0085',
  "' OR 1=1 --",
  '"; DROP TABLE certificates; --',
  "Robert'); DROP TABLE certificates;--",
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '$' + '{7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '%00',
  '%s%n',
  '../../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  '\\',
  '"',
  '\r\n',
  '\t',
  'ı',
  'İ',
  'ß',
  'ﬀ',
  '\u212a',
  'ａ',
  '𝒜',
  '👍🏽',
  '👨‍👩‍👧',
  'e\u0301',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '\ud800',
  '\udfff',
  'a\ud83db',
  '*',
  '*.',
  '.',
  '..',
  'xn--',
  'xn--a',
  'a..b',
  '-a.b',
  'localhost',
  '127.0.0.1',
  '[::1]',
  '0x7f.1',
  'a.b_c.d',
  '１２３４５',
  '١٢٣٤٥',
  '+',
  '@',
  'a@',
  '@b',
  'a@b@c',
];
const nasty = fc.constantFrom(...NASTY);
/** Long strings, from just over a field's cap to 200 KB. */
const huge = fc
  .tuple(
    fc.integer({ min: 250, max: 200_000 }),
    fc.constantFrom('a', 'é', '𝒜', '\u0000', ' ', '\ud800', 'ab.', '\u202e'),
  )
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
const hostileString = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: fc.string({
        unit: fc.oneof(loneSurrogate, fc.constantFrom('\u0000', '\u202e', '\u200f', 'a', '.', '@', ' ', '-')),
        maxLength: 20,
      }),
    },
    { weight: 4, arbitrary: nasty },
    { weight: 2, arbitrary: fc.tuple(nasty, fc.string(), nasty).map(([a, b, c]) => a + b + c) },
    { weight: 1, arbitrary: huge },
  )
  .filter((s) => !LEAK.test(s));
const nonString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
);

const pad = (a: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\t', '\u3000'), a, fc.constantFrom('', ' ', '\n')).map(([l, s, r]) => l + s + r);
const IDN_LABELS = [
  '例え',
  'bücher',
  'ÄÖÜ',
  'ß',
  'ﬀ',
  'ｆｕｌｌ',
  'a\u200bb',
  '\u00ad',
  'xn--ls8h',
  'XN--LS8H',
  'ab--c',
];
const domainish = pad(
  fc
    .tuple(
      fc.constantFrom('', '', '', '*.', '*.*.', 'a*.'),
      fc.mixedCase(fc.domain()),
      fc.option(fc.constantFrom(...IDN_LABELS)),
      fc.constantFrom('', '', '.', '..', '\u3002'),
    )
    .map(([wild, d, idn, end]) => `${wild}${idn ? `${idn}.` : ''}${d}${end}`),
);
const boundaryDomain = fc.constantFrom(
  `${'a'.repeat(63)}.example`,
  `${'a'.repeat(64)}.example`,
  `${'a.'.repeat(124)}example`.slice(0, 253),
  `${'a.'.repeat(126)}example`,
  `${'b'.repeat(55)}.fuzz.example`,
);
const domainValue = fc.oneof({ weight: 4, arbitrary: domainish }, boundaryDomain, hostileString);
const domainList: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.array(domainish, { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.array(domainValue, { maxLength: 4 }) },
  fc.array(fc.oneof(hostileString, nonString), { maxLength: 4 }),
  fc.array(fc.array(fc.string(), { maxLength: 2 }), { minLength: 1, maxLength: 3 }),
  fc.integer({ min: 101, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => `d${i}.fuzz.example`)),
  fc.constant(['b.fuzz.example', 'B.FUZZ.EXAMPLE.']),
  fc.constant([null, 'b.fuzz.example']),
  nonString,
  hostileString,
);
const emailish = fc.oneof(
  pad(fc.emailAddress().map((e) => e.slice(0, e.lastIndexOf('@')) + e.slice(e.lastIndexOf('@')).toUpperCase())),
  fc.constantFrom(
    'a@例え.jp',
    'A@B.EXAMPLE',
    'a@b',
    'a@xn--.com',
    '"q"@b.example',
    'a@*.b.example',
    'a@[1.2.3.4]',
    `${'x'.repeat(65)}@b.example`,
    'a@b.example.',
    'a @b.example',
  ),
);
const codeish = fc.oneof(
  fc.stringMatching(/^\+?[0-9]{0,23}$/),
  fc.stringMatching(/^[A-Za-z0-9 -]{0,12}$/),
  fc.constantFrom('0755', '518057', 'SW1A 1AA', '+8613800000000', '１２３４５', '١٢٣٤٥٦', ' 86013388 ', '12-34'),
);
const countryish = fc.oneof(
  fc.stringMatching(/^[A-Za-z]{1,3}$/),
  fc.constantFrom('CN', 'cn', ' us ', 'Gb', 'UK', 'XX', 'EU', 'ıl', 'ſe', 'ＣＮ', 'C', 'CHN'),
);
const textish = fc.oneof(
  pad(fc.string({ unit: 'grapheme', maxLength: 70 })),
  fc.constantFrom('é'.repeat(64), 'é'.repeat(65), '𝒜'.repeat(64), '𝒜'.repeat(65), 'x'.repeat(256), 'x'.repeat(257)),
);

interface Fixtures {
  /** A CSR with no subject CN and no subjectAltName: it fits any domain set. */
  bare: string;
  /** CN=a.fuzz.example, no subjectAltName. */
  cn: string;
  cnDer: Buffer;
}

function pemOf(der: Uint8Array, label = 'CERTIFICATE REQUEST', eol = '\n'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----${eol}${lines.join(eol)}${eol}-----END ${label}-----${eol}`;
}

/** Definite-length SEQUENCEs nested `depth` deep, as deep as 64 KiB allows. */
function nestedSequences(depth: number): Buffer {
  const heads: Buffer[] = [];
  let n = 0;
  for (let i = 0; i < depth; i++) {
    const len =
      n < 0x80
        ? [n]
        : n < 0x100
          ? [0x81, n]
          : n < 0x10000
            ? [0x82, n >> 8, n & 0xff]
            : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
    heads.push(Buffer.from([0x30, ...len]));
    n += heads[heads.length - 1].length;
  }
  return Buffer.concat(heads.reverse());
}

function csrGarbage(fx: Fixtures): fc.Arbitrary<string> {
  const labels = [
    'CERTIFICATE REQUEST',
    'NEW CERTIFICATE REQUEST',
    'CERTIFICATE',
    'PRIVATE KEY',
    '',
    'certificate request',
  ];
  return fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((b) => pemOf(b)),
    fc
      .tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...labels), fc.constantFrom('\n', '\r\n', '\r', ' '))
      .map(([b, label, eol]) => pemOf(b, label, eol)),
    // A real CSR with a few bytes changed and perhaps cut short: reaches every branch of the DER reader.
    fc
      .tuple(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat()),
      )
      .map(([flips, cut]) => {
        const b = Buffer.from(fx.cnDer);
        for (const [i, v] of flips) b[i % b.length] = v;
        return pemOf(cut === null ? b : b.subarray(0, cut % b.length));
      }),
    fc
      .constantFrom('3080', '3084ffffffff', '30833fffff', '3000', '30023000', '300330010000', '1f3000', '30030201ff')
      .map((hex) => pemOf(Buffer.from(hex, 'hex'))),
    fc.integer({ min: 1, max: 16_000 }).map((d) => pemOf(nestedSequences(d))),
    fc.constantFrom(
      `junk\n${fx.cn}`,
      `${fx.cn}trailing junk`,
      `${fx.cn}${fx.cn}`,
      fx.cn.replace(/\n/g, '\r\n'),
      fx.cn.toLowerCase(),
      fx.cn.replace('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'),
      `${fx.cn.slice(0, 100)}\u0000${fx.cn.slice(100)}`,
      fx.cn.slice(0, -40),
      `${'-----BEGIN CERTIFICATE REQUEST-----\n'}${'A'.repeat(70_000)}\n-----END CERTIFICATE REQUEST-----`,
    ),
    hostileString,
  );
}

function valueArb(field: Field, fx: Fixtures, ids: string[]): fc.Arbitrary<unknown> {
  const mix = (near: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 4, arbitrary: near },
      { weight: 3, arbitrary: hostileString },
      { weight: 1, arbitrary: nonString },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  switch (field) {
    case 'CertificateId':
      return mix(fc.constantFrom(...ids, 'nope0000', ` ${ids[0]}`, ids[0].toLowerCase(), `${ids[0]}\u0000`));
    case 'CsrType':
      return mix(fc.constantFrom('online', 'parse', 'ONLINE', '', ' parse', 'upload'));
    case 'CsrContent':
      return mix(fc.oneof(csrGarbage(fx), fc.constantFrom(fx.bare, fx.cn, '')));
    case 'CertificateDomain':
      return mix(domainValue);
    case 'DomainList':
      return domainList;
    case 'KeyPassword':
      return mix(
        fc.oneof(
          fc.string({ unit: 'grapheme-ascii', maxLength: 70 }),
          fc.string({ unit: 'binary-ascii', maxLength: 9 }),
        ),
      );
    case 'VerifyType':
      return mix(fc.constantFrom('DNS_AUTO', 'DNS', 'FILE', 'dns', '', ' DNS', 'EMAIL'));
    case 'IsDV':
      return mix(fc.constantFrom(true, false, 'true', 'True', '1', '0', 'false', 'False', 'yes', 1, 0, 'TRUE'));
    default: {
      const kind = INFO_FIELDS[field];
      return mix(kind === 'email' ? emailish : kind === 'code' ? codeish : kind === 'country' ? countryish : textish);
    }
  }
}

/** One field, or several, to replace in (or add to) a request; `undefined` removes the field. */
function overridesOf(fx: Fixtures, ids: string[]): fc.Arbitrary<Params> {
  const one = fc.constantFrom(...FIELDS).chain((f) => valueArb(f, fx, ids).map((v): Params => ({ [f]: v })));
  const many = fc
    .uniqueArray(fc.constantFrom(...FIELDS), { minLength: 2, maxLength: 6 })
    .chain((fs) =>
      fc.tuple(...fs.map((f) => valueArb(f, fx, ids))).map((vs) => Object.fromEntries(fs.map((f, i) => [f, vs[i]]))),
    );
  return fc.oneof({ weight: 3, arbitrary: one }, { weight: 2, arbitrary: many });
}

function merge(base: Params, overrides: Params): Params {
  const out: Params = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

// --- the suite ---------------------------------------------------------------------------------------------------

interface Snapshot {
  row: CertificateRow;
  logs: number;
}

type Target = 'multi' | 'multiParse' | 'ov' | 'single' | 'cancelled';

describe('SubmitCertificateInformation under property-based testing', () => {
  let world: World;
  let client: SslClient;
  let fx: Fixtures;
  let otherId: string;
  const id = {} as Record<'multi' | 'ov' | 'single' | 'cancelled', string>;
  let bases: Record<Target, Params>;
  let current = new Map<string, Snapshot>();
  const dvProduct = new Map<string, boolean>();

  /** Every certificate row in the store and its operation-log count: two queries, so each round stays cheap. */
  async function snapshot(): Promise<Map<string, Snapshot>> {
    const db = world.services.store.db;
    const rows = await db.selectFrom('certificates').selectAll().orderBy('certificate_id').execute();
    const logs = await db
      .selectFrom('operate_logs')
      .select((eb) => ['certificate_id', eb.fn.countAll<number>().as('n')])
      .groupBy('certificate_id')
      .execute();
    const count = new Map(logs.map((l) => [l.certificate_id, Number(l.n)]));
    return new Map(rows.map((row) => [row.certificate_id, { row, logs: count.get(row.certificate_id) ?? 0 }]));
  }

  /** Sends one request and checks the store: unchanged on a rejection, the normalised request on an acceptance. */
  async function round(send: () => Promise<Reply>, seen: unknown, stats: Map<string, number>): Promise<Reply> {
    const sent = await send().then(
      (reply) => ({ reply }),
      (error: unknown) => ({ error }),
    );
    const now = await snapshot();
    // Later rounds compare with what is stored now, so one failure does not cascade into the tests after it.
    const earlier = current;
    current = now;
    if ('error' in sent) throw sent.error;
    const { reply } = sent;
    const key = reply.ok ? 'Success' : (reply.code as string);
    stats.set(key, (stats.get(key) ?? 0) + 1);
    assert.deepEqual([...now.keys()], [...earlier.keys()], 'no certificate row appears or disappears');
    for (const [cid, was] of earlier) {
      const is = now.get(cid)!;
      if (reply.ok && cid === reply.certificateId) {
        assert.ok(
          seen && typeof seen === 'object' && (seen as Params).CertificateId === cid,
          'success names the order',
        );
        assert.equal(is.logs, was.logs + 1, 'an accepted Submit writes one operation log entry');
        expectAccepted(was.row, is.row, seen as Params, dvProduct.get(cid)!);
      } else {
        assert.deepEqual(is, was, `order ${cid} changed after ${key} for ${show(seen)}`);
      }
    }
    return reply;
  }

  function injectJson(body: string, lang: string, what: string): () => Promise<Reply> {
    return async () => {
      const host = `127.0.0.1:${world.port}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const { authorization } = signTc3({
        secretId: world.account.secretId,
        secretKey: world.account.secretKey,
        service: 'ssl',
        host,
        method: 'POST',
        rawQuery: '',
        contentType: 'application/json',
        payload: body,
        timestamp,
      });
      const res = await world.app.inject({
        method: 'POST',
        url: '/',
        headers: {
          host,
          authorization,
          'content-type': 'application/json',
          'x-tc-action': 'SubmitCertificateInformation',
          'x-tc-version': '2019-12-05',
          'x-tc-timestamp': String(timestamp),
          'x-tc-language': lang,
        },
        payload: body,
      });
      assert.equal(res.headers['content-type'], 'application/json');
      return readEnvelope(res.statusCode, res.body, what);
    };
  }

  /** A v1 HmacSHA256 GET with exactly these decoded parameters, signed, through inject. */
  function injectV1(own: Record<string, string>, lang: string, what: string): () => Promise<Reply> {
    return async () => {
      const host = `127.0.0.1:${world.port}`;
      const params: Record<string, string> = {
        ...own,
        Action: 'SubmitCertificateInformation',
        Version: '2019-12-05',
        Timestamp: String(Math.floor(Date.now() / 1000)),
        Nonce: String(1 + Math.floor(Math.random() * 1e9)),
        SecretId: world.account.secretId,
        SignatureMethod: 'HmacSHA256',
        Language: lang,
      };
      params.Signature = signV1({
        method: 'GET',
        host,
        path: '/',
        params,
        secretKey: world.account.secretKey,
        signatureMethod: 'HmacSHA256',
      });
      const query = Object.entries(params)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
      const res = await world.app.inject({ method: 'GET', url: `/?${query}`, headers: { host } });
      assert.equal(res.headers['content-type'], 'application/json');
      return readEnvelope(res.statusCode, res.body, what);
    };
  }

  /** What the service reads from flat names, for the few that can be accepted: `DomainList.N` and plain names. */
  const unflat = (own: Record<string, string>): Params => {
    const out: Params = {};
    const list: Array<[number, string]> = [];
    for (const [k, v] of Object.entries(own)) {
      const m = /^DomainList\.(\d+)$/.exec(k);
      if (m) list.push([Number(m[1]), v]);
      else out[k] = v;
    }
    if (list.length > 0) out.DomainList = list.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    return out;
  };
  const jsonOf = (params: unknown) => JSON.stringify(params) ?? '';
  const seenOf = (body: string): unknown => {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  };

  function report(t: { diagnostic(msg: string): void }, stats: Map<string, number>): void {
    t.diagnostic([...stats].map(([k, n]) => `${k}: ${n}`).join(', '));
  }

  before(async () => {
    world = await startWorld({
      rateLimit: { defaultPerSecond: 1000, perAction: { SubmitCertificateInformation: 100_000 } },
    });
    // One RSA key for every online CSR: generating 2048-bit keys takes ~0.5 s each on a small CI machine, and the
    // properties make hundreds of online CSRs. What is checked here is the request handling, not key freshness.
    const key = await generateKey({ algorithm: 'RSA', rsaBits: 2048 });
    world.services.keys.take = async () => key;
    client = sdkClient(world);
    const order = async (c: SslClient, productId: number, domainNum = 1) =>
      (await c.CreateCertificate({ ProductId: productId, DomainNum: domainNum, TimeSpan: 1 })).CertificateIds[0];
    id.multi = await order(client, DV_MULTI, 3);
    id.ov = await order(client, OV_WILDCARD);
    id.single = await order(client, DV_SINGLE);
    id.cancelled = await order(client, DV_SINGLE);
    for (const [k, v] of Object.entries(id)) dvProduct.set(v, k !== 'ov');
    // A cancelled order is final (no worker moves it on), so it stays the same however often it is refused.
    await client.CancelCertificateOrder({ CertificateId: id.cancelled });
    const acct = await world.services.iam.createAccount({ name: 'other' });
    const otherClient = sdkClient(world, { secretId: acct.SecretId, secretKey: acct.SecretKey });
    otherId = await order(otherClient, DV_SINGLE);

    const bare = await makeCsr({ key: 'ec:P-256', subject: '/O=Fuzz' });
    const cn = await makeCsr({ key: 'ec:P-256', subject: `/CN=${FIXTURE_CN}` });
    const b64 = cn.csr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    fx = { bare: bare.csr, cn: cn.csr, cnDer: Buffer.from(b64, 'base64') };

    const contact = { ContactEmail: 'ops@fuzz.example', AdminFirstName: 'Ann', AdminEmail: 'ann@fuzz.example' };
    const multi = {
      CertificateId: id.multi,
      CsrType: 'online',
      CertificateDomain: FIXTURE_CN,
      DomainList: ['b.fuzz.example', 'c.fuzz.example'],
      VerifyType: 'DNS',
      ...contact,
    };
    bases = {
      multi,
      multiParse: { ...multi, CsrType: 'parse', CsrContent: fx.bare },
      ov: {
        CertificateId: id.ov,
        CertificateDomain: '*.ov.fuzz.example',
        // The seed's organisation, administrator and contact, with a postal code and an international number.
        ...SEED_ORGANISATION,
        PostalCode: '518057',
        ContactNumber: '+8612345678901',
      },
      single: {
        CertificateId: id.single,
        CertificateDomain: 'single.fuzz.example',
        KeyPassword: 'Secret-123',
        IsDV: true,
        ...contact,
      },
      cancelled: { CertificateId: id.cancelled, CertificateDomain: 'done.fuzz.example', ...contact },
    };
    // Every open order starts with valid information, so a rejection has something to leave alone.
    for (const t of ['multi', 'ov', 'single'] as const) {
      const res = await client.SubmitCertificateInformation(bases[t]);
      assert.equal(res.CertificateId, bases[t].CertificateId);
    }
    current = await snapshot();
  });

  after(async () => {
    await world?.close();
  });

  const targets = fc.constantFrom<Target>('multi', 'multiParse', 'ov', 'single', 'cancelled');
  const langs = fc.constantFrom('en-US', 'zh-CN');

  test('a hostile value in any field, alone or in an otherwise valid request, gets a well-formed envelope and no change on rejection', async (t) => {
    const stats = new Map<string, number>();
    const ids = [...Object.values(id), otherId];
    await fc.assert(
      fc.asyncProperty(
        targets,
        fc.constantFrom('alone', 'withId', 'combined', 'combined', 'combined'),
        overridesOf(fx, ids),
        langs,
        async (target, mode, overrides, lang) => {
          const base = bases[target];
          const params =
            mode === 'alone'
              ? merge({}, overrides)
              : mode === 'withId'
                ? merge({ CertificateId: base.CertificateId }, overrides)
                : merge(base, overrides);
          const body = jsonOf(params);
          await round(injectJson(body, lang, show(params)), seenOf(body), stats);
        },
      ),
      runs(200),
    );
    report(t, stats);
    assert.ok((stats.get('Success') ?? 0) > 0, 'some requests are accepted, so the acceptance oracle ran');
  });

  test('near-valid values (padded, mixed case, IDN, boundary lengths) are stored normalised or rejected with no change', async (t) => {
    const stats = new Map<string, number>();
    const near = (f: Field) =>
      f === 'DomainList'
        ? fc.array(domainish, { maxLength: 3 })
        : f === 'CertificateDomain'
          ? fc.oneof(domainish, boundaryDomain)
          : f === 'CsrContent' || f === 'CertificateId'
            ? fc.constant(undefined)
            : valueArb(f, fx, []);
    const editable = FIELDS.filter((f) => f !== 'CertificateId' && f !== 'CsrContent' && f !== 'CsrType');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Target>('multi', 'multiParse', 'ov', 'single'),
        fc
          .uniqueArray(fc.constantFrom(...editable), { minLength: 1, maxLength: 4 })
          .chain((fs) => fc.tuple(...fs.map(near)).map((vs) => Object.fromEntries(fs.map((f, i) => [f, vs[i]])))),
        async (target, overrides) => {
          const params = merge(bases[target], overrides);
          const body = jsonOf(params);
          await round(injectJson(body, 'en-US', show(params)), seenOf(body), stats);
        },
      ),
      runs(150),
    );
    report(t, stats);
    assert.ok((stats.get('Success') ?? 0) > 20, 'enough near-valid requests are accepted to exercise the oracle');
  });

  test('CsrContent garbage (random DER, mutated CSRs, deep nesting, bad PEM) gets FailedOperation.InvalidParam or a parameter error', async (t) => {
    const stats = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Target>('multiParse', 'single'), csrGarbage(fx), async (target, csr) => {
        const params = { ...bases[target], CsrType: 'parse', CsrContent: csr };
        const body = jsonOf(params);
        await round(injectJson(body, 'en-US', show(params)), seenOf(body), stats);
      }),
      runs(100),
    );
    report(t, stats);
  });

  test('a random JSON value as the whole body gets a well-formed envelope and never InternalError', async (t) => {
    const stats = new Map<string, number>();
    const ids = [...Object.values(id), otherId];
    // Unknown names are echoed in UnknownParameter's message, so a name that looks like a path would look like a leak.
    const key = fc
      .oneof(fc.constantFrom(...FIELDS), fc.string(), fc.constantFrom('__proto__', 'constructor', ''))
      .filter((k) => !LEAK.test(k));
    const anyField = fc.constantFrom(...FIELDS).chain((f) => valueArb(f, fx, ids));
    const body = fc.oneof(
      fc.anything({ key, maxDepth: 3 }).map(jsonOf),
      fc.object({ key, values: [hostileString, nonString, fc.constantFrom(...ids)], maxDepth: 2 }).map(jsonOf),
      fc.dictionary(key, fc.oneof(anyField, fc.anything({ key, maxDepth: 2 })), { maxKeys: 8 }).map(jsonOf),
      fc
        .record({ CertificateId: fc.constantFrom(...ids) }, { requiredKeys: [] })
        .chain((r) => fc.dictionary(fc.constantFrom(...FIELDS), anyField, { maxKeys: 6 }).map((d) => ({ ...r, ...d })))
        .map(jsonOf),
      // Not JSON, or JSON cut short: the body decoder's refusals.
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.jsonValue().map((v) => {
        const s = JSON.stringify(v);
        return s.slice(0, Math.max(0, s.length - 1));
      }),
      fc.constantFrom('\ufeff{}', '{"CertificateId":"x","CertificateId":1}', `{"DomainList":${'['.repeat(100_000)}`),
    );
    await fc.assert(
      fc.asyncProperty(body, langs, async (b, lang) => {
        await round(injectJson(b, lang, show(b)), seenOf(b), stats);
      }),
      runs(150),
    );
    report(t, stats);
  });

  test('a random flattened query in a signed v1 GET gets a well-formed envelope and never InternalError', async (t) => {
    const stats = new Map<string, number>();
    const ids = [...Object.values(id), otherId];
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
      { weight: 2, arbitrary: fc.nat(120).map((i) => `DomainList.${i}`) },
      fc.constantFrom(
        'DomainList.0.0',
        'DomainList.01',
        'DomainList.99999',
        'DomainList.a',
        'CertificateId.0',
        'OrganizationName.Foo',
        '__proto__',
        'constructor',
        'A..B',
        '.A',
        'A.',
        'Foo.Bar',
        '',
      ),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.oneof(hostileString, fc.constantFrom(...ids, 'true', 'True', 'online', 'parse', FIXTURE_CN));
    const V1_COMMON =
      /^(Action|Version|Region|Timestamp|Nonce|SecretId|Signature|SignatureMethod|Token|Language|RequestClient)$/;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          name.filter((n) => !V1_COMMON.test(n) && !LEAK.test(n)),
          value,
          { maxKeys: 8 },
        ),
        fc.option(fc.constantFrom<Target>('multi', 'single')),
        langs,
        async (dict, target, lang) => {
          const own: Record<string, string> = {};
          if (target) {
            for (const [k, v] of Object.entries(bases[target])) {
              if (!Array.isArray(v)) own[k] = String(v);
              else for (const [i, d] of v.entries()) own[`${k}.${i}`] = String(d);
            }
          }
          for (const [k, v] of Object.entries(dict)) own[wellFormed(k)] = wellFormed(v).slice(0, 3000);
          await round(injectV1(own, lang, show(own)), unflat(own), stats);
        },
      ),
      runs(100),
    );
    report(t, stats);
  });

  test('hostile values through the official Node SDK get the same well-formed answers and no change on rejection', async (t) => {
    const stats = new Map<string, number>();
    const ids = [...Object.values(id), otherId];
    // The SDK drops null members and cannot send a lone surrogate as such; what it sends is what the oracle reads.
    const sendable = (v: unknown): unknown =>
      typeof v === 'string'
        ? wellFormed(v)
        : Array.isArray(v)
          ? v.map(sendable)
          : v && typeof v === 'object'
            ? Object.fromEntries(
                Object.entries(v)
                  .filter(([k, x]) => x !== null && k !== '__proto__')
                  .map(([k, x]) => [k, sendable(x)]),
              )
            : v;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Target>('multi', 'ov', 'single'), overridesOf(fx, ids), async (target, o) => {
        const params = sendable(merge(bases[target], o)) as Params;
        const send = async (): Promise<Reply> => {
          try {
            const res = await client.SubmitCertificateInformation(params);
            assert.deepEqual(Object.keys(res).sort(), ['CertificateId', 'RequestId']);
            assert.match(res.RequestId, UUID);
            return { ok: true, certificateId: res.CertificateId };
          } catch (e) {
            const err = e as { code?: string; message?: string; requestId?: string };
            assert.ok(err.code, `the SDK failed without a code (a crash or a hang?): ${err.message}`);
            return checkError(err.code, err.message, err.requestId, show(params));
          }
        };
        await round(send, JSON.parse(JSON.stringify(params)), stats);
      }),
      runs(20),
    );
    report(t, stats);
  });

  test('hostile values flattened into a v1 HmacSHA256 GET by tcssl call get well-formed answers', async (t) => {
    const stats = new Map<string, number>();
    const ids = [...Object.values(id), otherId];
    // What a flattened request carries: scalars as strings; null, undefined and empty lists or objects vanish.
    const flattened = (v: unknown): unknown => {
      if (v === null || v === undefined) return undefined;
      if (typeof v === 'string') return wellFormed(v).slice(0, 300);
      if (typeof v !== 'object') return String(v);
      // At most 110 items: a query over 16 KB meets the 431 bug the todo test below describes.
      const entries = (Array.isArray(v) ? v.slice(0, 110).map((x, i) => [String(i), x] as const) : Object.entries(v))
        .map(([k, x]) => [k, flattened(x)] as const)
        .filter(([, x]) => x !== undefined);
      if (entries.length === 0) return undefined;
      return Array.isArray(v) ? entries.map(([, x]) => x) : Object.fromEntries(entries);
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Target>('multi', 'ov', 'single'), overridesOf(fx, ids), async (target, o) => {
        const params = (flattened(merge(bases[target], o)) ?? {}) as Params;
        const send = async (): Promise<Reply> => {
          const res = await call({
            endpoint: world.url,
            secretId: world.account.secretId,
            secretKey: world.account.secretKey,
            action: 'SubmitCertificateInformation',
            params,
            signMethod: 'HmacSHA256',
            method: 'GET',
          });
          return readEnvelope(res.status, JSON.stringify(res.body), show(params));
        };
        // A list whose items were all objects flattens to nested names, which the service refuses anyway.
        await round(send, params, stats);
      }),
      runs(20),
    );
    report(t, stats);
  });

  test('a JSON body over the 10 MB limit gets RequestSizeLimitExceeded and changes nothing', async () => {
    const stats = new Map<string, number>();
    const params = { ...bases.single, OrganizationName: 'a'.repeat(10 * 1024 * 1024) };
    const reply = await round(injectJson(jsonOf(params), 'en-US', 'a 10 MB body'), params, stats);
    assert.equal(reply.code, 'RequestSizeLimitExceeded');
  });

  test('a v1 GET whose query is over 16 KB gets HTTP 200 with an envelope, RequestSizeLimitExceeded past 32 KB', async () => {
    for (const size of [20_000, 40_000]) {
      const res = await call({
        endpoint: world.url,
        secretId: world.account.secretId,
        secretKey: world.account.secretKey,
        action: 'SubmitCertificateInformation',
        params: { CertificateId: id.single, OrganizationName: 'a'.repeat(size) },
        signMethod: 'HmacSHA256',
        method: 'GET',
      });
      const code = size < 32 * 1024 ? 'InvalidParameterValue' : 'RequestSizeLimitExceeded';
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((res.body as { Response: { Error: { Code: string } } }).Response.Error.Code, code);
    }
  });

  test('after all of it the server still answers a valid Submit on every open order with success', async () => {
    for (const t of ['multi', 'ov', 'single'] as const) {
      const res = await client.SubmitCertificateInformation(bases[t]);
      assert.equal(res.CertificateId, bases[t].CertificateId);
      const detail = await client.DescribeCertificateDetail({ CertificateId: bases[t].CertificateId });
      assert.equal(detail.Domain, normDomain(bases[t].CertificateDomain as string));
      assert.equal(detail.SubmittedData.ContactEmail, bases[t].ContactEmail);
    }
    const res = await call({
      endpoint: world.url,
      secretId: world.account.secretId,
      secretKey: world.account.secretKey,
      action: 'SubmitCertificateInformation',
      params: bases.single,
      signMethod: 'HmacSHA256',
      method: 'GET',
    });
    assert.equal((res.body as { Response: { CertificateId: string } }).Response.CertificateId, id.single);
  });
});
