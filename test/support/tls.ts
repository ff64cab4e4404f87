// Real TLS handshakes for tests: a Node TLS server on 127.0.0.1 configured with a downloaded key and bundle, and a
// client that says whether it accepted the server's chain and name, and if not, why (Node's error code).

import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

export interface TlsServer {
  port: number;
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1:<free port> that answers every handshake with `cert` (leaf first, then the chain). */
export async function startTlsServer(opts: { key: string; cert: string }): Promise<TlsServer> {
  const server = tls.createServer({ key: opts.key, cert: opts.cert }, (socket) => socket.end('hello\n'));
  // A client that refuses the certificate aborts the handshake; the server side of that is expected, not a failure.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type HandshakeResult =
  | { ok: true; authorized: boolean; protocol: string | null; peerSubjectCN: string | undefined }
  | { ok: false; code: string; message: string };

/**
 * Connects to 127.0.0.1:`port` asking for `servername` (SNI, and the name checked against the certificate). With
 * `ca`, only those roots are trusted; without it, Node's bundled root store is, as for any public client.
 */
export function handshake(opts: { port: number; servername: string; ca?: string[] }): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: opts.port,
      servername: opts.servername,
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: true,
    });
    socket.setTimeout(10_000, () =>
      socket.destroy(Object.assign(new Error('handshake timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.once('secureConnect', () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      resolve({
        ok: true,
        authorized: socket.authorized,
        protocol: socket.getProtocol(),
        peerSubjectCN: Array.isArray(cn) ? cn[0] : cn,
      });
      socket.end();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      resolve({ ok: false, code: e.code ?? 'unknown', message: e.message });
      socket.destroy();
    });
  });
}
