// The URLs our certificates name: the CRL of each issuer, the OCSP responder (RFC 6960 A.1: POST, and GET with the
// base64 request in the path) and the CA certificates (AIA caIssuers). Plain HTTP, not API 3.0.

import type { FastifyInstance } from 'fastify';
import { decodeOcspGetPath, ocspErrorResponse } from '../pki/ocsp.js';
import type { PkiResponder } from '../pki/responder.js';

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function registerPkiRoutes(app: FastifyInstance, responder: PkiResponder): void {
  app.get<{ Params: { file: string } }>('/crl/:file', async (req, reply) => {
    const id = req.params.file.replace(/\.crl$/, '');
    const der = ID.test(id) ? await responder.crl(id) : undefined;
    if (!der) return reply.code(404).type('text/plain').send('no such CRL\n');
    return reply.type('application/pkix-crl').header('cache-control', 'max-age=300').send(Buffer.from(der));
  });

  app.get<{ Params: { file: string } }>('/ca/:file', async (req, reply) => {
    const id = req.params.file.replace(/\.(crt|cer|der)$/, '');
    const der = ID.test(id) ? responder.caCertificate(id) : undefined;
    if (!der) return reply.code(404).type('text/plain').send('no such CA certificate\n');
    return reply.type('application/pkix-cert').send(Buffer.from(der));
  });

  const ocspReply = (body: Uint8Array) => Buffer.from(body);
  app.post('/ocsp', async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return reply.type('application/ocsp-response').send(ocspReply(await responder.ocsp(body)));
  });
  app.get<{ Params: { '*': string } }>('/ocsp/*', async (req, reply) => {
    let der: Uint8Array;
    try {
      der = decodeOcspGetPath(req.params['*']);
    } catch {
      return reply.type('application/ocsp-response').send(ocspReply(ocspErrorResponse('malformedRequest')));
    }
    return reply.type('application/ocsp-response').send(ocspReply(await responder.ocsp(der)));
  });
}
