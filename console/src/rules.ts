// The server's own order rules (src/orders/*-rules.ts), bound to browser IP and IDN primitives, and the per-field
// checks the submit form runs as the user types. The messages are the server's, word for word; in Chinese they get
// the catalogue's prefix in front, as the gateway's envelope does. test/console/rules.test.ts holds these
// primitives to node's.

import { ERROR_CODES } from '../../src/gateway/error-codes.js';
import { createContactRules, ORDER_INFO_FIELDS, type OrderInfo } from '../../src/orders/contact-rules.js';
import { createDomainRules, type IdnPrimitives } from '../../src/orders/domain-rules.js';
import type { ProductKind } from '../../src/orders/products.js';
import { checkKeyPassword } from '../../src/orders/submit-rules.js';
import { punycodeDecode } from './punycode.js';

const IPV4_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z\-.:]+$/;

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p));
}

/** Colon-hex groups, at most one "::", an optional dotted IPv4 tail (two groups) and an optional %zone. */
function isIPv6(s: string): boolean {
  const percent = s.indexOf('%');
  if (percent >= 0 && !ZONE.test(s.slice(percent + 1))) return false;
  const addr = percent < 0 ? s : s.slice(0, percent);
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  let count = 0;
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k];
    if (k === groups.length - 1 && g.includes('.')) {
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (IPV6_GROUP.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** node's net.isIP, url.domainToASCII and url.domainToUnicode, from what a browser has (URL does UTS #46). */
export const browserIdn: IdnPrimitives = {
  isIP: (s) => (isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0),
  domainToASCII(domain) {
    try {
      return new URL(`http://${domain}/`).hostname;
    } catch {
      return '';
    }
  },
  domainToUnicode(domain) {
    const labels = domain.toLowerCase().split('.');
    const out: string[] = [];
    for (const label of labels) {
      if (!label.startsWith('xn--')) {
        out.push(label);
        continue;
      }
      const decoded = punycodeDecode(label.slice(4));
      if (decoded === null || decoded === '') return '';
      out.push(decoded);
    }
    return out.join('.');
  },
};

export const domainRules = createDomainRules(browserIdn);
export const contactRules = createContactRules(domainRules.tryNormalizeDomain);
export { ORDER_INFO_FIELDS, type OrderInfo };

export type Lang = 'en' | 'zh';

/** A DomainError's detail as the server would send it to this language. */
export function serverWording(detail: string, lang: Lang): string {
  return lang === 'zh' ? `${ERROR_CODES['FailedOperation.InvalidParam'].zh}${detail}` : detail;
}

function problemOf(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The server's message for one organisation/admin/contact field (wire name), or undefined when it is fine. */
export function infoFieldProblem(wire: string, value: string): string | undefined {
  const field = ORDER_INFO_FIELDS.find((f) => f.wire === wire);
  if (!field) return undefined;
  return problemOf(() => contactRules.checkOrderInfo({ [field.key]: value }));
}

/** One domain as the server checks it on its own, before the set is checked as a whole. */
export function domainProblem(value: string, field: 'CertificateDomain' | 'DomainList'): string | undefined {
  if (value.trim() === '') return undefined;
  return problemOf(() => domainRules.normalizeDomain(value, { allowWildcard: true, field }));
}

/** The whole set of names against the product and the order's DomainNum, as the server checks it on submit. */
export function domainSetProblem(i: {
  primary: string;
  list: string[];
  kind: ProductKind;
  domainNum: number;
}): { field: string; message: string } | undefined {
  try {
    domainRules.checkDomainSet({
      primary: i.primary.trim() === '' ? undefined : i.primary,
      list: i.list.filter((d) => d.trim() !== ''),
      kind: i.kind,
      domainNum: i.domainNum,
    });
    return undefined;
  } catch (e) {
    const err = e as Error & { field?: string };
    return { field: err.field ?? 'CertificateDomain', message: err.message };
  }
}

export function keyPasswordProblem(value: string): string | undefined {
  return problemOf(() => checkKeyPassword(value));
}
