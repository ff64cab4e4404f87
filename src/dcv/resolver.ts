// DNS queries for the checks: a fresh c-ares Resolver per query on the configured servers, one try, a hard limit
// on time, and an English sentence for every way a query can fail.

import { Resolver } from 'node:dns/promises';

export interface DnsClient {
  resolveTxt(name: string): Promise<string[][]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  readonly timeoutMs: number;
}

/**
 * `servers` are "IP" or "IP:PORT" ("[IPv6]:PORT"); empty means the system's resolvers. Bad entries throw here, so
 * a misconfigured service fails at start rather than at its first check.
 */
export function createDnsClient(servers: readonly string[], timeoutMs: number): DnsClient {
  const make = (): Resolver => {
    // c-ares' own timeout is per try and may grow between tries; tries=1 and the timer below make it a hard limit.
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers.length > 0) resolver.setServers([...servers]);
    return resolver;
  };
  try {
    make();
  } catch (e) {
    throw new Error(`invalid dcv.dnsServers ${JSON.stringify(servers)}: ${(e as Error).message}`);
  }
  // A fresh Resolver per query, so that cancelling one (on our timer) cannot cancel a concurrent check's query.
  async function bounded<T>(run: (r: Resolver) => Promise<T>): Promise<T> {
    const resolver = make();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        resolver.cancel();
        reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEOUT' }));
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(resolver), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    timeoutMs,
    resolveTxt: (name) => bounded((r) => r.resolveTxt(name)),
    resolve4: (name) => bounded((r) => r.resolve4(name)),
    resolve6: (name) => bounded((r) => r.resolve6(name)),
  };
}

export function dnsErrorCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

/** One sentence on why a `type` query for `name` gave no answer. Node maps NXDOMAIN to ENOTFOUND. */
export function describeDnsError(e: unknown, type: string, name: string, timeoutMs: number): string {
  const code = dnsErrorCode(e);
  switch (code) {
    case 'ENOTFOUND':
      return `${name} does not exist (NXDOMAIN)`;
    case 'ENODATA':
      return `${name} has no ${type} record`;
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return `DNS query for ${type} ${name} timed out after ${timeoutMs} ms`;
    case 'ESERVFAIL':
      return `DNS server failed the query for ${type} ${name} (SERVFAIL)`;
    case 'EREFUSED':
      return `DNS server refused the query for ${type} ${name}`;
    case 'ECONNREFUSED':
      return `DNS server could not be reached for ${type} ${name} (connection refused)`;
    default:
      return `DNS query for ${type} ${name} failed: ${code ?? (e as Error)?.message ?? String(e)}`;
  }
}
