// Reading X.509 certificates someone else made (uploads) or we made (downloads, describe): PEM chains split
// into blocks, and the facts the API shows about a certificate. Parses only; trusts and verifies nothing.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Extension, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import type * as X509 from '@peculiar/x509';
import { DomainError } from '../errors.js';
import { loadX509 } from './keys.js';
import { toPem } from './pem.js';

export interface CertificateInfo {
  /** Lowercase hex of the serial's DER INTEGER content (a leading 00 kept only when the value needs it). */
  serialHex: string;
  /** Epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  /** The subject's first CN, or null when the subject has none. */
  subjectCN: string | null;
  /** RFC 4514-style subject, e.g. 'CN=www.example.com, O=Example'. */
  subjectDn: string;
  /** SAN dNSNames, lowercased, in the certificate's order; other name types are left out. */
  sans: string[];
  issuerDn: string;
  /** 'other' for keys the service does not issue for (Ed25519, DSA, SM2, ...). */
  keyType: 'RSA' | 'ECC' | 'other';
  rsaBits?: number;
  /** 'P-256', 'P-384', or OpenSSL's name of another curve. */
  curve?: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** Lowercase hex without separators, over the DER certificate. */
  fingerprintSha1: string;
  fingerprintSha256: string;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  /** The certificate re-encoded as PEM (64-column base64). */
  pem: string;
}

const FIELD = 'CertificatePublicKey';
const MAX_INPUT = 1024 * 1024;
const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function parseError(reason: string): DomainError {
  return new DomainError('ParseError', reason, FIELD);
}

export function derToCertificatePem(der: Uint8Array): string {
  return toPem('CERTIFICATE', der);
}

/**
 * Every CERTIFICATE block in the text, in order, each re-encoded as normalised PEM. Text between blocks (openssl's
 * "subject=" lines, Bag Attributes) is ignored, as openssl ignores it; a block whose body is not base64 is a
 * ParseError. No blocks gives [].
 */
export function splitPemChain(text: string): string[] {
  if (typeof text !== 'string') throw parseError('the certificate is not text');
  if (text.length > MAX_INPUT) throw parseError('the certificate text is larger than 1 MiB');
  const out: string[] = [];
  for (const m of text.matchAll(BLOCK)) out.push(derToCertificatePem(base64Body(m[1])));
  return out;
}

function base64Body(body: string): Buffer {
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4) throw parseError('a certificate PEM body is not base64');
  return Buffer.from(b64, 'base64');
}

/** The DER of the first CERTIFICATE block; ParseError if there is none. */
export function certificatePemToDer(pem: string): Buffer {
  if (typeof pem !== 'string') throw parseError('the certificate is not text');
  if (pem.length > MAX_INPUT) throw parseError('the certificate text is larger than 1 MiB');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw parseError('no PEM "BEGIN CERTIFICATE" block found');
  const der = base64Body(m[1]);
  if (!wholeDerSequence(der)) throw parseError('the certificate DER is malformed');
  return der;
}

/** True if der is exactly one definite-length SEQUENCE: asn1js would otherwise accept trailing bytes. */
function wholeDerSequence(der: Buffer): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  let len = der[1];
  let start = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || der.length < 2 + n) return false;
    len = der.readUIntBE(2, n);
    start += n;
  }
  return start + len === der.length;
}

/** Lowercase hex of the serial's DER INTEGER content, read from a certificate's DER. */
export function serialHexOfDer(der: Uint8Array): string {
  return Buffer.from(AsnConvert.parse(der, Certificate).tbsCertificate.serialNumber).toString('hex');
}

/**
 * Facts about the first certificate in pem (a chain's leaf). Anything unreadable is
 * DomainError('ParseError', reason, 'CertificatePublicKey').
 */
export async function parseCertificatePem(pem: string): Promise<CertificateInfo> {
  const der = certificatePemToDer(pem);
  const x509 = await loadX509();
  let cert: X509.X509Certificate;
  let subjectCN: string | null;
  let subjectDn: string;
  let issuerDn: string;
  let notBefore: number;
  let notAfter: number;
  let serialHex: string;
  let isCa: boolean;
  let sans: string[];
  try {
    cert = new x509.X509Certificate(der);
    subjectDn = cert.subject;
    issuerDn = cert.issuer;
    subjectCN = cert.subjectName.getField('CN')[0] ?? null;
    notBefore = cert.notBefore.getTime();
    notAfter = cert.notAfter.getTime();
    const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
    serialHex = Buffer.from(tbs.serialNumber).toString('hex');
    const exts = tbs.extensions ?? [];
    const bc = exts.find((e) => e.extnID === '2.5.29.19');
    isCa = bc ? new x509.BasicConstraintsExtension(AsnConvert.serialize(bc)).ca : false;
    sans = readSans(exts);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw parseError('the certificate could not be parsed');
  }
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter))
    throw parseError('the certificate validity is malformed');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: derToCertificatePem(der), format: 'pem' });
  } catch {
    throw parseError("the certificate's public key could not be read");
  }
  return {
    serialHex,
    notBefore,
    notAfter,
    subjectCN,
    subjectDn,
    sans,
    issuerDn,
    ...keyFacts(key),
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprintSha1: createHash('sha1').update(der).digest('hex'),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    isCa,
    pem: derToCertificatePem(der),
  };
}

function keyFacts(key: KeyObject): Pick<CertificateInfo, 'keyType' | 'rsaBits' | 'curve'> {
  if (key.asymmetricKeyType === 'rsa') return { keyType: 'RSA', rsaBits: key.asymmetricKeyDetails?.modulusLength };
  if (key.asymmetricKeyType === 'ec') {
    const named = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const curve = CURVE_NAMES[named] ?? named;
    return curve === 'P-256' || curve === 'P-384' ? { keyType: 'ECC', curve } : { keyType: 'other', curve };
  }
  return { keyType: 'other' };
}

// The SAN is read with the ASN.1 schema, not x509's GeneralName, which throws on name types it cannot show
// (x400Address, ediPartyName): an upload carrying one is still a certificate we can describe.
function readSans(exts: Extension[]): string[] {
  const ext = exts.find((e) => e.extnID === id_ce_subjectAltName);
  if (!ext) return [];
  const names = AsnConvert.parse(ext.extnValue.buffer, SubjectAlternativeName);
  // Array.from: the schema's list is an Array subclass, which filter and map would carry along.
  return Array.from(names)
    .filter((n) => n.dNSName !== undefined)
    .map((n) => String(n.dNSName).toLowerCase());
}
