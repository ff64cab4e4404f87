// The domain-name rules of domain-rules.ts bound to node's IP and IDN primitives: what the server uses. The rules
// themselves live there, import no node module, and are shared with the web console.
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { createDomainRules } from './domain-rules.js';

const rules = createDomainRules({ isIP, domainToASCII, domainToUnicode });

/** See createDomainRules: the normalised name, or a problem phrase that follows the quoted input. */
export const tryNormalizeDomain = rules.tryNormalizeDomain;
/** See createDomainRules: the normalised name; throws DomainError('InvalidParam', …, field). */
export const normalizeDomain = rules.normalizeDomain;
/** See createDomainRules: CertificateDomain + DomainList, normalised, unique, primary first. */
export const checkDomainSet = rules.checkDomainSet;
