// Certificate revocation lists (RFC 5280 §5): one signed v2 CRL per issuing CA, as DER, from the list it is given,
// and the issuer helpers (its DER subject, key hash, signer) that ocsp.ts shares. Knows no storage and no HTTP.

import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  Certificate,
  CertificateList,
  CRLNumber,
  CRLReason,
  Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  Name,
  RevokedCertificate,
  SubjectKeyIdentifier,
  TBSCertList,
  Time,
  Version,
} from '@peculiar/asn1-x509';
import { DomainError } from '../errors.js';

export interface RevokedEntry {
  /** The certificate's serial, hex in any case; leading zeros are ignored. */
  serialHex: string;
  /** When it was revoked, ms since the epoch. */
  revokedAt: number;
  /** RFC 5280 CRLReason code (0-6, 8-10); omitted or 0 means unspecified, and then no reasonCode is written. */
  reason?: number;
}

export interface BuildCrlInput {
  issuerCertPem: string;
  /** The issuer's private key, PKCS#8 PEM (node also reads PKCS#1 / SEC1). */
  issuerKeyPem: string;
  /** Monotonically increasing per issuer (RFC 5280 §5.2.3); a non-negative safe integer. */
  crlNumber: number;
  /** ms since the epoch; written at second precision, as X.509 times are. */
  thisUpdate: number;
  nextUpdate: number;
  revoked: RevokedEntry[];
}

/** Builds and signs a v2 CRL (DER) carrying the AKI and CRL number extensions and a reasonCode per entry. */
export async function buildCrl(i: BuildCrlInput): Promise<Uint8Array> {
  if (!Number.isSafeInteger(i.crlNumber) || i.crlNumber < 0) {
    throw new DomainError('InvalidParam', 'the CRL number must be a non-negative integer');
  }
  const thisUpdate = toSecond(i.thisUpdate, 'thisUpdate');
  const nextUpdate = toSecond(i.nextUpdate, 'nextUpdate');
  if (nextUpdate <= thisUpdate) throw new DomainError('InvalidParam', 'nextUpdate must be after thisUpdate');
  const issuer = readIssuerCert(i.issuerCertPem);
  const signer = createIssuerSigner(issuer, i.issuerKeyPem);

  const entries = i.revoked.map((r) => {
    const reason = reasonToWrite(r.reason);
    return new RevokedCertificate({
      userCertificate: serialToInteger(r.serialHex),
      revocationDate: new Time(toSecond(r.revokedAt, 'revokedAt')),
      crlEntryExtensions: reason ? [extension(id_ce_cRLReasons, new CRLReason(reason))] : undefined,
    });
  });
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signer.algorithm,
    issuer: AsnConvert.parse(issuer.subjectDer, Name),
    thisUpdate: new Time(thisUpdate),
    nextUpdate: new Time(nextUpdate),
    // §5.1.2.6: with nothing revoked the list MUST be absent, not empty.
    revokedCertificates: entries.length ? entries : undefined,
    crlExtensions: [
      extension(
        id_ce_authorityKeyIdentifier,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyIdentifier) }),
      ),
      extension(id_ce_cRLNumber, new CRLNumber(i.crlNumber)),
    ],
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  const crl = new CertificateList({ tbsCertList: tbs, signatureAlgorithm: signer.algorithm, signature: ab(signature) });
  return new Uint8Array(AsnConvert.serialize(crl));
}

// ---- Shared with ocsp.ts: the issuing CA as both files need it. Not for use outside pki/. ----

export interface IssuerCert {
  /** The DER of the certificate's subject Name, exactly as in the certificate (OCSP hashes these bytes). */
  subjectDer: Uint8Array;
  /** The subjectPublicKey BIT STRING's value, without tag, length or unused-bits octet (RFC 6960 §4.1.1). */
  subjectPublicKey: Uint8Array;
  /** The SKI extension's value, or the SHA-1 of subjectPublicKey when absent (RFC 5280 §4.2.1.2, method 1). */
  keyIdentifier: Uint8Array;
  /** The whole certificate, DER. */
  der: Uint8Array;
}

/** Reads what CRLs and OCSP need from the issuer's certificate; an unreadable one is DomainError('ParseError'). */
export function readIssuerCert(certPem: string): IssuerCert {
  const der = pemToDer(certPem, 'CERTIFICATE');
  try {
    const cert = AsnConvert.parse(der, Certificate);
    const tbs = cert.tbsCertificate;
    // The subject as the certificate encodes it: re-serialising a parsed Name could change string types or SET order.
    const subjectDer = rawSubject(new Uint8Array(cert.tbsCertificateRaw ?? AsnConvert.serialize(tbs)));
    const subjectPublicKey = new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey);
    const ski = tbs.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
    const keyIdentifier = ski
      ? new Uint8Array(AsnConvert.parse(ski.extnValue, SubjectKeyIdentifier).buffer)
      : new Uint8Array(createHash('sha1').update(subjectPublicKey).digest());
    return { subjectDer, subjectPublicKey, keyIdentifier, der };
  } catch {
    throw new DomainError('ParseError', 'the issuer certificate could not be read');
  }
}

export interface IssuerSigner {
  /** sha256WithRSAEncryption for RSA; ecdsa-with-SHA256 for P-256 and ecdsa-with-SHA384 for P-384. */
  algorithm: AlgorithmIdentifier;
  /** The signature value over `data` (DER Ecdsa-Sig-Value for EC), computed on libuv's threadpool. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A signer for the issuer's key; refuses a key that is not the certificate's (Mismatch) or not RSA / P-256 / P-384. */
export function createIssuerSigner(issuer: IssuerCert, keyPem: string): IssuerSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new DomainError('ParseError', 'the issuer private key could not be read');
  }
  if (!new X509Certificate(issuer.der).checkPrivateKey(key)) {
    throw new DomainError('Mismatch', 'the issuer key does not match its certificate');
  }
  let hash: 'sha256' | 'sha384';
  let algorithm: AlgorithmIdentifier;
  if (key.asymmetricKeyType === 'rsa') {
    hash = 'sha256';
    // RFC 4055 §5: the RSA PKCS#1 v1.5 identifiers carry NULL parameters.
    algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null });
  } else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    hash = 'sha256';
    algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }); // RFC 5758 §3.2: no parameters
  } else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') {
    hash = 'sha384';
    algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' });
  } else {
    throw new DomainError('Unsupported', 'issuer keys must be RSA, P-256 or P-384');
  }
  return {
    algorithm,
    sign: (data) =>
      new Promise((resolve, reject) =>
        sign(hash, data, key, (err, sig) => (err ? reject(err) : resolve(new Uint8Array(sig)))),
      ),
  };
}

/** Lowercase hex of the serial's value without leading zero bytes ('00' for zero); InvalidParam if not hex. */
export function normalizeSerialHex(serialHex: string): string {
  if (!/^[0-9a-fA-F]{1,80}$/.test(serialHex))
    throw new DomainError('InvalidParam', 'a serial must be 1-40 bytes of hex');
  const hex = serialHex.toLowerCase().replace(/^0+/, '');
  if (!hex) return '00';
  return hex.length % 2 ? `0${hex}` : hex;
}

/** X.509 times carry whole seconds (RFC 5280 §4.1.2.5.2 forbids fractions); anything else is a caller's bug. */
export function toSecond(ms: number, what: string): Date {
  if (!Number.isFinite(ms) || ms < 0) throw new DomainError('InvalidParam', `${what} must be a time in ms`);
  return new Date(Math.floor(ms / 1000) * 1000);
}

export function pemToDer(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new DomainError('ParseError', `expected a PEM ${label}`);
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

/** A copy of a view's bytes as the standalone ArrayBuffer asn1-schema wants (a Buffer's .buffer is a shared pool). */
export function ab(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** The INTEGER content octets of a positive serial: a 00 is prepended when the top bit would make it negative. */
export function serialToInteger(serialHex: string): ArrayBuffer {
  const hex = normalizeSerialHex(serialHex);
  return ab(Buffer.from(/^[89a-f]/.test(hex) ? `00${hex}` : hex, 'hex'));
}

/**
 * A CRLReason code to write, or undefined for none: RFC 5280 §5.3.1 says the reason SHOULD be absent rather than
 * unspecified (0), and OCSP follows suit. Codes outside 0-10, and the unused 7, are InvalidParam.
 */
export function reasonToWrite(reason: number | undefined): number | undefined {
  if (reason === undefined || reason === 0) return undefined;
  if (!Number.isInteger(reason) || reason < 0 || reason > 10 || reason === 7) {
    throw new DomainError('InvalidParam', `${reason} is not an RFC 5280 CRLReason code`);
  }
  return reason;
}

function extension(extnID: string, value: unknown): Extension {
  return new Extension({ extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

// Walks TBSCertificate's fields by their DER headers: [0] version, serial, signature, issuer, validity, subject.
function rawSubject(tbs: Uint8Array): Uint8Array {
  const outer = derHeader(tbs, 0);
  let at = outer.contentStart;
  if (tbs[at] === 0xa0) at = derHeader(tbs, at).end;
  for (let skip = 0; skip < 4; skip++) at = derHeader(tbs, at).end;
  return tbs.slice(at, derHeader(tbs, at).end);
}

/** The DER tag-length header at `at`: where the content starts and where the element ends. Definite lengths only. */
export function derHeader(der: Uint8Array, at: number): { tag: number; contentStart: number; end: number } {
  if (at + 2 > der.length) throw new RangeError('DER: truncated header');
  const tag = der[at];
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER: multi-byte tags are not expected here');
  let len = der[at + 1];
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || contentStart + n > der.length) throw new RangeError('DER: bad length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + der[contentStart + k];
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > der.length) throw new RangeError('DER: truncated content');
  return { tag, contentStart, end };
}
