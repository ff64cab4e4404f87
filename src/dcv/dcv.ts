// Domain-control checks: given a domain, a method and a token, say whether control is proven and why not.
// Knows no orders; `orders/` holds a DcvChecker and asks it, as boulder's RA asks its VA.

import { type Challenge, dnsChallenge, fileChallenge, isWildcard } from './challenge.js';
import { checkDnsTxt } from './dns-txt.js';
import { checkHttpFile } from './http-file.js';
import { createDnsClient } from './resolver.js';

export type { Challenge, DcvMethod } from './challenge.js';

export interface CheckResult {
  ok: boolean;
  /** One English sentence (or `http: …; https: …`) a customer can act on. */
  detail: string;
}

export interface DcvChecker {
  /** Never rejects: every failure, expected or not, comes back as `ok: false` with a detail. */
  check(ch: Challenge): Promise<CheckResult>;
}

export interface CheckerOptions {
  /** auto: every check passes at once, no network. strict: real DNS and HTTP checks. */
  mode: 'auto' | 'strict';
  /** "IP" or "IP:PORT"; empty means the system's resolvers. */
  dnsServers: readonly string[];
  httpPort: number;
  httpsPort: number;
  /** Off: a file check never connects to loopback, private, link-local, ... addresses (no SSRF). */
  allowPrivateAddresses: boolean;
  /** Limit of one DNS query, and of one scheme's fetch with its redirects and body. */
  timeoutMs: number;
  /** Largest validation file read. */
  maxBytes: number;
}

/**
 * Builds the checker. In strict mode a file check takes at most 3 × timeoutMs (address lookup, the http attempt,
 * the https attempt) and a DNS check timeoutMs. Bad `dnsServers` throw here.
 */
export function createChecker(opts: CheckerOptions): DcvChecker {
  if (opts.mode === 'auto') {
    return { check: async () => ({ ok: true, detail: 'validation mode is auto' }) };
  }
  const dns = createDnsClient(opts.dnsServers, opts.timeoutMs);
  async function run(ch: Challenge): Promise<CheckResult> {
    if (ch.method === 'DNS') {
      const { recordName, value } = dnsChallenge(ch.domain, ch.token);
      return checkDnsTxt(dns, recordName, value);
    }
    if (ch.method === 'FILE') {
      if (isWildcard(ch.domain)) {
        return { ok: false, detail: `${ch.domain} is a wildcard domain; a file cannot prove it, use DNS` };
      }
      const file = fileChallenge(ch.domain, ch.token);
      return checkHttpFile({ ...opts, dns, domain: ch.domain, path: file.path, content: file.content });
    }
    return { ok: false, detail: `unknown validation method ${JSON.stringify(ch.method)}` };
  }
  return {
    async check(ch) {
      try {
        return await run(ch);
      } catch (e) {
        return { ok: false, detail: `check of ${ch.domain} failed: ${(e as Error)?.message ?? String(e)}` };
      }
    },
  };
}
