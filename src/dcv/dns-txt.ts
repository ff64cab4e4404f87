// The DNS method: the TXT record at `_dnsauth.<domain>` must hold the token, exactly.

import type { CheckResult } from './dcv.js';
import { type DnsClient, describeDnsError } from './resolver.js';

/** How many TXT values, and how many characters of each, a failure detail shows. */
const SHOW_VALUES = 5;
const SHOW_CHARS = 80;

export function quote(value: string, max = SHOW_CHARS): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/**
 * Passes when any TXT record at `recordName` equals `expected`. A record longer than 255 bytes travels as several
 * character-strings; they are joined before comparing (RFC 7208 §3.3 does the same for SPF).
 */
export async function checkDnsTxt(dns: DnsClient, recordName: string, expected: string): Promise<CheckResult> {
  let records: string[][];
  try {
    records = await dns.resolveTxt(recordName);
  } catch (e) {
    return { ok: false, detail: describeDnsError(e, 'TXT', recordName, dns.timeoutMs) };
  }
  const values = records.map((chunks) => chunks.join(''));
  if (values.includes(expected)) return { ok: true, detail: `TXT ${recordName} has ${quote(expected)}` };
  if (values.length === 0) return { ok: false, detail: `${recordName} has no TXT record` };
  const shown = values.slice(0, SHOW_VALUES).map((v) => quote(v));
  if (values.length > SHOW_VALUES) shown.push(`and ${values.length - SHOW_VALUES} more`);
  return { ok: false, detail: `TXT ${recordName} has ${shown.join(', ')}, expected ${quote(expected)}` };
}
