// Owns TC3-HMAC-SHA256: one implementation of the canonical forms, used by the client signer and the server verifier.
// Knows nothing of Fastify, accounts, clocks or wire error codes: callers pass raw request pieces and get a boolean.
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const TC3_TERMINATOR = 'tc3_request';

/** Every official SDK signs exactly these two; the v3 doc makes both mandatory. */
const DEFAULT_SIGNED_HEADERS = ['content-type', 'host'];
/** A real client signs two or three headers; the cap keeps a hostile list from costing work. */
const MAX_SIGNED_HEADERS = 32;
const MAX_AUTHORIZATION_LENGTH = 4096;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const SCOPE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const SIGNATURE_HEX = /^[0-9a-fA-F]{64}$/;
/**
 * `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=<names>, Signature=<hex>` as the SDKs
 * write it. The id has no '/', the service may (see below); neither has a comma or anything outside printable ASCII.
 */
const SDK_FORM =
  /^TC3-HMAC-SHA256 Credential=([\x21-\x2b\x2d-\x2e\x30-\x7e]+)\/(\d{4}-\d{2}-\d{2})\/([\x21-\x2b\x2d-\x7e]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
/** Ten digits reach the year 2286; anything longer is not a Unix time in seconds. */
const TIMESTAMP = /^\d{1,10}$/;

export type IncomingHeaders = Record<string, string | string[] | undefined>;

export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  /** lower-cased, in the order signed; shared and frozen when it came from parseTc3Authorization */
  signedHeaders: readonly string[];
  signature: string;
}

// crypto.hash (Node 20.12+) is one call into OpenSSL, about a fifth of createHash().update().digest() for a request's
// few hundred bytes; the engines field still admits Node 20 releases without it.
const oneShotHash = (nodeCrypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  if (oneShotHash) return oneShotHash('sha256', data, 'hex');
  return createHash('sha256').update(data).digest('hex');
}

function hmacSha256(key: string | Uint8Array, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

let lastDate: { timestamp: string | null; date: string } = { timestamp: null, date: '' };

/** The scope date: the UTC calendar date of the timestamp (UTC+8 clients that use local time fail at 00:00–08:00). */
export function tc3Date(timestamp: number | string): string {
  // Requests of one second share a timestamp: the last answer is kept.
  const key = String(timestamp);
  if (key === lastDate.timestamp) return lastDate.date;
  const date = utcDate(key);
  lastDate = { timestamp: key, date };
  return date;
}

function utcDate(timestamp: string): string {
  const d = new Date(Number(timestamp) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * Parses `TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=hex`.
 * Fields may come in any order with any spacing after the commas, and field names in any casing; anything else
 * (another algorithm, an unknown or repeated field, non-ASCII, a bad date or signature) gives null.
 */
export function parseTc3Authorization(header: string): Tc3Authorization | null {
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_LENGTH) return null;
  // Every SDK writes the fields in this order with this spacing: one regular expression reads them; anything else
  // takes the general reading below, which gives the same result for this form (tested).
  const m = SDK_FORM.exec(header);
  if (m) {
    const names = parseSignedHeaders(m[4]);
    if (names) return { secretId: m[1], date: m[2], service: m[3], signedHeaders: names, signature: m[5] };
  }
  return parseTc3AuthorizationGeneral(header);
}

/** The general reading of an Authorization header (exported for tests: parseTc3Authorization's fast form must agree). */
export function parseTc3AuthorizationGeneral(header: string): Tc3Authorization | null {
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_LENGTH) return null;
  const trimmed = header.trim();
  if (!trimmed.startsWith(TC3_ALGORITHM)) return null;
  const rest = trimmed.slice(TC3_ALGORITHM.length);
  if (!/^[ \t]/.test(rest)) return null;

  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (fields.has(name) || !PRINTABLE_ASCII.test(value)) return null;
    fields.set(name, value);
  }
  const credential = fields.get('credential');
  const signedHeaders = fields.get('signedheaders');
  const signature = fields.get('signature');
  if (fields.size !== 3 || !credential || !signedHeaders || !signature) return null;

  // The service sits between the date and the terminator and may itself hold a '/': an old Python SDK pointed at
  // tccli's `http://127.0.0.1:9000` takes `http://127` as the first dot-label of its endpoint.
  const scope = credential.split('/');
  if (scope.length < 4 || scope[scope.length - 1] !== TC3_TERMINATOR) return null;
  const secretId = scope[0];
  const date = scope[1];
  const service = scope.slice(2, -1).join('/');
  if (!secretId || !service || !SCOPE_DATE.test(date)) return null;

  const names = parseSignedHeaders(signedHeaders);
  if (!names || !SIGNATURE_HEX.test(signature)) return null;
  return { secretId, date, service, signedHeaders: names, signature: signature.toLowerCase() };
}

/**
 * Lists read lately, by their text: a client signs the same one or two lists on every request, and reading one
 * (split, trim, lower-case, a pattern per name, a set) was a tenth of a signature check. Only valid lists are kept.
 */
const signedLists = new Map<string, readonly string[]>();
const SIGNED_LISTS_MAX = 64;
/** Each list parseSignedHeaders gave, with its canonical text (`a;b`): verifyTc3 takes these as already checked. */
const checkedLists = new WeakMap<readonly string[], string>();

function parseSignedHeaders(list: string): readonly string[] | null {
  const known = signedLists.get(list);
  if (known) return known;
  const names = list.split(';').map((n) => n.trim().toLowerCase());
  if (names.length > MAX_SIGNED_HEADERS) return null;
  if (names.some((n) => !HEADER_NAME.test(n)) || new Set(names).size !== names.length) return null;
  const frozen = Object.freeze(names);
  checkedLists.set(frozen, frozen.join(';'));
  if (signedLists.size >= SIGNED_LISTS_MAX) signedLists.delete(signedLists.keys().next().value as string);
  signedLists.set(list, frozen);
  return frozen;
}

/** Canonical URI is always `/` in API 3.0; the query is signed exactly as sent, never sorted or re-encoded. */
export function tc3CanonicalRequest(i: {
  method: string;
  rawQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  payloadHash: string;
}): string {
  return [i.method, '/', i.rawQuery, i.canonicalHeaders, i.signedHeaders, i.payloadHash].join('\n');
}

export function tc3StringToSign(
  timestamp: number | string,
  date: string,
  service: string,
  canonicalRequest: string,
): string {
  return [TC3_ALGORITHM, String(timestamp), `${date}/${service}/${TC3_TERMINATOR}`, sha256Hex(canonicalRequest)].join(
    '\n',
  );
}

export function deriveTc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  return hmacSha256(hmacSha256(hmacSha256(`TC3${secretKey}`, date), service), TC3_TERMINATOR);
}

export function tc3Signature(signingKey: Uint8Array, stringToSign: string): string {
  return hmacSha256(signingKey, stringToSign).toString('hex');
}

/**
 * `name:value\n` for each signed header, in the order listed. Values are trimmed but keep their casing: the Node,
 * Python and Go SDKs all sign the raw value, although the v3 doc says to lowercase it (the verifier tries both).
 */
export function tc3CanonicalHeaders(
  names: readonly string[],
  headerOf: (name: string) => string | undefined,
): string | null {
  let out = '';
  for (const name of names) {
    const value = headerOf(name);
    if (value === undefined) return null;
    out += `${name}:${value.trim()}\n`;
  }
  return out;
}

/**
 * Bounded cache of derived signing keys per (secretKey, date, service). A derived key is valid for one UTC day and
 * one service, so a busy caller derives it once a day. Map keys are a sha256 of the triple, never the secret itself.
 */
export class Tc3KeyCache {
  readonly #maxEntries: number;
  readonly #keys = new Map<string, Buffer>();
  #byOwner = new WeakMap<object, { secretKey: string; date: string; service: string; key: Buffer }>();

  constructor(maxEntries = 1024) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#keys.size;
  }

  /**
   * `owner`, when given, is the object the secret came with (the gateway's resolved key, itself cached): its derived
   * key is then found by identity, without hashing the triple on every request.
   */
  get(secretKey: string, date: string, service: string, owner?: object): Buffer {
    if (owner) {
      const mine = this.#byOwner.get(owner);
      if (mine && mine.date === date && mine.service === service && mine.secretKey === secretKey) return mine.key;
    }
    const key = this.#get(secretKey, date, service);
    if (owner) this.#byOwner.set(owner, { secretKey, date, service, key });
    return key;
  }

  #get(secretKey: string, date: string, service: string): Buffer {
    const id = sha256Hex(JSON.stringify([secretKey, date, service]));
    const hit = this.#keys.get(id);
    if (hit) {
      // Re-insert so that Map order is least-recently-used first.
      this.#keys.delete(id);
      this.#keys.set(id, hit);
      return hit;
    }
    const key = deriveTc3SigningKey(secretKey, date, service);
    this.#keys.set(id, key);
    while (this.#keys.size > this.#maxEntries) {
      const oldest = this.#keys.keys().next().value;
      if (oldest === undefined) break;
      this.#keys.delete(oldest);
    }
    return key;
  }

  clear(): void {
    this.#keys.clear();
    this.#byOwner = new WeakMap();
  }
}

export interface Tc3SignInput {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  method: 'GET' | 'POST';
  rawQuery: string;
  contentType: string;
  payload: string | Uint8Array;
  timestamp: number;
  unsignedPayload?: boolean;
  /** Defaults to `content-type;host`. */
  signedHeaders?: string[];
  /** Values of signed headers other than content-type and host (e.g. `X-TC-Action`); they are sent as well. */
  extraHeaders?: Record<string, string>;
}

export interface Tc3SignResult {
  authorization: string;
  signature: string;
  /** Authorization, X-TC-Timestamp, Content-Type, X-TC-Content-SHA256 when unsigned, and extraHeaders; never Host. */
  headers: Record<string, string>;
}

/** Client side, for `tcssl call` and tests. Throws on a signed header it has no value for (a programming error). */
export function signTc3(i: Tc3SignInput): Tc3SignResult {
  const names = (i.signedHeaders ?? DEFAULT_SIGNED_HEADERS).map((n) => n.trim().toLowerCase());
  const extra = new Map(Object.entries(i.extraHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const headers: Record<string, string> = { ...i.extraHeaders };
  headers['X-TC-Timestamp'] = String(i.timestamp);
  headers['Content-Type'] = i.contentType;
  if (i.unsignedPayload) headers['X-TC-Content-SHA256'] = UNSIGNED_PAYLOAD;

  const headerOf = (name: string): string | undefined => {
    if (name === 'content-type') return i.contentType;
    if (name === 'host') return i.host;
    if (extra.has(name)) return extra.get(name);
    if (name === 'x-tc-timestamp') return String(i.timestamp);
    if (name === 'x-tc-content-sha256' && i.unsignedPayload) return UNSIGNED_PAYLOAD;
    return undefined;
  };
  const canonicalHeaders = tc3CanonicalHeaders(names, headerOf);
  if (canonicalHeaders === null) throw new Error(`signTc3: no value for a signed header in ${names.join(';')}`);

  const date = tc3Date(i.timestamp);
  const signedHeaders = names.join(';');
  const canonicalRequest = tc3CanonicalRequest({
    method: i.method,
    rawQuery: i.rawQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash: sha256Hex(i.unsignedPayload ? UNSIGNED_PAYLOAD : i.payload),
  });
  const stringToSign = tc3StringToSign(i.timestamp, date, i.service, canonicalRequest);
  const signature = tc3Signature(deriveTc3SigningKey(i.secretKey, date, i.service), stringToSign);
  const authorization =
    `${TC3_ALGORITHM} Credential=${i.secretId}/${date}/${i.service}/${TC3_TERMINATOR}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  headers.Authorization = authorization;
  return { authorization, signature, headers };
}

/** Header names arrive in any casing (Go sends `X-Tc-Content-Sha256`); node lowercases them, other callers may not. */
function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  // node only makes arrays of repeatable headers (set-cookie); a signed header never is one, so refuse rather than guess.
  return typeof value === 'string' ? value : undefined;
}

/**
 * The Node SDK signs the hostname without the port but sends Host with it; Python, Go and tccli sign the Host
 * header as sent (tccli even with its `http://` scheme). So: the raw Host, then Host without a trailing `:port`.
 */
function hostVariants(rawHost: string): string[] {
  const host = rawHost.trim();
  const bare = host.replace(/:\d{1,5}$/, '');
  return bare === host || bare === '' ? [host] : [host, bare];
}

/**
 * `ssl`, or the first dot-label of the endpoint as the Node SDK (and old Python and .NET SDKs) compute it:
 * `127.0.0.1:9000` gives `127`, `localhost:9000` gives `localhost:9000` (the Node SDK keeps the port).
 */
function serviceAccepted(service: string, hosts: string[]): boolean {
  return service === 'ssl' || hosts.some((h) => h.split('.')[0] === service);
}

export interface Tc3VerifyInput {
  auth: Tc3Authorization;
  method: string;
  /** Raw query string exactly as sent, without '?', not re-encoded ('' for a POST without one). */
  rawQuery: string;
  /** node's incoming headers (lower-case names). */
  headers: IncomingHeaders;
  /** Raw body bytes. */
  body: Uint8Array;
  /** X-TC-Timestamp as sent. */
  timestamp: string;
  secretKey: string;
  keyCache?: Tc3KeyCache;
  /** the object the secret came with, for keyCache's lookup by identity */
  keyOwner?: object;
}

/**
 * Server side: true iff the signature verifies for one accepted (host, casing) variant, compared in constant time.
 * Never throws: any malformed piece gives false. Expiry (300 s) is the caller's check, not this one's.
 */
export function verifyTc3(i: Tc3VerifyInput): boolean {
  try {
    return verifyTc3Unsafe(i);
  } catch {
    return false;
  }
}

function verifyTc3Unsafe(i: Tc3VerifyInput): boolean {
  const { auth } = i;
  // The types say these are strings and bytes; a caller fed from untrusted JSON may not honour them.
  if (typeof i.method !== 'string' || typeof i.rawQuery !== 'string' || typeof i.secretKey !== 'string') return false;
  if (!(i.body instanceof Uint8Array)) return false;
  if (typeof auth?.signature !== 'string' || !SIGNATURE_HEX.test(auth.signature)) return false;
  if (typeof i.timestamp !== 'string' || !TIMESTAMP.test(i.timestamp)) return false;
  if (auth.date !== tc3Date(i.timestamp)) return false;
  // A list parseTc3Authorization gave is checked already; any other is read again, as untrusted.
  let names: readonly string[] | null | undefined = auth.signedHeaders;
  let signedHeaders = checkedLists.get(names);
  if (signedHeaders === undefined) {
    if (!Array.isArray(names)) return false;
    names = parseSignedHeaders(names.join(';'));
    if (!names) return false;
    signedHeaders = checkedLists.get(names) as string;
  }
  if (!names.includes('content-type') || !names.includes('host')) return false;

  const rawHost = headerValue(i.headers, 'host');
  if (rawHost === undefined) return false;
  const hosts = hostVariants(rawHost);
  if (typeof auth.service !== 'string' || !serviceAccepted(auth.service, hosts)) return false;

  const unsigned = headerValue(i.headers, 'x-tc-content-sha256')?.trim() === UNSIGNED_PAYLOAD;
  const payloadHash = sha256Hex(unsigned ? UNSIGNED_PAYLOAD : i.body);
  const signingKey = i.keyCache
    ? i.keyCache.get(i.secretKey, auth.date, auth.service, i.keyOwner)
    : deriveTc3SigningKey(i.secretKey, auth.date, auth.service);
  const expected = Buffer.from(auth.signature, 'hex');

  for (const host of hosts) {
    const canonical = tc3CanonicalHeaders(names, (n) => (n === 'host' ? host : headerValue(i.headers, n)));
    if (canonical === null) return false;
    // SDKs sign values as sent; a client written from the doc lowercases them.
    const casings = canonical.toLowerCase() === canonical ? [canonical] : [canonical, canonical.toLowerCase()];
    for (const canonicalHeaders of casings) {
      const canonicalRequest = tc3CanonicalRequest({
        method: i.method,
        rawQuery: i.rawQuery,
        canonicalHeaders,
        signedHeaders,
        payloadHash,
      });
      const stringToSign = tc3StringToSign(i.timestamp, auth.date, auth.service, canonicalRequest);
      const actual = hmacSha256(signingKey, stringToSign);
      if (actual.length === expected.length && timingSafeEqual(actual, expected)) return true;
    }
  }
  return false;
}
