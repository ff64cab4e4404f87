// A web server for tests on 127.0.0.1: files per Host header, redirects, slow answers and huge bodies, over http or
// (with a self-signed certificate from `selfSignedCert`) https.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { selfSignedP256 } from './openssl.js';

export type Reply =
  /** 200 (or `status`) with this body, after `delayMs` if given. */
  | { body: string; status?: number; delayMs?: number }
  /** 302 (or `status`) to this Location. */
  | { redirect: string; status?: number }
  /** `bytes` bytes of 'x'; with a Content-Length unless `chunked`. */
  | { bytes: number; chunked?: boolean }
  /** Headers are never sent. */
  | { hang: true };

export interface WebServer {
  port: number;
  /** Every request received: the Host header's name (port stripped), the path, and on https the SNI name. */
  requests: { host: string; path: string; sni?: string }[];
  set(host: string, path: string, reply: Reply): void;
  close(): Promise<void>;
}

export async function startWebServer(opts: { tls?: { key: string; cert: string } } = {}): Promise<WebServer> {
  const replies = new Map<string, Reply>();
  const requests: WebServer['requests'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handler: http.RequestListener = (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const path = req.url ?? '/';
    const sni = (req.socket as TLSSocket).servername;
    requests.push({ host, path, ...(typeof sni === 'string' ? { sni } : {}) });
    const reply = replies.get(`${host} ${path}`);
    if (!reply) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if ('hang' in reply) return;
    if ('redirect' in reply) {
      res.writeHead(reply.status ?? 302, { location: reply.redirect }).end();
      return;
    }
    if ('bytes' in reply) {
      res.writeHead(200, reply.chunked ? {} : { 'content-length': reply.bytes });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      let left = reply.bytes;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const send = () => res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' }).end(reply.body);
    if (reply.delayMs) later(reply.delayMs, send);
    else send();
  };

  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
    : http.createServer(handler);
  // A client that gives up mid-body resets the socket; that is what the tests want, not a server crash.
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    set: (host, path, reply) => replies.set(`${host.toLowerCase()} ${path}`, reply),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A throwaway self-signed certificate for `cn`, made by `openssl req -x509` (P-256, one day). */
export async function selfSignedCert(cn: string): Promise<{ key: string; cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-web-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await selfSignedP256({
      keyFile: key,
      certFile: cert,
      subject: `/CN=${cn}`,
      days: 1,
      extensions: [`subjectAltName=DNS:${cn}`],
    });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
