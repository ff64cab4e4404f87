// The FILE method: GET the validation file over http, then https, from an address this module resolved and vetted
// itself, following a few redirects that stay on the domain, within a time and size limit.

import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { nonPublicReason } from './address-policy.js';
import type { CheckResult } from './dcv.js';
import { quote } from './dns-txt.js';
import { type DnsClient, describeDnsError, dnsErrorCode } from './resolver.js';

/**
 * Redirects followed per attempt. Tencent's CA rules allow two 301/302 hops (tencentcloud.com document 1007/43542);
 * three leaves room for an http -> https -> final-path chain.
 */
export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'tcssl-dcv/1 (+domain control validation)';

export interface FileCheckOptions {
  dns: DnsClient;
  domain: string;
  path: string;
  content: string;
  httpPort: number;
  httpsPort: number;
  allowPrivateAddresses: boolean;
  timeoutMs: number;
  maxBytes: number;
}

type Scheme = 'http:' | 'https:';

/** One attempt's fixed facts: where to connect, what to call the host, its limits. */
interface Target {
  host: string;
  ip: string;
  ports: Record<Scheme, number>;
  timeoutMs: number;
  maxBytes: number;
}

/** A failure whose message is the detail shown to the customer. */
class Refusal extends Error {}

interface Answer {
  status: number;
  location?: string;
  body?: Buffer;
}

export async function checkHttpFile(o: FileCheckOptions): Promise<CheckResult> {
  let host: string;
  try {
    host = new URL(`http://${o.domain}/`).hostname.replace(/\.$/, '');
  } catch {
    return { ok: false, detail: `${quote(o.domain)} is not a host name` };
  }
  if (host.startsWith('*.'))
    return { ok: false, detail: `${host} is a wildcard domain; a file cannot prove it, use DNS` };
  const picked = await pickAddress(o.dns, host, o.allowPrivateAddresses);
  if ('detail' in picked) return { ok: false, detail: picked.detail };
  const target: Target = {
    host,
    ip: picked.ip,
    ports: { 'http:': o.httpPort, 'https:': o.httpsPort },
    timeoutMs: o.timeoutMs,
    maxBytes: o.maxBytes,
  };
  const failures: string[] = [];
  for (const scheme of ['http:', 'https:'] as const) {
    const result = await fetchFile(target, urlFor(target, scheme, o.path), o.content);
    if (result.ok) return result;
    failures.push(`${scheme.slice(0, -1)}: ${result.detail}`);
  }
  return { ok: false, detail: failures.join('; ') };
}

/**
 * The address to connect to: the first A (then AAAA) answer that policy allows. As boulder's bdns does, refused
 * addresses are dropped and the check goes on with the rest; the name is never resolved again after this, so a
 * second answer (DNS rebinding) cannot move the connection elsewhere.
 */
async function pickAddress(
  dns: DnsClient,
  host: string,
  allowPrivate: boolean,
): Promise<{ ip: string } | { detail: string }> {
  let ips: string[];
  if (isIP(host.replace(/^\[|\]$/g, ''))) {
    ips = [host.replace(/^\[|\]$/g, '')];
  } else {
    const [a, aaaa] = await Promise.allSettled([dns.resolve4(host), dns.resolve6(host)]);
    ips = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
    if (ips.length === 0) {
      const failed = a.status === 'rejected' && dnsErrorCode(a.reason) !== 'ENODATA' ? a : aaaa;
      if (failed.status === 'rejected' && dnsErrorCode(failed.reason) !== 'ENODATA') {
        return { detail: describeDnsError(failed.reason, failed === a ? 'A' : 'AAAA', host, dns.timeoutMs) };
      }
      return { detail: `${host} has no A or AAAA record` };
    }
  }
  if (allowPrivate) return { ip: ips[0] };
  const allowed = ips.find((ip) => nonPublicReason(ip) === undefined);
  if (allowed) return { ip: allowed };
  const refused = ips.map((ip) => `${ip} (${nonPublicReason(ip)})`).join(', ');
  return {
    detail: `${host} resolves only to addresses that are not public: ${refused}; checks of those are off (dcv.allowPrivateAddresses)`,
  };
}

function urlFor(t: Target, scheme: Scheme, path: string): URL {
  const url = new URL(`${scheme}//${t.host}${path}`);
  url.port = String(t.ports[scheme]); // the URL drops it again when it is the scheme's default
  return url;
}

/** One scheme's attempt: the first URL and the redirects after it, all within one deadline. */
async function fetchFile(t: Target, start: URL, content: string): Promise<CheckResult> {
  const deadline = Date.now() + t.timeoutMs;
  let url = start;
  try {
    for (let hop = 0; ; hop++) {
      const answer = await get(t, url, deadline);
      if (REDIRECT_STATUSES.has(answer.status)) {
        if (answer.location === undefined) {
          return { ok: false, detail: `GET ${url.href} answered ${answer.status} without a Location` };
        }
        if (hop === MAX_REDIRECTS) {
          return { ok: false, detail: `GET ${start.href} redirected more than ${MAX_REDIRECTS} times` };
        }
        url = redirectTarget(t, url, answer.location);
        continue;
      }
      if (answer.status !== 200) return { ok: false, detail: `GET ${url.href} answered ${answer.status}` };
      // Editors add a BOM or a trailing newline (LF or CRLF); neither changes what the customer meant to publish.
      const text = (answer.body ?? Buffer.alloc(0))
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .trim();
      if (text === content) return { ok: true, detail: `GET ${url.href} returned the expected content` };
      return { ok: false, detail: `GET ${url.href} returned ${quote(text)}, expected ${quote(content)}` };
    }
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, detail: e.message };
    throw e;
  }
}

/** Where a redirect leads, if it may be followed: http or https, the same host name, the port the scheme uses. */
function redirectTarget(t: Target, from: URL, location: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new Refusal(`GET ${from.href} redirects to an invalid location ${quote(location)}`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new Refusal(`redirect to ${quote(next.href)} is neither http nor https`);
  }
  if (next.hostname.replace(/\.$/, '') !== t.host) throw new Refusal(`redirect to ${next.href} leaves ${t.host}`);
  const port = t.ports[next.protocol];
  if (next.port !== '' && Number(next.port) !== port) {
    throw new Refusal(`redirect to ${next.href} uses a port other than ${port}`);
  }
  next.port = String(port);
  next.hash = '';
  next.username = '';
  next.password = '';
  return next;
}

function describeNetError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.message || err.code || String(e);
}

/**
 * One GET to the pinned address. Host carries the domain (and the port when it is not the default, RFC 9110 §7.2);
 * on https the SNI is the domain and certificate errors are ignored: the site may have no trusted certificate yet,
 * which is often why it asks for one, and Tencent's CA rules ignore them too.
 */
function get(t: Target, url: URL, deadline: number): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const label = `GET ${url.href}`;
    const scheme = url.protocol as Scheme;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (value: Answer | Refusal): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (value instanceof Refusal) reject(value);
      else resolve(value);
      req.destroy();
    };
    const options: https.RequestOptions = {
      host: t.ip,
      port: t.ports[scheme],
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { host: url.host, 'user-agent': USER_AGENT, accept: '*/*', connection: 'close' },
      agent: false,
    };
    if (scheme === 'https:') {
      options.rejectUnauthorized = false;
      if (!isIP(t.host.replace(/^\[|\]$/g, ''))) options.servername = t.host;
    }
    const req = (scheme === 'https:' ? https : http).request(options, (res) => {
      res.on('error', (e) => settle(new Refusal(`${label} failed: ${describeNetError(e)}`)));
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const location = res.headers.location;
        settle({ status, location: typeof location === 'string' ? location : undefined });
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (declared > t.maxBytes) {
        settle(new Refusal(`${label} sent a body of ${declared} bytes, over the limit of ${t.maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > t.maxBytes) settle(new Refusal(`${label} sent a body over the limit of ${t.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => settle({ status, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => settle(new Refusal(`${label} failed: ${describeNetError(e)}`)));
    timer = setTimeout(
      () => settle(new Refusal(`${label} timed out after ${t.timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    req.end();
  });
}
