// The OCSP protocol (RFC 6960) as pure functions: read a request (POST body or GET path), check that a CertID names
// an issuer, and build the response that issuer signs. Knows no storage and no HTTP: the route looks statuses up.

import { createHash } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, CRLReason, Extension } from '@peculiar/asn1-x509';
import { DomainError } from '../errors.js';
import {
  ab,
  createIssuerSigner,
  derHeader,
  type IssuerCert,
  normalizeSerialHex,
  readIssuerCert,
  reasonToWrite,
  serialToInteger,
  toSecond,
} from './crl.js';

/** Most CertIDs one request may ask about; more is a malformedRequest (clients send one, rarely a few). */
export const MAX_CERT_IDS = 10;
/** Largest request read, in bytes: ten CertIDs take about 1 KiB, a signed request with its chain a few KiB. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** RFC 8954 §2.1: a nonce is 1 to 32 octets, and a responder MUST reject others with malformedRequest. */
const MAX_NONCE_BYTES = 32;

// asn1js spends ~10 µs per element, so a 16 KiB request of empty SEQUENCEs cost ~0.5 s before these bounds. Ten
// CertIDs with a nonce take ~100 elements and a signed request with its chain some hundreds; OCTET STRINGs are not
// searched for nested DER (parseEmbedded), which would parse an extension's payload a second time.
const BER_LIMITS = { maxDepth: 20, maxNodes: 512, parseEmbedded: false };

const HASH_OID = { sha1: '1.3.14.3.2.26', sha256: '2.16.840.1.101.3.4.2.1' } as const;
const HASH_LEN = { sha1: 20, sha256: 32 } as const;

/** The request cannot be read: the route answers malformedRequest. Its detail never quotes the request's bytes. */
export class OcspRequestError extends DomainError {
  constructor(detail: string) {
    super('InvalidParam', detail);
    this.name = 'OcspRequestError';
  }
}

export interface OcspCertId {
  hashAlgorithm: 'sha1' | 'sha256';
  /** Lowercase hex. */
  issuerNameHash: string;
  issuerKeyHash: string;
  /** As normalizeSerialHex writes it: lowercase, no leading 00 bytes. */
  serialHex: string;
  /**
   * The CertID's DER (a Uint8Array) from parseOcspRequest, echoed in the response as is and taking precedence over
   * the fields above; anything else (e.g. undefined) and the CertID is rebuilt from the fields.
   */
  raw: unknown;
}

export interface ParsedOcspRequest {
  certIds: OcspCertId[];
  /** The nonce's octets (the value inside the extension's OCTET STRING), to echo back. */
  nonce?: Uint8Array;
}

/** Reads a DER OCSPRequest; anything unreadable or out of bounds is an OcspRequestError. Signatures are ignored. */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (!(der instanceof Uint8Array) || der.length === 0) throw new OcspRequestError('the OCSP request is empty');
  if (der.length > MAX_REQUEST_BYTES) throw new OcspRequestError(`the OCSP request exceeds ${MAX_REQUEST_BYTES} bytes`);
  let req: OCSPRequest;
  try {
    // asn1js ignores bytes after the first element; a request is exactly one SEQUENCE.
    const outer = derHeader(der, 0);
    if (outer.tag !== 0x30 || outer.end !== der.length) throw new RangeError('not one SEQUENCE');
    req = AsnConvert.parse(der, OCSPRequest, { berOptions: BER_LIMITS });
  } catch {
    throw new OcspRequestError('the OCSP request is not DER');
  }
  try {
    return readRequest(req);
  } catch (e) {
    if (e instanceof OcspRequestError) throw e;
    throw new OcspRequestError('the OCSP request is not a valid OCSPRequest');
  }
}

function readRequest(req: OCSPRequest): ParsedOcspRequest {
  const tbs = req.tbsRequest;
  if (tbs.version !== 0) throw new OcspRequestError('only OCSP v1 requests are understood');
  const list = tbs.requestList ?? [];
  if (list.length === 0) throw new OcspRequestError('the OCSP request asks about no certificate');
  if (list.length > MAX_CERT_IDS) throw new OcspRequestError(`an OCSP request may ask about ${MAX_CERT_IDS} at most`);
  const certIds = list.map((r): OcspCertId => {
    const id = r.reqCert;
    const oid = id.hashAlgorithm.algorithm;
    const hashAlgorithm = oid === HASH_OID.sha1 ? 'sha1' : oid === HASH_OID.sha256 ? 'sha256' : undefined;
    if (!hashAlgorithm) throw new OcspRequestError('a CertID hash is not SHA-1 or SHA-256');
    const nameHash = Buffer.from(id.issuerNameHash.buffer);
    const keyHash = Buffer.from(id.issuerKeyHash.buffer);
    if (nameHash.length !== HASH_LEN[hashAlgorithm] || keyHash.length !== HASH_LEN[hashAlgorithm]) {
      throw new OcspRequestError('a CertID hash has the wrong length for its algorithm');
    }
    const serial = Buffer.from(id.serialNumber);
    // RFC 5280 §4.1.2.2: serials are at most 20 octets; 40 leaves room for the odd non-conforming CA.
    if (serial.length === 0 || serial.length > 40) throw new OcspRequestError('a CertID serial is out of range');
    return {
      hashAlgorithm,
      issuerNameHash: nameHash.toString('hex'),
      issuerKeyHash: keyHash.toString('hex'),
      serialHex: normalizeSerialHex(serial.toString('hex')),
      raw: new Uint8Array(AsnConvert.serialize(id)),
    };
  });
  const ext = tbs.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (!ext) return { certIds };
  const nonce = new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
  if (nonce.length === 0 || nonce.length > MAX_NONCE_BYTES) {
    throw new OcspRequestError(`an OCSP nonce must be 1 to ${MAX_NONCE_BYTES} octets`);
  }
  return { certIds, nonce };
}

/**
 * Decodes the GET form's last part (RFC 6960 A.1: the url-encoding of the base64 of the DER request). Pass the rest
 * of the path after the responder's prefix: base64 may hold '/', so that rest may span several segments. Accepts
 * %2B/%2F/%3D or raw '+', '/', '=', a '+' turned into a space, base64url, and missing padding; an earlier
 * percent-decoding by a router is harmless, as base64 has no '%'. Returns DER for parseOcspRequest.
 */
export function decodeOcspGetPath(pathSegment: string): Uint8Array {
  // A query or fragment is not part of the request; neither '?' nor '#' occurs in base64.
  let s = pathSegment.replace(/[?#].*$/s, '');
  // The base64 of a DER SEQUENCE starts with 'M' (0x30), so leading slashes belong to the route, not the data.
  s = s.replace(/^\/+/, '');
  if (s.length === 0) throw new OcspRequestError('the OCSP GET path holds no request');
  if (s.length > Math.ceil(MAX_REQUEST_BYTES / 3) * 4 * 3) throw new OcspRequestError('the OCSP GET path is too long');
  try {
    s = decodeURIComponent(s);
  } catch {
    throw new OcspRequestError('the OCSP GET path is not valid percent-encoding');
  }
  s = s.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new OcspRequestError('the OCSP GET path is not base64');
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Whether the CertID names this issuer: its name hash and key hash, recomputed with the CertID's own algorithm. */
export function issuerMatches(certId: OcspCertId, issuerCertPem: string): boolean {
  return matchesIssuer(certId, readIssuerCert(issuerCertPem));
}

function matchesIssuer(certId: OcspCertId, issuer: IssuerCert): boolean {
  const hash = (b: Uint8Array) => createHash(certId.hashAlgorithm).update(b).digest('hex');
  return (
    certId.issuerNameHash.toLowerCase() === hash(issuer.subjectDer) &&
    certId.issuerKeyHash.toLowerCase() === hash(issuer.subjectPublicKey)
  );
}

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: number; reason?: number }
  | { status: 'unknown' };

export interface OcspSingleResponseInput {
  certId: OcspCertId;
  status: OcspCertStatus;
  /** ms since the epoch, as all times here; written at second precision. */
  thisUpdate: number;
  nextUpdate: number;
}

export interface BuildOcspResponseInput {
  issuerCertPem: string;
  /** PKCS#8 PEM of the issuing CA, which signs the response itself (RFC 6960 §4.2.2.2, first case). */
  issuerKeyPem: string;
  responses: OcspSingleResponseInput[];
  /** The request's nonce, echoed in a nonce extension. */
  nonce?: Uint8Array;
  producedAt: number;
}

/**
 * Builds a successful OCSPResponse (DER) wrapping a BasicOCSPResponse that the issuing CA signs directly: responderID
 * byKey, no certs. Every CertID must name this issuer (else InvalidParam: the route should have said unauthorized).
 */
export async function buildOcspResponse(i: BuildOcspResponseInput): Promise<Uint8Array> {
  if (i.responses.length === 0 || i.responses.length > MAX_CERT_IDS) {
    throw new DomainError('InvalidParam', `an OCSP response holds 1 to ${MAX_CERT_IDS} statuses`);
  }
  if (i.nonce && (i.nonce.length === 0 || i.nonce.length > MAX_NONCE_BYTES)) {
    throw new DomainError('InvalidParam', `an OCSP nonce must be 1 to ${MAX_NONCE_BYTES} octets`);
  }
  const issuer = readIssuerCert(i.issuerCertPem);
  const signer = createIssuerSigner(issuer, i.issuerKeyPem);
  const responses = i.responses.map((r) => {
    if (!matchesIssuer(r.certId, issuer)) throw new DomainError('InvalidParam', 'a CertID names another issuer');
    const thisUpdate = toSecond(r.thisUpdate, 'thisUpdate');
    const nextUpdate = toSecond(r.nextUpdate, 'nextUpdate');
    if (nextUpdate < thisUpdate) throw new DomainError('InvalidParam', 'nextUpdate must not be before thisUpdate');
    return new SingleResponse({
      certID: certIdToAsn(r.certId),
      certStatus: statusToAsn(r.status),
      thisUpdate,
      nextUpdate,
    });
  });
  const data = new ResponseData({
    // byKey is the SHA-1 of the subjectPublicKey BIT STRING's value (RFC 6960 §4.2.1).
    responderID: new ResponderID({ byKey: new KeyHash(createHash('sha1').update(issuer.subjectPublicKey).digest()) }),
    producedAt: toSecond(i.producedAt, 'producedAt'),
    responses,
    responseExtensions: i.nonce
      ? [
          new Extension({
            extnID: id_pkix_ocsp_nonce,
            critical: false,
            extnValue: new OctetString(AsnConvert.serialize(new OctetString(ab(i.nonce)))),
          }),
        ]
      : undefined,
  });
  const signature = await signer.sign(new Uint8Array(AsnConvert.serialize(data)));
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: signer.algorithm,
    signature: ab(signature),
  });
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({
      responseType: id_pkix_ocsp_basic,
      response: new OctetString(AsnConvert.serialize(basic)),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}

/** An unsuccessful OCSPResponse (RFC 6960 §4.2.1): just the status, no responseBytes and so no signature. */
export function ocspErrorResponse(
  status: 'malformedRequest' | 'internalError' | 'tryLater' | 'unauthorized',
): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: OCSPResponseStatus[status] })));
}

function certIdToAsn(certId: OcspCertId): CertID {
  if (certId.raw instanceof Uint8Array) {
    try {
      return AsnConvert.parse(certId.raw, CertID);
    } catch {
      throw new DomainError('InvalidParam', 'certId.raw is not a DER CertID');
    }
  }
  return new CertID({
    // openssl writes the hash's parameters as NULL; RFC 5754 allows either, and clients compare only the OID.
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[certId.hashAlgorithm], parameters: null }),
    issuerNameHash: new OctetString(ab(Buffer.from(certId.issuerNameHash, 'hex'))),
    issuerKeyHash: new OctetString(ab(Buffer.from(certId.issuerKeyHash, 'hex'))),
    serialNumber: serialToInteger(certId.serialHex),
  });
}

function statusToAsn(s: OcspCertStatus): CertStatus {
  if (s.status === 'good') return new CertStatus({ good: null });
  if (s.status === 'unknown') return new CertStatus({ unknown: null });
  const reason = reasonToWrite(s.reason);
  return new CertStatus({
    revoked: new RevokedInfo({
      revocationTime: toSecond(s.revokedAt, 'revokedAt'),
      revocationReason: reason ? new CRLReason(reason) : undefined,
    }),
  });
}
