// PKCS#10 CSRs: creating them for online orders, and parsing, checking and verifying uploaded ones (RFC 2986).
// Knows keys and ASN.1, not orders: whether the CSR's names fit the order is the caller's rule, not this file's.

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { DomainError, isDomainError } from '../errors.js';
import * as der from './der.js';
import { type EcCurve, type GeneratedKey, type KeyAlgorithm, RSA_MAX_BITS, RSA_MIN_BITS } from './keys.js';
import { toPem } from './pem.js';

export interface SubjectInfo {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  state?: string;
  country?: string;
}

export interface ParsedCsr {
  /** Normalised PEM: label CERTIFICATE REQUEST, 64-column base64. */
  pem: string;
  commonName: string | null;
  /** The subject's fields that are present (the first value of each). */
  subject: Partial<SubjectInfo>;
  /** SAN dNSNames, lowercased, in the CSR's order. Other SAN types are ignored. */
  dnsNames: string[];
  keyAlgorithm: KeyAlgorithm;
  rsaBits?: number;
  curve?: EcCurve;
  /** OpenSSL's name, e.g. 'sha256WithRSAEncryption', 'ecdsa-with-SHA256'. */
  signatureAlgorithm: string;
  publicKeyPem: string;
}

const FIELD = 'CsrContent';
const MAX_INPUT = 64 * 1024;

// Subject attributes: DN short name, OID, wire field (for createCsr's errors), RFC 5280 upper bound.
const ATTRS = [
  ['country', 'C', '2.5.4.6', 'OrganizationCountry', 2],
  ['state', 'ST', '2.5.4.8', 'OrganizationRegion', 128],
  ['locality', 'L', '2.5.4.7', 'OrganizationCity', 128],
  ['organization', 'O', '2.5.4.10', 'OrganizationName', 64],
  ['organizationalUnit', 'OU', '2.5.4.11', 'OrganizationDivision', 64],
  ['commonName', 'CN', '2.5.4.3', 'CertificateDomain', 64],
] as const;

/** signatureAlgorithm of the CSRs createCsr makes: sha256WithRSAEncryption (NULL parameters), ecdsa-with-SHA256. */
const RSA_SHA256 = der.seq(der.oid('1.2.840.113549.1.1.11'), der.NULL);
const ECDSA_SHA256 = der.seq(der.oid('1.2.840.10045.4.3.2'));

const SIG_OK: Record<string, { name: string; hash: string; key: KeyAlgorithm }> = {
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256', key: 'RSA' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384', key: 'RSA' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512', key: 'RSA' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256', key: 'ECC' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384', key: 'ECC' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512', key: 'ECC' },
};
const SIG_REFUSED: Record<string, [name: string, why: string]> = {
  '1.2.840.113549.1.1.2': ['md2WithRSAEncryption', 'MD2 signatures are refused'],
  '1.2.840.113549.1.1.3': ['md4WithRSAEncryption', 'MD4 signatures are refused'],
  '1.2.840.113549.1.1.4': ['md5WithRSAEncryption', 'MD5 signatures are refused'],
  '1.2.840.113549.1.1.5': ['sha1WithRSAEncryption', 'SHA-1 signatures are refused'],
  '1.3.14.3.2.29': ['sha1WithRSASignature', 'SHA-1 signatures are refused'],
  '1.2.840.10045.4.1': ['ecdsa-with-SHA1', 'SHA-1 signatures are refused'],
  '1.2.840.10040.4.3': ['dsa-with-SHA1', 'SHA-1 signatures are refused'],
  '1.2.840.113549.1.1.14': ['sha224WithRSAEncryption', 'SHA-224 is not supported'],
  '1.2.840.10045.4.3.1': ['ecdsa-with-SHA224', 'SHA-224 is not supported'],
  '1.2.840.113549.1.1.10': ['RSASSA-PSS', 'RSASSA-PSS signatures are not supported'],
};
const KEY_REFUSED: Record<string, string> = {
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.10046.2.1': 'Diffie-Hellman',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.156.10197.1.301': 'SM2',
};
const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.2.156.10197.1.301': 'SM2',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
};
const RSA_OID = '1.2.840.113549.1.1.1';
const EC_OID = '1.2.840.10045.2.1';
const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';
const SAN_OID = '2.5.29.17';

/** C0 controls and DEL: a NUL in a name is the classic way to make two programs read two different names. */
function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function invalid(reason: string): DomainError {
  return new DomainError('CsrInvalid', reason, FIELD);
}

/** Code points, not UTF-16 units: the subject limits of RFC 5280 count characters. */
function charLength(s: string): number {
  return [...s].length;
}

/**
 * Checks a CSR subject and its domains without a key, so a caller can refuse bad input before it spends a key.
 * Returns the relative distinguished names and the SAN list createCsr will use. A common name over 64 characters
 * (RFC 5280's bound) is left out of the subject: the name still travels in subjectAltName.
 */
export function checkCsrSubject(subject: SubjectInfo, domains: string[]) {
  const rdns: Record<string, { printableString?: string; utf8String?: string }[]>[] = [];
  for (const [prop, short, , field, max] of ATTRS) {
    const value = subject[prop]?.trim();
    if (!value) {
      if (prop === 'commonName') throw new DomainError('InvalidParam', 'the common name is empty', field);
      continue;
    }
    if (hasControlChars(value)) {
      throw new DomainError('InvalidParam', `${field} must not contain control characters`, field);
    }
    if (charLength(value) > max) {
      if (prop === 'commonName') continue;
      throw new DomainError(
        'InvalidParam',
        `${field} must be at most ${max} characters to fit the certificate subject (${short})`,
        field,
      );
    }
    if (prop === 'country' && !/^[A-Za-z]{2}$/.test(value)) {
      throw new DomainError('InvalidParam', 'OrganizationCountry must be a two-letter ISO 3166 code', field);
    }
    // PrintableString where it can (country must be), UTF8String otherwise (RFC 5280 4.1.2.4).
    const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
    rdns.push({
      [short]: [
        printable ? { printableString: prop === 'country' ? value.toUpperCase() : value } : { utf8String: value },
      ],
    });
  }
  const names: string[] = [];
  for (const d of [subject.commonName.trim(), ...domains]) {
    // dNSName is an IA5String: IDNs must arrive as A-labels (punycode).
    if (!/^[\x21-\x7e]{1,253}$/.test(d)) {
      throw new DomainError('InvalidParam', `domain ${JSON.stringify(d)} is not an ASCII domain name`, 'DomainList');
    }
    if (!names.some((n) => n.toLowerCase() === d.toLowerCase())) names.push(d);
  }
  return { rdns, names };
}

/**
 * Creates a CSR signed with SHA-256 whose SAN lists the CN and every domain (case-insensitively unique). Encoded here
 * and signed with node:crypto off the main thread: building it through x509's ASN.1 schemas and WebCrypto took about
 * ten times as long, which made online ECDSA Submits cost milliseconds each.
 */
export async function createCsr(i: { key: GeneratedKey; subject: SubjectInfo; domains: string[] }): Promise<string> {
  const { rdns, names } = checkCsrSubject(i.subject, i.domains);
  let key: KeyObject;
  try {
    key = i.key.privateKey ?? createPrivateKey(i.key.privateKeyPem);
  } catch {
    throw new DomainError('ParseError', 'the private key could not be read');
  }
  const algorithm = key.asymmetricKeyType === 'rsa' ? RSA_SHA256 : key.asymmetricKeyType === 'ec' ? ECDSA_SHA256 : null;
  if (!algorithm) throw new DomainError('Unsupported', `${key.asymmetricKeyType ?? 'unknown'} keys are not supported`);
  const subject = der.seq(
    ...rdns.map((rdn) => {
      const [short, [value]] = Object.entries(rdn)[0];
      const oidText = ATTRS.find((a) => a[1] === short)?.[2] as string;
      const text =
        value.printableString !== undefined
          ? der.tlv(0x13, Buffer.from(value.printableString, 'latin1'))
          : der.tlv(0x0c, Buffer.from(value.utf8String ?? '', 'utf8'));
      return der.set(der.seq(der.oid(oidText), text));
    }),
  );
  // dNSName is [2] IMPLICIT IA5String; the SAN travels in an extensionRequest attribute (PKCS#9).
  const san = der.seq(...names.map((n) => der.tlv(0x82, Buffer.from(n, 'latin1'))));
  const extensions = der.seq(der.seq(der.oid('2.5.29.17'), der.tlv(0x04, san)));
  const attributes = der.tlv(0xa0, der.seq(der.oid('1.2.840.113549.1.9.14'), der.set(extensions)));
  // The SPKI is the public PEM's body: base64, not another trip through OpenSSL's encoders.
  const spki = Buffer.from(i.key.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const info = der.seq(der.tlv(0x02, Buffer.of(0)), subject, spki, attributes);
  const signature = await new Promise<Buffer>((resolve, reject) => {
    sign('sha256', info, key, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
  return toPem(
    'CERTIFICATE REQUEST',
    der.seq(info, algorithm, der.tlv(0x03, Buffer.concat([Buffer.of(0), signature]))),
  );
}

/**
 * CSRs parsed lately, by the SHA-256 of their text. Parsing is a pure function of the text, and the same CSR comes
 * back often (a Submit retried or repeated while the order waits, the issuance that follows it): the key import, its
 * checks and the signature verification then run once. Results are frozen, as several callers share them.
 */
const parsed = new Map<string, ParsedCsr>();
const PARSED_MAX = 256;

/** Parses and checks an uploaded CSR; every refusal is DomainError('CsrInvalid', reason, 'CsrContent'). */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  const id =
    typeof pem === 'string' && pem.length <= MAX_INPUT ? createHash('sha256').update(pem).digest('base64') : '';
  const hit = id && parsed.get(id);
  if (hit) return hit;
  let csr: ParsedCsr;
  try {
    csr = await parseCsrUnchecked(pem);
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw invalid('the CSR could not be parsed');
  }
  Object.freeze(csr.subject);
  Object.freeze(csr.dnsNames);
  Object.freeze(csr);
  if (id) {
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
    parsed.set(id, csr);
  }
  return csr;
}

async function parseCsrUnchecked(pem: string): Promise<ParsedCsr> {
  if (typeof pem !== 'string') throw invalid('the CSR is not text');
  if (pem.length > MAX_INPUT || Buffer.byteLength(pem) > MAX_INPUT) throw invalid('the CSR is larger than 64 KiB');
  if (pem.trim() === '') throw invalid('the CSR is empty');
  const der = pemToDer(pem);
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw invalid('the CSR is not one DER SEQUENCE');
  const [info, sigAlg, sigBits, ...extra] = children(der, outer);
  if (info?.tag !== 0x30 || sigAlg?.tag !== 0x30 || sigBits?.tag !== 0x03 || extra.length) {
    throw invalid('the CSR does not have the PKCS#10 structure');
  }
  const [version, subject, spki, attrs, ...more] = children(der, info);
  if (version?.tag !== 0x02 || !body(der, version).equals(Buffer.of(0)) || subject?.tag !== 0x30) {
    throw invalid('the CSR is not a version 1 PKCS#10 request');
  }
  if (spki?.tag !== 0x30 || (attrs && attrs.tag !== 0xa0) || more.length) {
    throw invalid('the CSR does not have the PKCS#10 structure');
  }

  const key = checkPublicKey(der, spki);
  const sigOid = oid(der, children(der, sigAlg)[0]);
  const refused = SIG_REFUSED[sigOid];
  if (refused) {
    throw invalid(`the CSR is signed with ${refused[0]}: ${refused[1]}; sign it with SHA-256, SHA-384 or SHA-512`);
  }
  const sig = SIG_OK[sigOid];
  if (!sig) throw invalid(`the CSR's signature algorithm ${sigOid} is not supported`);
  if (sig.key !== key.keyAlgorithm) {
    throw invalid(`the signature algorithm ${sig.name} does not match the ${key.keyAlgorithm} key`);
  }

  const subjectFields = readSubject(der, subject);
  const dnsNames = attrs ? readSanDnsNames(der, attrs) : [];
  const sigBody = body(der, sigBits);
  if (sigBody.length < 2 || sigBody[0] !== 0) throw invalid('the CSR signature is malformed');
  const tbs = der.subarray(info.start, info.end);
  const ok = await new Promise<boolean>((resolve) => {
    verify(sig.hash, tbs, key.object, sigBody.subarray(1), (err, result) => resolve(!err && result));
  });
  if (!ok) throw invalid('the CSR signature does not verify');

  return {
    pem: toPem('CERTIFICATE REQUEST', der),
    commonName: subjectFields.commonName ?? null,
    subject: subjectFields,
    dnsNames,
    keyAlgorithm: key.keyAlgorithm,
    ...(key.rsaBits !== undefined ? { rsaBits: key.rsaBits } : {}),
    ...(key.curve !== undefined ? { curve: key.curve } : {}),
    signatureAlgorithm: sig.name,
    publicKeyPem: key.object.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * True if the private key is the other half of the public key (SPKI PEM, or a certificate PEM, whose key node
 * extracts). Throws DomainError('ParseError') if either cannot be read.
 */
export function matchesPrivateKey(certOrCsrPublicKeyPem: string, privateKeyPem: string): boolean {
  let pub: Buffer;
  let fromPriv: Buffer;
  try {
    pub = createPublicKey(certOrCsrPublicKeyPem).export({ type: 'spki', format: 'der' });
  } catch {
    throw new DomainError('ParseError', 'the public key or certificate could not be read', 'CertificatePublicKey');
  }
  try {
    fromPriv = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  } catch {
    throw new DomainError(
      'ParseError',
      'the private key could not be read (is it encrypted?)',
      'CertificatePrivateKey',
    );
  }
  return pub.equals(fromPriv);
}

function checkPublicKey(
  der: Buffer,
  spki: Tlv,
): { object: KeyObject; keyAlgorithm: KeyAlgorithm; rsaBits?: number; curve?: EcCurve } {
  const [alg] = children(der, spki);
  if (alg?.tag !== 0x30) throw invalid('the CSR public key is malformed');
  const [algOid, params] = children(der, alg);
  const keyOid = oid(der, algOid);
  if (KEY_REFUSED[keyOid]) {
    throw invalid(`${KEY_REFUSED[keyOid]} keys are not supported; use RSA 2048-8192 or ECDSA P-256/P-384`);
  }
  let curve: EcCurve | undefined;
  if (keyOid === EC_OID) {
    if (params?.tag !== 0x06) throw invalid('EC keys with explicit curve parameters are not supported');
    const curveOid = oid(der, params);
    const name = CURVES[curveOid] ?? `curve ${curveOid}`;
    if (name !== 'P-256' && name !== 'P-384') {
      throw invalid(
        `${name === 'SM2' ? name : `ECDSA ${name}`} keys are not supported; use ECDSA P-256 or P-384, or RSA`,
      );
    }
    curve = name;
  } else if (keyOid !== RSA_OID) {
    throw invalid(`the public key algorithm ${keyOid} is not supported; use RSA or ECDSA`);
  }
  let object: KeyObject;
  try {
    object = createPublicKey({ key: der.subarray(spki.start, spki.end), format: 'der', type: 'spki' });
  } catch {
    throw invalid('the CSR public key is malformed');
  }
  if (curve) return { object, keyAlgorithm: 'ECC', curve };
  const bits = object.asymmetricKeyDetails?.modulusLength ?? 0;
  const exponent = object.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw invalid(`RSA ${bits}-bit keys are not supported; use ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits`);
  }
  if (exponent < 3n || exponent % 2n === 0n) throw invalid('the RSA public exponent must be odd and at least 3');
  return { object, keyAlgorithm: 'RSA', rsaBits: bits };
}

function readSubject(der: Buffer, name: Tlv): Partial<SubjectInfo> {
  const out: Partial<SubjectInfo> = {};
  for (const rdn of children(der, name)) {
    if (rdn.tag !== 0x31) throw invalid('the CSR subject is malformed');
    for (const atv of children(der, rdn)) {
      const [type, value] = atv.tag === 0x30 ? children(der, atv) : [];
      if (!value) throw invalid('the CSR subject is malformed');
      const attr = ATTRS.find((a) => a[2] === oid(der, type));
      if (!attr || out[attr[0]] !== undefined) continue;
      const text = decodeString(der, value);
      if (text === null) continue;
      if (hasControlChars(text)) throw invalid(`the CSR subject ${attr[1]} contains control characters`);
      out[attr[0]] = text;
    }
  }
  return out;
}

function readSanDnsNames(der: Buffer, attrs: Tlv): string[] {
  let san: Tlv | undefined;
  for (const attr of children(der, attrs)) {
    const [type, values] = attr.tag === 0x30 ? children(der, attr) : [];
    if (values?.tag !== 0x31) throw invalid('the CSR attributes are malformed');
    if (oid(der, type) !== EXTENSION_REQUEST_OID) continue;
    for (const exts of children(der, values)) {
      if (exts.tag !== 0x30) throw invalid('the CSR extension request is malformed');
      for (const ext of children(der, exts)) {
        const parts = ext.tag === 0x30 ? children(der, ext) : [];
        const octets = parts[parts.length - 1];
        if (parts.length < 2 || octets.tag !== 0x04) throw invalid('a CSR extension is malformed');
        if (oid(der, parts[0]) !== SAN_OID) continue;
        if (san) throw invalid('the CSR has more than one subjectAltName extension');
        san = octets;
      }
    }
  }
  if (!san) return [];
  const inner = body(der, san);
  const seq = readTlv(inner, 0);
  if (seq.tag !== 0x30 || seq.end !== inner.length) throw invalid('the CSR subjectAltName is malformed');
  const names: string[] = [];
  for (const gn of children(inner, seq)) {
    if (gn.tag !== 0x82) continue; // [2] dNSName; IP addresses, emails and the rest are not ours to read
    const name = body(inner, gn).toString('latin1');
    if (!/^[\x21-\x7e]+$/.test(name)) throw invalid('a CSR dNSName is empty or not printable ASCII');
    names.push(name.toLowerCase());
  }
  return names;
}

// --- a minimal strict DER reader: just what a CSR needs, so every malformed byte becomes a CsrInvalid ---

interface Tlv {
  tag: number;
  start: number;
  bodyStart: number;
  end: number;
}

function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw invalid('the CSR DER is truncated');
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw invalid('the CSR DER uses an unexpected tag');
  let len = buf[pos + 1];
  let bodyStart = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw invalid('the CSR DER has an indefinite or oversized length');
    if (bodyStart + n > limit) throw invalid('the CSR DER is truncated');
    len = buf.readUIntBE(bodyStart, n);
    bodyStart += n;
  }
  const end = bodyStart + len;
  if (end > limit) throw invalid('the CSR DER is truncated');
  return { tag, start: pos, bodyStart, end };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw invalid('the CSR DER has a primitive value where a structure belongs');
  const out: Tlv[] = [];
  for (let pos = parent.bodyStart; pos < parent.end; pos = out[out.length - 1].end)
    out.push(readTlv(buf, pos, parent.end));
  return out;
}

function body(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.bodyStart, t.end);
}

function oid(buf: Buffer, t: Tlv | undefined): string {
  if (t?.tag !== 0x06 || t.end === t.bodyStart) throw invalid('the CSR has a malformed object identifier');
  const parts: bigint[] = [];
  let acc = 0n;
  for (const byte of body(buf, t)) {
    acc = (acc << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(acc);
      acc = 0n;
    }
  }
  if (buf[t.end - 1] & 0x80) throw invalid('the CSR has a malformed object identifier');
  const first = parts[0] < 80n ? parts[0] / 40n : 2n;
  return [first, parts[0] - first * 40n, ...parts.slice(1)].join('.');
}

/** The text of a DirectoryString-like value, or null for a type we do not read. */
function decodeString(buf: Buffer, t: Tlv): string | null {
  const b = body(buf, t);
  switch (t.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1 as most software does
      return b.toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      if (b.length % 2) throw invalid('the CSR subject has a malformed BMPString');
      return Buffer.from(b).swap16().toString('utf16le');
    default:
      return null;
  }
}

function pemToDer(pem: string): Buffer {
  const lines = pem
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim());
  const label = /^-----BEGIN ((?:NEW )?CERTIFICATE REQUEST)-----$/.exec(lines[0])?.[1];
  if (!label) throw invalid('the CSR is not a PEM "BEGIN CERTIFICATE REQUEST" block');
  if (lines[lines.length - 1] !== `-----END ${label}-----` || lines.length < 3) {
    throw invalid('the CSR PEM block does not end with its END line, or has text after it');
  }
  const b64 = lines.slice(1, -1).join('');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4) throw invalid('the CSR PEM body is not base64');
  const der = Buffer.from(b64, 'base64');
  if (der.toString('base64') !== b64) throw invalid('the CSR PEM body is not base64');
  return der;
}
