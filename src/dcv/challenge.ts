// What a customer must publish to prove control of a domain: the token, the DNS TXT record and the HTTP file.
// Pure functions, no I/O; the names follow the DV flow of Tencent's CA partners (sources below).

import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors.js';

/**
 * `DNS`: a TXT record; `FILE`: a file over http or https. Tencent's `DNS_AUTO` is not a method here: the caller
 * passes it as `DNS` (in strict mode it is checked like DNS; in auto mode every check passes anyway).
 */
export type DcvMethod = 'DNS' | 'FILE';

export interface Challenge {
  domain: string;
  method: DcvMethod;
  token: string;
}

/**
 * Host label of the TXT record. `_dnsauth` is the label of the DigiCert/TrustAsia DV flow that Tencent's DV
 * certificates go through (docs.digicert.com, "Use the DNS CNAME DCV method": hostname `_dnsauth`;
 * geocerts.com "Domain Control Validation DNS method": TXT at `_dnsauth.example.com`; Huawei CCM FAQ
 * ccm_01_0090 checks `dig TXT _dnsauth.domain.com` for the same CAs).
 */
export const DNS_HOST_LABEL = '_dnsauth';

/**
 * Directory and name of the validation file. `/.well-known/pki-validation/` is the CA/B Forum BR 3.2.2.4.18
 * directory; `fileauth.txt` is the name TrustAsia/DigiCert DV orders ask for (a reseller API answer gives
 * `FileAuthName: http://<domain>/.well-known/pki-validation/fileauth.txt`, and guides for TrustAsia DV certs bought
 * through Chinese clouds say the same). Tencent's "File Validation" page (tencentcloud.com/document/product/1007/43542)
 * gives the rules the checker follows: http or https, certificate errors ignored on https, redirects kept on the
 * domain, a final 200, and no file validation for wildcard domains since 2021-11-21.
 */
export const FILE_DIR = '/.well-known/pki-validation/';
export const FILE_NAME = 'fileauth.txt';
export const FILE_PATH = `${FILE_DIR}${FILE_NAME}`;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A fresh token: the UTC time as yyyymmddhhmmss followed by 128 random bits in lowercase base32 (26 characters),
 * 40 characters in all. The time prefix copies the look of the values TrustAsia hands out (`2017030321073946ncbo…`)
 * and tells an operator when a token was made; the random part alone carries the secret. Letters and digits
 * only, so it fits a TXT string, a file and a URL without quoting.
 */
export function newToken(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const bytes = randomBytes(16);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return stamp + out;
}

/** Lower case, no trailing dot: the form every name here is compared in. */
function normalize(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

export function isWildcard(domain: string): boolean {
  return normalize(domain).startsWith('*.');
}

/**
 * The TXT record to publish. For `*.example.com` the record sits under `example.com`, as the CA/B Forum BRs
 * allow a wildcard to be proven at its base name. `hostLabel` is relative to the domain itself (`_dnsauth`), not to
 * the registrable domain: this module has no public-suffix list, so `www.example.com` gets `_dnsauth` in the
 * `www.example.com` zone, i.e. `_dnsauth.www` to someone editing `example.com`.
 */
export function dnsChallenge(
  domain: string,
  token: string,
): { recordName: string; hostLabel: string; baseDomain: string; value: string } {
  const name = normalize(domain);
  const baseDomain = name.startsWith('*.') ? name.slice(2) : name;
  return { recordName: `${DNS_HOST_LABEL}.${baseDomain}`, hostLabel: DNS_HOST_LABEL, baseDomain, value: token };
}

/** Whether a FILE check can prove the domain: not for wildcards (Tencent stopped that on 2021-11-21, as the BRs). */
export function canProveByFile(domain: string): boolean {
  return !isWildcard(domain);
}

/**
 * The file to publish. The URLs name the standard ports, as a customer would type them; the checker itself uses
 * the configured ports. A wildcard domain throws a DomainError ('InvalidParam'): ask `canProveByFile` first.
 */
export function fileChallenge(
  domain: string,
  token: string,
): { path: string; dir: string; fileName: string; urlHttp: string; urlHttps: string; content: string } {
  const name = normalize(domain);
  if (name.startsWith('*.')) {
    throw new DomainError('InvalidParam', `a wildcard domain (${name}) cannot be validated by FILE; use DNS`);
  }
  return {
    path: FILE_PATH,
    dir: FILE_DIR,
    fileName: FILE_NAME,
    urlHttp: `http://${name}${FILE_PATH}`,
    urlHttps: `https://${name}${FILE_PATH}`,
    content: token,
  };
}
