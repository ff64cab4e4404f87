// Owns signature v1 (HmacSHA1 / HmacSHA256): the string to sign, shared by the client signer and the server verifier.
// Knows nothing of HTTP parsing, accounts or wire error codes: callers pass decoded parameters and get a boolean.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type V1Method = 'HmacSHA1' | 'HmacSHA256';

const DIGESTS: Record<V1Method, { algorithm: string; bytes: number }> = {
  HmacSHA1: { algorithm: 'sha1', bytes: 20 },
  HmacSHA256: { algorithm: 'sha256', bytes: 32 },
};
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function isV1Method(value: unknown): value is V1Method {
  return value === 'HmacSHA1' || value === 'HmacSHA256';
}

/** Byte order of the UTF-8 names, as Go's sort.Strings and Python's sorted() give; JS sort() differs past U+FFFF. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The names in UTF-8 byte order. That is code point order, which JS's own sort (UTF-16 code units) gives too unless a
 * name holds a character past U+FFFF (a surrogate pair sorts below U+E000-U+FFFF in UTF-16, above in UTF-8); only then
 * are the names encoded to compare. Encoding every pair compared was most of a v1 signature check: a Submit's thirty
 * parameters took about a hundred comparisons, two buffers each.
 */
function byteOrder(names: string[]): string[] {
  return names.some((n) => SURROGATE.test(n)) ? names.sort(compareBytes) : names.sort();
}

/**
 * METHOD + host + path + '?' + every parameter except Signature, sorted by name, joined `k=v` with `&`. Values are
 * the decoded values, never URL-encoded; empty values are kept (Go signs `Region=` even when empty).
 */
export function v1StringToSign(method: string, host: string, path: string, params: Record<string, string>): string {
  const names = byteOrder(Object.keys(params).filter((k) => k !== 'Signature'));
  return `${method}${host}${path}?${names.map((k) => `${k}=${params[k]}`).join('&')}`;
}

function hmac(method: V1Method, secretKey: string, message: string): Buffer {
  return createHmac(DIGESTS[method].algorithm, secretKey).update(message, 'utf8').digest();
}

/** Client side: the base64 signature. `params` should already carry SignatureMethod when it is not HmacSHA1. */
export function signV1(i: {
  method: 'GET' | 'POST';
  host: string;
  path: string;
  params: Record<string, string>;
  secretKey: string;
  signatureMethod: V1Method;
}): string {
  return hmac(i.signatureMethod, i.secretKey, v1StringToSign(i.method, i.host, i.path, i.params)).toString('base64');
}

/** Strict base64 of exactly `bytes` bytes, or null. */
function decodeSignature(value: string, bytes: number): Buffer | null {
  // A client that forgets to URL-encode the signature has its '+' decoded to ' '; no valid base64 holds a space.
  const b64 = value.replaceAll(' ', '+');
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return null;
  const decoded = Buffer.from(b64, 'base64');
  // Canonical only: node ignores the unused low bits of the last character, so two spellings decode alike.
  return decoded.length === bytes && decoded.toString('base64') === b64 ? decoded : null;
}

/**
 * Server side. `params` are the decoded parameters including Signature and SignatureMethod (absent means HmacSHA1).
 * Tries the Host as sent (what every SDK signs: its endpoint, port included) and the Host without its port.
 * An unknown SignatureMethod, a missing or malformed Signature, or any hostile input gives false; it never throws.
 */
export function verifyV1(i: {
  method: string;
  host: string;
  path: string;
  params: Record<string, string>;
  secretKey: string;
}): boolean {
  try {
    return verifyV1Unsafe(i);
  } catch {
    return false;
  }
}

function verifyV1Unsafe(i: {
  method: string;
  host: string;
  path: string;
  params: Record<string, string>;
  secretKey: string;
}): boolean {
  const { params } = i;
  if (typeof params !== 'object' || params === null) return false;
  if (Object.values(params).some((v) => typeof v !== 'string')) return false;
  const method = Object.hasOwn(params, 'SignatureMethod') ? params.SignatureMethod : 'HmacSHA1';
  if (!isV1Method(method) || !Object.hasOwn(params, 'Signature')) return false;
  const expected = decodeSignature(params.Signature, DIGESTS[method].bytes);
  if (!expected || typeof i.host !== 'string') return false;

  const host = i.host.trim();
  const bare = host.replace(/:\d{1,5}$/, '');
  const hosts = bare === host || bare === '' ? [host] : [host, bare];
  for (const h of hosts) {
    const actual = hmac(method, i.secretKey, v1StringToSign(i.method, h, i.path, params));
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return true;
  }
  return false;
}
