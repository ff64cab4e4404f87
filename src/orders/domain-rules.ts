// Domain-name rules for an order (CertificateDomain + DomainList): normalisation to lowercase ASCII (punycode) and
// the checks a CA applies before validation. Pure and browser-safe: the IP and IDN primitives are handed in (node:net
// and node:url on the server, see domains.ts; the console's own in the browser), so the web console checks names
// with the very code the server runs. Knows no HTTP, storage, DNS lookups or wire codes.
import { DomainError } from '../errors.js';
import type { ProductKind } from './products.js';

/** What the rules need from the platform, with node's semantics (net.isIP, url.domainToASCII/domainToUnicode). */
export interface IdnPrimitives {
  /** 4 or 6 for an IP address, 0 otherwise. */
  isIP(input: string): number;
  /** UTS #46 ToASCII; '' when the name is invalid. */
  domainToASCII(domain: string): string;
  /** UTS #46 ToUnicode; '' when the name is invalid. */
  domainToUnicode(domain: string): string;
}

export interface DomainRules {
  tryNormalizeDomain(raw: string, allowWildcard: boolean): { name: string } | { problem: string };
  normalizeDomain(raw: string, opts: { allowWildcard: boolean; field: string }): string;
  checkDomainSet(i: {
    primary: string | undefined;
    list: string[] | undefined;
    kind: ProductKind;
    domainNum: number;
  }): { primary: string; all: string[] };
}

/** RFC 1035 §2.3.4: 253 octets for a name written without its trailing dot, 63 per label. */
const MAX_NAME = 253;
const MAX_LABEL = 63;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** ASCII characters a name may carry before IDN mapping; anything else ('_', '%', '/', '@', ':') is refused up front. */
const ASCII_ALLOWED = /^[a-z0-9.*-]$/;
/** Whitespace, control characters (C0, DEL, C1), lone surrogates, line/paragraph separators. */
const INVISIBLE = /[\s\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;
/** A last label the WHATWG URL parser would read as an IPv4 number (decimal, or 0x hex). */
const NUMERIC_TLD = /^(?:\d+|0x[0-9a-f]*)$/;

function display(raw: string): string {
  const chars = [...raw];
  return JSON.stringify(chars.length > 80 ? `${chars.slice(0, 80).join('')}…` : raw);
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 0x7f) return false;
  return true;
}

function firstForbiddenAscii(s: string): string | undefined {
  for (const c of s) if (c.charCodeAt(0) < 0x80 && !ASCII_ALLOWED.test(c)) return c;
  return undefined;
}

/** Why one base label (not the wildcard) is not a valid hostname label, or undefined when it is. */
function labelProblem(label: string, idn: IdnPrimitives): string | undefined {
  if (label.length === 0) return 'it has an empty label';
  if (label.length > MAX_LABEL) return `label "${label.slice(0, 20)}…" is longer than ${MAX_LABEL} characters`;
  if (label.startsWith('-') || label.endsWith('-')) return `label "${label}" starts or ends with a hyphen`;
  if (!LDH_LABEL.test(label)) return `label "${label}" may contain only letters, digits and hyphens`;
  if (label.slice(2, 4) === '--') {
    // RFC 5891 §4.2.3.1: "--" in the 3rd and 4th positions is reserved (R-LDH) for IDNA's "xn--"; boulder refuses
    // the other forms too (policy/pa.go, errInvalidRLDH).
    if (!label.startsWith('xn--')) return `label "${label}" uses the reserved "??--" form`;
    const unicode = idn.domainToUnicode(label);
    if (unicode === '' || idn.domainToASCII(unicode) !== label) return `label "${label}" is not valid punycode`;
  }
  return undefined;
}

const notValid = (reason: string) => ({ problem: `is not a valid domain name: ${reason}` });

const WILDCARD_KINDS: ReadonlySet<ProductKind> = new Set(['wildcard', 'wildcard-multi']);
const MULTI_KINDS: ReadonlySet<ProductKind> = new Set(['multi', 'wildcard-multi']);

/** The rules, bound to the platform's IP and IDN primitives. */
export function createDomainRules(idn: IdnPrimitives): DomainRules {
  /**
   * normalizeDomain without the throw, for callers that word their own error (an email address's domain): the
   * normalised name, or a problem phrase that follows the quoted input ("is empty", "is not a valid domain name: …").
   */
  function tryNormalizeDomain(raw: string, allowWildcard: boolean): { name: string } | { problem: string } {
    let name = raw.trim();
    if (name === '') return { problem: 'is empty' };
    if (INVISIBLE.test(name)) return notValid('it contains whitespace or control characters');
    name = name.toLowerCase();
    const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
    if (idn.isIP(bare) !== 0) return notValid('IP addresses are not allowed');
    let bad = firstForbiddenAscii(name);
    if (bad !== undefined) return notValid(`it contains the character ${JSON.stringify(bad)}`);
    // Only names with non-ASCII go through UTS #46: on ASCII it would percent-decode and rewrite IPv4 shorthands.
    if (!isAscii(name)) {
      const ascii = idn.domainToASCII(name);
      if (ascii === '') return notValid('it is not a valid internationalised domain name');
      bad = firstForbiddenAscii(ascii);
      if (bad !== undefined) return notValid(`it contains the character ${JSON.stringify(bad)}`);
      name = ascii;
    }
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (name === '*') return notValid('a wildcard needs a domain after it, as in "*.example.com"');
    const labels = name.split('.');
    const wildcard = labels[0] === '*';
    const base = wildcard ? labels.slice(1) : labels;
    if (base.some((l) => l.includes('*'))) {
      return notValid('a wildcard may only be the whole leftmost label, as in "*.example.com"');
    }
    if (idn.isIP(base.join('.')) !== 0) return notValid('IP addresses are not allowed');
    if (base.length < 2) return notValid('it needs at least two labels');
    for (const label of base) {
      const problem = labelProblem(label, idn);
      if (problem !== undefined) return notValid(problem);
    }
    if (NUMERIC_TLD.test(base[base.length - 1])) return notValid('the top-level label is numeric');
    if (name.length > MAX_NAME) return notValid(`it is ${name.length} characters long, over ${MAX_NAME}`);
    if (wildcard && !allowWildcard) return { problem: 'is a wildcard name, which is not allowed here' };
    return { name };
  }

  /**
   * Normalises one domain: trim, lowercase, IDN -> punycode (UTS #46 domainToASCII), strip one trailing dot.
   * Refuses IP addresses, non-LDH labels, labels over 63 and names over 253 characters, single-label names, numeric
   * TLDs, and a wildcard anywhere but as the whole leftmost label ('*.example.com'), or at all unless allowWildcard.
   * The 253 counts a wildcard's '*.'. Idempotent on its output. Labels with "--" in positions 3-4 other than valid
   * "xn--" punycode are refused, as boulder does. Public suffixes ('*.co.uk') are not detected: there is no suffix list.
   * Throws DomainError('InvalidParam', '<field> "<raw>" <problem>', field).
   */
  function normalizeDomain(raw: string, opts: { allowWildcard: boolean; field: string }): string {
    const r = tryNormalizeDomain(raw, opts.allowWildcard);
    if ('problem' in r) throw new DomainError('InvalidParam', `${opts.field} ${display(raw)} ${r.problem}`, opts.field);
    return r.name;
  }

  /**
   * The whole set of names for an order: CertificateDomain (primary) + DomainList, normalised, unique, primary first.
   * Choices, where the real service's behaviour cannot be observed:
   * - CertificateDomain absent: the first DomainList entry becomes the primary; both absent is refused.
   * - The primary may appear once in DomainList (Tencent clients repeat the CN there) and is deduplicated silently;
   *   any other repetition, after normalisation, is refused.
   * - Wildcards only on 'wildcard'/'wildcard-multi' products; a 'wildcard' product's primary must be a wildcard (it
   *   covers exactly one name, and that is what was bought). A wildcard and its base ('*.a.com', 'a.com') may coexist.
   * - Multi-domain products need a non-empty DomainList; single/wildcard products take nothing beyond the primary.
   * - The unique set, primary included, may not exceed the order's DomainNum.
   */
  function checkDomainSet(i: {
    primary: string | undefined;
    list: string[] | undefined;
    kind: ProductKind;
    domainNum: number;
  }): { primary: string; all: string[] } {
    const allowWildcard = WILDCARD_KINDS.has(i.kind);
    const rawList = i.list ?? [];
    const hasPrimary = i.primary !== undefined && i.primary.trim() !== '';
    if (!hasPrimary && rawList.length === 0) {
      throw new DomainError('InvalidParam', 'CertificateDomain is required', 'CertificateDomain');
    }
    if (MULTI_KINDS.has(i.kind) && rawList.length === 0) {
      throw new DomainError('InvalidParam', 'DomainList is required for a multi-domain product', 'DomainList');
    }
    const primaryField = hasPrimary ? 'CertificateDomain' : 'DomainList';
    const primary = normalizeDomain(hasPrimary ? (i.primary as string) : rawList[0], {
      allowWildcard: true,
      field: primaryField,
    });
    refuseWildcard(primary, allowWildcard, primaryField);
    if (i.kind === 'wildcard' && !primary.startsWith('*.')) {
      throw new DomainError(
        'InvalidParam',
        `${primaryField} "${primary}" must be a wildcard name such as "*.${primary}" for a wildcard product`,
        primaryField,
      );
    }

    const all = [primary];
    const seen = new Set(all);
    let primaryRepeated = !hasPrimary; // without CertificateDomain, the list's first entry is the primary itself
    for (const raw of hasPrimary ? rawList : rawList.slice(1)) {
      const name = normalizeDomain(raw, { allowWildcard: true, field: 'DomainList' });
      refuseWildcard(name, allowWildcard, 'DomainList');
      if (name === primary && !primaryRepeated) {
        primaryRepeated = true;
        continue;
      }
      if (seen.has(name)) {
        throw new DomainError('InvalidParam', `DomainList names "${name}" more than once`, 'DomainList');
      }
      seen.add(name);
      all.push(name);
    }
    if (!MULTI_KINDS.has(i.kind) && all.length > 1) {
      throw new DomainError(
        'InvalidParam',
        `DomainList may hold only the CertificateDomain for a ${i.kind} product, but it also names "${all[1]}"`,
        'DomainList',
      );
    }
    if (all.length > i.domainNum) {
      throw new DomainError(
        'InvalidParam',
        `DomainList has ${all.length} domains (CertificateDomain included) but the order allows ${i.domainNum}`,
        'DomainList',
      );
    }
    return { primary, all };
  }

  return { tryNormalizeDomain, normalizeDomain, checkDomainSet };
}

function refuseWildcard(name: string, allowed: boolean, field: string): void {
  if (!allowed && name.startsWith('*.')) {
    throw new DomainError(
      'InvalidParam',
      `${field} "${name}" is a wildcard name, which this product does not cover (choose a wildcard product)`,
      field,
    );
  }
}
