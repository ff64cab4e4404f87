// Signs TLS server leaves from a CSR, to the CA/Browser Forum Baseline Requirements' profile (BR 7.1.2.7).
// Whether the names may be issued for is the caller's rule (orders/, dcv/); this file only makes the certificate.

import { createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { DomainError } from '../errors.js';
import { type CertificateAuthority, nameAttribute, randomSerialHex } from './ca.js';
import { derToCertificatePem } from './certificate-info.js';
import { parseCsr } from './csr.js';
import { loadX509 } from './keys.js';

export interface LeafRequest {
  csrPem: string;
  /** The primary domain: the subject CN, and the first SAN. */
  commonName: string;
  /** Every domain (wildcards allowed); the CN is added if missing. Duplicates collapse case-insensitively. */
  domains: string[];
  level: 'DV' | 'OV' | 'EV';
  /** Used only for OV/EV. organizationalUnit is accepted but not written: BR 7.1.2.7.4 prohibits OU. */
  organization?: {
    organization?: string;
    organizationalUnit?: string;
    locality?: string;
    state?: string;
    country?: string;
  };
  notBefore: Date;
  /** Capped at notBefore + 398 days (and at the issuer's own notAfter). */
  notAfter: Date;
  /** This server's public base URL, e.g. http://127.0.0.1:9000, for the CRL and AIA URLs. */
  baseUrl: string;
}

export interface IssuedLeaf {
  certPem: string;
  /** The intermediates to send after the leaf (the root excluded); '' when the issuer is itself a root. */
  chainPem: string;
  /** Lowercase hex of the DER INTEGER content: 32 characters. */
  serialHex: string;
  issuerId: string;
  /** Epoch milliseconds, whole seconds, exactly as in the certificate. */
  notBefore: number;
  notAfter: number;
}

/** BR 6.3.2: at most 398 days, counted inclusively of both ends, so notAfter - notBefore <= 398 d - 1 s. */
export const MAX_LEAF_DAYS = 398;

/** CA/B Forum reserved policy identifiers (BR 7.1.6.1). */
export const POLICY_OIDS = { DV: '2.23.140.1.2.1', OV: '2.23.140.1.2.2', EV: '2.23.140.1.1' } as const;

const DAY = 86_400_000;
const CN_MAX = 64; // RFC 5280 ub-common-name

/** C0 controls and DEL: a NUL in a name is the classic way to make two programs read two different names. */
function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function invalid(detail: string, field?: string): DomainError {
  return new DomainError('InvalidParam', detail, field);
}

/** The SAN list: the CN first, then every domain, lowercased and unique. */
export function sanList(commonName: string, domains: string[]): string[] {
  const out: string[] = [];
  for (const raw of [commonName, ...domains]) {
    const d = raw.trim().toLowerCase();
    // dNSName is an IA5String; IDNs arrive as A-labels (punycode).
    if (!/^[\x21-\x7e]{1,253}$/.test(d)) {
      throw invalid(`domain ${JSON.stringify(raw)} is not an ASCII domain name`, 'DomainList');
    }
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

function baseUrlOf(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`the public base URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('the public base URL must be http(s)');
  return url.href.replace(/\/+$/, '');
}

function subjectFor(req: LeafRequest, cn: string) {
  const rdns: ReturnType<typeof nameAttribute>[] = [];
  if (req.level !== 'DV') {
    const o = req.organization ?? {};
    const country = o.country?.trim().toUpperCase();
    const [org, state, locality] = [o.organization?.trim(), o.state?.trim(), o.locality?.trim()];
    // BR 7.1.2.7.4: O and C are required for OV/EV, and at least one of ST and L.
    if (!org || !country || !(state || locality)) {
      throw new DomainError(
        'Incomplete',
        `${req.level} certificates need the organisation name, country and a state or locality`,
      );
    }
    if (!/^[A-Z]{2}$/.test(country))
      throw invalid('the country must be a two-letter ISO 3166 code', 'OrganizationCountry');
    for (const [v, max, field] of [
      [org, 64, 'OrganizationName'],
      [state, 128, 'OrganizationRegion'],
      [locality, 128, 'OrganizationCity'],
    ] as const) {
      if (v && (v.length > max || hasControlChars(v))) {
        throw invalid(`${field} must be at most ${max} characters, without control characters`, field);
      }
    }
    rdns.push(nameAttribute('C', country));
    if (state) rdns.push(nameAttribute('ST', state));
    if (locality) rdns.push(nameAttribute('L', locality));
    rdns.push(nameAttribute('O', org));
  }
  // RFC 5280 caps the CN at 64 characters; a longer name lives in subjectAltName alone (BR 7.1.4.3 makes the
  // CN optional and only a copy of a SAN entry).
  if (cn.length <= CN_MAX) rdns.push(nameAttribute('CN', cn));
  return rdns;
}

/** Signs a leaf for the CSR's public key by the issuer for its key type (the CSR's signature is checked again). */
export async function issueLeaf(ca: CertificateAuthority, req: LeafRequest): Promise<IssuedLeaf> {
  const csr = await parseCsr(req.csrPem);
  const issuer = ca.issuerFor(csr.keyAlgorithm);
  const sans = sanList(req.commonName, req.domains);
  const cn = sans[0];

  const notBefore = Math.floor(req.notBefore.getTime() / 1000) * 1000;
  const asked = Math.floor(req.notAfter.getTime() / 1000) * 1000;
  if (!Number.isFinite(notBefore) || !Number.isFinite(asked) || asked <= notBefore) {
    throw invalid('the validity period is empty');
  }
  // A longer order is reissued each year by the caller, as commercial CAs do; here it is capped, not refused.
  const notAfter = Math.min(asked, notBefore + MAX_LEAF_DAYS * DAY - 1000, issuer.notAfter);
  if (notAfter <= notBefore) throw new Error(`issuer ${issuer.id} expires before the requested validity starts`);
  const base = baseUrlOf(req.baseUrl);

  const x509 = await loadX509();
  const issuerCert = new x509.X509Certificate(issuer.certPem);
  const issuerSki =
    issuerCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
    Buffer.from(await issuerCert.publicKey.getKeyIdentifier()).toString('hex');
  const publicKey = new x509.PublicKey(csr.publicKeyPem);
  const signer = await ca.signingKey(issuer.id);
  const serialHex = randomSerialHex();
  const usages =
    csr.keyAlgorithm === 'RSA'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: new x509.Name(subjectFor(req, cn)),
    issuer: issuerCert.subjectName,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    publicKey,
    signingKey: signer.keys.privateKey,
    signingAlgorithm: signer.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.AuthorityKeyIdentifierExtension(issuerSki),
      new x509.AuthorityInfoAccessExtension({ ocsp: `${base}/ocsp`, caIssuers: `${base}/ca/${issuer.id}.crt` }),
      new x509.CertificatePolicyExtension([POLICY_OIDS[req.level]]),
      new x509.CRLDistributionPointsExtension([`${base}/crl/${issuer.id}.crl`]),
      // Critical when the subject is empty (a DV name over 64 characters), as RFC 5280 4.2.1.6 requires.
      new x509.SubjectAlternativeNameExtension(
        sans.map((value) => ({ type: 'dns' as const, value })),
        req.level === 'DV' && cn.length > CN_MAX,
      ),
    ],
  });
  const certPem = derToCertificatePem(Buffer.from(cert.rawData));
  // As boulder checks each signature before release: a leaf that does not verify under its issuer never leaves.
  if (!new NodeX509(certPem).verify(createPublicKey(issuer.certPem))) {
    throw new Error(`the leaf signed by ${issuer.id} does not verify under its certificate`);
  }
  return {
    certPem,
    chainPem: ca.chainPem(issuer.id),
    serialHex,
    issuerId: issuer.id,
    notBefore,
    notAfter,
  };
}
