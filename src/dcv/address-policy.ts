// Which IP addresses a file check may connect to: public ones only, unless the operator allows private ones.
// The ranges are the IANA IPv4/IPv6 special-purpose registries, as in boulder's bdns (privateNetworks).

import { isIP } from 'node:net';

type Range = readonly [prefix: string, bits: number, reason: string];

const V4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Prefixes whose addresses carry an IPv4 address: judged by that address. [prefix, bits, first bit of the IPv4]. */
const V6_EMBEDDING: readonly (readonly [string, number, number, string])[] = [
  ['::ffff:0:0', 96, 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 96, 'NAT64'],
  ['2002::', 16, 16, '6to4'],
];

const V6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignment'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

function parseV4(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** An IPv6 address (already valid by net.isIP) as a 128-bit integer; an embedded dotted IPv4 tail is allowed. */
function parseV6(input: string): bigint {
  let ip = input.replace(/%.*$/, '');
  const tail = ip.slice(ip.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    ip = `${ip.slice(0, ip.length - tail.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, rest] = ip.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const r = groups(rest);
  const all = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function inV4(value: number, [prefix, bits]: Range | readonly [string, number, ...unknown[]]): boolean {
  const shift = 32 - bits;
  return Math.floor(value / 2 ** shift) === Math.floor(parseV4(prefix) / 2 ** shift);
}

function inV6(value: bigint, [prefix, bits]: Range | readonly [string, number, ...unknown[]]): boolean {
  const shift = BigInt(128 - bits);
  return value >> shift === parseV6(prefix) >> shift;
}

function v4Reason(value: number): string | undefined {
  return V4_RANGES.find((range) => inV4(value, range))?.[2];
}

/**
 * Why `ip` is not a public address ('loopback', 'private', 'link-local', 'IPv4-mapped private', ...), or
 * undefined when it is one. Anything that is not an IP address at all is refused as 'not an IP address'.
 */
export function nonPublicReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return v4Reason(parseV4(ip));
  if (family !== 6) return 'not an IP address';
  const value = parseV6(ip);
  for (const [prefix, bits, from, name] of V6_EMBEDDING) {
    if (!inV6(value, [prefix, bits])) continue;
    const v4 = Number((value >> BigInt(128 - from - 32)) & 0xffffffffn);
    const reason = v4Reason(v4);
    return reason && `${name} ${reason}`;
  }
  return V6_RANGES.find((range) => inV6(value, range))?.[2];
}
