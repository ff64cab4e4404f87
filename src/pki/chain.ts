// Checks a certificate chain as a client would: each certificate signed by the next and valid now, and the last
// one anchored in a trusted root (ours, or the public roots node ships). Knows nothing of orders or the wire.

import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { DomainError } from '../errors.js';
import { splitPemChain } from './certificate-info.js';

export interface ChainVerdict {
  /** every link verifies and every certificate is within its validity period */
  valid: boolean;
  /** the chain ends in (or is issued by) a trusted root */
  trusted: boolean;
  /** the chain as checked, completed with the anchoring root when one was found */
  chain: string[];
  /** why the chain is not valid or not trusted, when it is not */
  problem: string | null;
}

let publicRoots: X509Certificate[] | undefined;

function parse(pem: string, index: number): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new DomainError('ParseError', `certificate ${index + 1} of the chain cannot be parsed`, 'CertificateChain');
  }
}

export function checkChain(text: string, anchors: string[], now: number = Date.now()): ChainVerdict {
  const pems = splitPemChain(text);
  if (pems.length === 0) {
    throw new DomainError('ParseError', 'CertificateChain holds no PEM certificate', 'CertificateChain');
  }
  if (pems.length > 10)
    throw new DomainError('InvalidParam', 'a chain has at most 10 certificates', 'CertificateChain');
  const certs = pems.map(parse);
  let problem: string | null = null;
  for (const [i, c] of certs.entries()) {
    if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) {
      problem ??= `certificate ${i + 1} (${c.subject.replace(/\n/g, ', ')}) is not valid now`;
    }
    const next = certs[i + 1];
    if (next && !(c.checkIssued(next) && c.verify(next.publicKey))) {
      problem ??= `certificate ${i + 1} is not signed by certificate ${i + 2}`;
    }
  }
  const valid = problem === null;
  const last = certs[certs.length - 1];
  publicRoots ??= rootCertificates.map((p) => new X509Certificate(p));
  const roots = [...anchors.map((p) => new X509Certificate(p)), ...publicRoots];
  const anchor = roots.find(
    (r) => r.fingerprint256 === last.fingerprint256 || (last.checkIssued(r) && last.verify(r.publicKey)),
  );
  const chain = anchor && anchor.fingerprint256 !== last.fingerprint256 ? [...pems, anchor.toString()] : pems;
  if (!anchor) problem ??= 'the chain does not end at a trusted root';
  return { valid, trusted: anchor !== undefined, chain, problem };
}
