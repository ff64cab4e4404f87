// What the CRL, OCSP and CA-certificate URLs in our certificates answer. Knows the CA and asks a RevocationSource
// (the store, through an interface) which serials an issuer has revoked; knows nothing of HTTP or orders.

import type { CertificateAuthority } from './ca.js';
import { certificatePemToDer } from './certificate-info.js';
import { buildCrl, normalizeSerialHex, type RevokedEntry } from './crl.js';
import {
  buildOcspResponse,
  issuerMatches,
  type OcspCertStatus,
  OcspRequestError,
  ocspErrorResponse,
  parseOcspRequest,
} from './ocsp.js';

export interface RevocationSource {
  /** every certificate the issuer has revoked */
  revokedBy(issuerId: string): Promise<RevokedEntry[]>;
  /** a certificate of the issuer by serial: its revocation, or null if it was issued and stands; undefined if unknown */
  lookup(issuerId: string, serialHex: string): Promise<{ revokedAt: number | null; reason: number | null } | undefined>;
  /** changes whenever the issuer's revocations change (count and newest time), so a CRL is rebuilt only then */
  stamp(issuerId: string): Promise<string>;
}

/** BR 4.9.7: a CRL for subscriber certificates is reissued at least every 7 days; ours lives a day and is rebuilt
 * after half of that, or at once when a revocation changes it. */
const CRL_LIFETIME_MS = 24 * 3600_000;
/** OCSP answers are fresh for an hour (BR 4.9.10 allows up to 10 days). */
const OCSP_LIFETIME_MS = 3600_000;

export class PkiResponder {
  private readonly crls = new Map<string, { stamp: string; builtAt: number; der: Uint8Array }>();
  private readonly building = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly source: RevocationSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** DER certificate of an authority (the AIA caIssuers URL), or of the root for id 'root'. */
  caCertificate(id: string): Uint8Array | undefined {
    if (id === 'root') return certificatePemToDer(this.ca.rootPem());
    const issuer = this.ca.issuerById(id);
    return issuer ? certificatePemToDer(issuer.certPem) : undefined;
  }

  /** The issuer's current CRL (DER), rebuilt when its revocations changed or it is half-way to nextUpdate. */
  async crl(issuerId: string): Promise<Uint8Array | undefined> {
    const issuer = this.ca.issuerById(issuerId);
    if (!issuer) return undefined;
    const stamp = await this.source.stamp(issuerId);
    const cached = this.crls.get(issuerId);
    if (cached && cached.stamp === stamp && this.now() - cached.builtAt < CRL_LIFETIME_MS / 2) return cached.der;
    // One build at a time per issuer: concurrent fetches share it instead of each taking a CRL number.
    let pending = this.building.get(issuerId);
    if (!pending) {
      pending = (async () => {
        const now = this.now();
        const der = await buildCrl({
          issuerCertPem: issuer.certPem,
          issuerKeyPem: await this.ca.privateKeyPem(issuerId),
          crlNumber: await this.ca.nextCrlNumber(issuerId),
          thisUpdate: now,
          nextUpdate: now + CRL_LIFETIME_MS,
          revoked: await this.source.revokedBy(issuerId),
        });
        this.crls.set(issuerId, { stamp, builtAt: now, der });
        return der;
      })().finally(() => this.building.delete(issuerId));
      this.building.set(issuerId, pending);
    }
    return pending;
  }

  /** An RFC 6960 response (DER) to a DER request; malformed or foreign requests get the matching error status. */
  async ocsp(request: Uint8Array): Promise<Uint8Array> {
    let parsed: ReturnType<typeof parseOcspRequest>;
    try {
      parsed = parseOcspRequest(request);
    } catch (e) {
      if (e instanceof OcspRequestError) return ocspErrorResponse('malformedRequest');
      return ocspErrorResponse('internalError');
    }
    // Every CertID of one request must name the same issuer: one response is signed by one key.
    const issuer = this.ca.issuers().find((i) => issuerMatches(parsed.certIds[0], i.certPem));
    if (!issuer || !parsed.certIds.every((id) => issuerMatches(id, issuer.certPem))) {
      return ocspErrorResponse('unauthorized');
    }
    try {
      const now = this.now();
      const responses = await Promise.all(
        parsed.certIds.map(async (certId) => {
          const found = await this.source.lookup(issuer.id, normalizeSerialHex(certId.serialHex));
          const status: OcspCertStatus =
            found === undefined
              ? { status: 'unknown' }
              : found.revokedAt === null
                ? { status: 'good' }
                : { status: 'revoked', revokedAt: found.revokedAt, reason: found.reason ?? undefined };
          return { certId, status, thisUpdate: now, nextUpdate: now + OCSP_LIFETIME_MS };
        }),
      );
      return await buildOcspResponse({
        issuerCertPem: issuer.certPem,
        issuerKeyPem: await this.ca.privateKeyPem(issuer.id),
        responses,
        nonce: parsed.nonce,
        producedAt: now,
      });
    } catch {
      return ocspErrorResponse('internalError');
    }
  }
}
