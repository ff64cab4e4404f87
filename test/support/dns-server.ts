// A tiny authoritative DNS server for tests: UDP on 127.0.0.1, A/AAAA/TXT answers from a map, NXDOMAIN for names
// it does not know, and a mode that never answers (for timeouts).

import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  /** Each entry is one TXT record; a string[] gives its character-strings explicitly (to test joining). */
  TXT?: (string | string[])[];
}

export interface DnsServer {
  /** "127.0.0.1:PORT", ready for dcv.dnsServers. */
  address: string;
  port: number;
  /** Every question received, in order. */
  queries: { name: string; type: string }[];
  set(name: string, records: DnsRecords): void;
  close(): Promise<void>;
}

const TYPES: Record<number, keyof DnsRecords> = { 1: 'A', 28: 'AAAA', 16: 'TXT' };

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString('latin1'));
    i += 1 + msg[i];
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function rdata(type: keyof DnsRecords, value: string | string[]): Buffer {
  if (type === 'A') return Buffer.from(value.toString().split('.').map(Number));
  if (type === 'AAAA') return ipv6Bytes(value.toString());
  const chunks = Array.isArray(value) ? value : (value.match(/[\s\S]{1,255}/g) ?? ['']);
  return Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from([Buffer.byteLength(c)]), Buffer.from(c)])));
}

export async function startDnsServer(
  opts: { records?: Record<string, DnsRecords>; silent?: boolean } = {},
): Promise<DnsServer> {
  const zone = new Map<string, DnsRecords>();
  for (const [name, records] of Object.entries(opts.records ?? {})) zone.set(name.toLowerCase(), records);
  const queries: DnsServer['queries'] = [];
  const socket = dgram.createSocket('udp4');

  socket.on('message', (msg, peer) => {
    if (msg.length < 12) return;
    const { name, end } = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    const type = TYPES[qtype];
    queries.push({ name, type: type ?? String(qtype) });
    if (opts.silent) return;
    const question = msg.subarray(12, end + 4);
    const records = zone.get(name);
    const values = records && type ? (records[type] ?? []) : [];
    const answers = values.map((v) => {
      const data = rdata(type!, v);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4); // class IN
      rr.writeUInt32BE(60, 6); // TTL
      rr.writeUInt16BE(data.length, 10);
      return Buffer.concat([rr, data]);
    });
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // ID
    const rd = msg[2] & 0x01;
    header[2] = 0x80 | 0x04 | rd; // QR, AA, RD copied
    header[3] = records ? 0 : 3; // NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });

  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = (socket.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    set: (name, records) => zone.set(name.toLowerCase(), records),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
