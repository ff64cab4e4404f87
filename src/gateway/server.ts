// Builds the Fastify app that speaks API 3.0 on `/`: raw body in, envelope out, every time at HTTP 200.
// The per-request steps run in one place (handleApi) around the action's own handler. Never listens itself.

import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Services } from '../actions/context.js';
import type { ActionDefinition } from '../actions/define-action.js';
import { ACTIONS } from '../actions/index.js';
import type { Config } from '../config.js';
import type { PkiResponder } from '../pki/responder.js';
import { createApiFastPath } from './api-fast-path.js';
import { registerConsoleRoutes } from './console-routes.js';
import { header, requestLanguage } from './decode.js';
import { bodyTooLargeMessage, errorBody, JSON_CONTENT_TYPE, type Language, toWireFailure } from './envelope.js';
import { type Health, type HealthChecks, registerHealthRoutes } from './health.js';
import type { Metrics } from './metrics.js';
import { createOverloadGuard } from './overload.js';
import { createApiPipeline } from './pipeline.js';
import { registerPkiRoutes } from './pki-routes.js';
import type { RateLimiter } from './rate-limit.js';
import { Tc3KeyCache } from './signature-v3.js';

export { API_VERSION } from './pipeline.js';

export interface ServerDeps {
  config: Config;
  services: Services;
  rateLimiter: RateLimiter;
  now?: () => number;
  /** extra actions (tests) or a replacement registry */
  actions?: ReadonlyMap<string, ActionDefinition>;
  /** CRL, OCSP and CA-certificate URLs, when this node issues */
  pki?: PkiResponder;
  /** where JSON log lines go; stdout by default */
  logStream?: NodeJS.WritableStream;
  /** Prometheus metrics served at /metrics */
  metrics?: Metrics;
  /** what /readyz checks; the store by default */
  health?: HealthChecks;
}

declare module 'fastify' {
  interface FastifyInstance {
    health: Health;
  }
  interface FastifyRequest {
    tcAction?: string;
    tcCode?: string;
  }
}

function send(reply: FastifyReply, req: FastifyRequest, body: string | Buffer, status = 200): FastifyReply {
  const trace = header(req.headers, 'x-tc-traceid');
  if (trace) reply.header('X-TC-TraceId', trace.slice(0, 256));
  // A Buffer, not a string: Fastify appends "; charset=utf-8" to the content type of string payloads.
  return reply
    .code(status)
    .header('content-type', JSON_CONTENT_TYPE)
    .send(typeof body === 'string' ? Buffer.from(body) : body);
}

function languageOfRequest(req: FastifyRequest): Language {
  return requestLanguage(req.headers, req.raw.url ?? '');
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const actions = deps.actions ?? ACTIONS;
  // Set once the app is built; API requests on a real socket take it before Fastify sees them.
  let fastPath: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      // Node's 16 KB header limit would cut a long GET query off with a bare 431 before maxQueryBytes (32 KB) can
      // answer RequestSizeLimitExceeded in the envelope; leave room for the query plus ordinary headers.
      const server = createHttpServer({ maxHeaderSize: config.limits.maxQueryBytes + 16 * 1024 }, (req, res) => {
        if (!fastPath?.(req, res)) fastifyHandler(req, res);
      });
      // Refuse slow or stuck uploads instead of holding a socket for ever; Fastify's keep-alive default.
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 72_000;
      return server;
    },
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, ...(deps.logStream ? { stream: deps.logStream } : {}) },
    genReqId: () => randomUUID(),
    // One line per request, written in onResponse with the action and the code; Fastify's own two are off.
    logController: new LogController({ requestIdLogLabel: 'RequestId', disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    // No route declares a JSON schema (parameters are zod's), so Fastify's Ajv and serializer compilers, which it
    // would otherwise load at start (a quarter of a second), are never needed.
    schemaController: {
      compilersFactory: {
        buildValidator: () => () => {
          throw new Error('tcssl routes declare no JSON schemas');
        },
        buildSerializer: () => () => {
          throw new Error('tcssl routes declare no JSON schemas');
        },
      },
    },
    return503OnClosing: false,
    // Broken HTTP framing never reaches a handler; answer it with an envelope body anyway.
    clientErrorHandler(err, socket) {
      const body = errorBody(randomUUID(), 'InvalidRequest', 'The HTTP request is malformed.');
      const status = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            `Content-Type: ${JSON_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      } else {
        socket.destroy();
      }
    },
  });

  // First of all hooks: a refused request costs nothing else.
  const guard = createOverloadGuard({
    maxInFlight: config.limits.maxInFlight,
    onReject: () => deps.metrics?.overloadRejected(),
  });
  guard.install(app);

  // While closing, answers carry `Connection: close`: Fastify closes only connections idle at close time, so a
  // keep-alive connection whose request was in flight would otherwise hold the process until the client lets go.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_req, reply, _payload, done) => {
    if (closing) reply.header('connection', 'close');
    done();
  });

  // Every body is read raw: signatures are computed over the exact bytes, and decode.ts decides the form.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const lang = languageOfRequest(req);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      req.tcCode = 'RequestSizeLimitExceeded';
      const msg = bodyTooLargeMessage(lang, config.limits.maxBodyBytes);
      return send(reply, req, errorBody(req.id, 'RequestSizeLimitExceeded', msg));
    }
    if (err.statusCode && err.statusCode < 500) {
      req.tcCode = 'InvalidRequest';
      const msg = lang === 'zh-CN' ? '请求格式错误。' : `The request is malformed: ${err.code ?? 'bad request'}.`;
      return send(reply, req, errorBody(req.id, 'InvalidRequest', msg));
    }
    req.log.error({ err }, 'unhandled error');
    req.tcCode = 'InternalError';
    return send(reply, req, errorBody(req.id, 'InternalError', toWireFailure(err, lang).message));
  });

  app.setNotFoundHandler((req, reply) => {
    req.tcCode = 'ResourceNotFound';
    return send(reply, req, errorBody(req.id, 'ResourceNotFound', `No such path: the API answers on / only.`), 404);
  });

  app.addHook('onResponse', (req, reply, done) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      const code = req.tcCode ?? 'Success';
      deps.metrics?.observe(req.tcAction, code, reply.elapsedTime / 1000);
      req.log.info({ action: req.tcAction, code, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
    done();
  });

  const pipeline = createApiPipeline({
    config,
    services: deps.services,
    rateLimiter: deps.rateLimiter,
    actions,
    now,
    keyCache: new Tc3KeyCache(),
  });

  // The same pipeline behind Fastify's router: what `app.inject()` reaches (tests), and HEAD.
  const handleApi = async (req: FastifyRequest, reply: FastifyReply) => {
    const out = await pipeline({
      method: req.method,
      url: req.raw.url ?? '/',
      headers: req.headers,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      requestId: req.id,
      log: req.log,
    });
    req.tcAction = out.action;
    req.tcCode = out.code === 'Success' ? undefined : out.code;
    return send(reply, req, out.body);
  };

  fastPath = createApiFastPath({
    pipeline,
    guard,
    maxBodyBytes: config.limits.maxBodyBytes,
    closing: () => closing,
    ...(deps.metrics ? { observe: (a, c, s) => deps.metrics?.observe(a, c, s) } : {}),
    log: app.log,
  });

  app.route({ method: ['GET', 'POST'], url: '/', handler: handleApi });
  if (deps.pki) registerPkiRoutes(app, deps.pki);
  registerConsoleRoutes(app);
  app.decorate('health', registerHealthRoutes(app, deps.health ?? { store: () => deps.services.orders.store.ping() }));
  deps.metrics?.registerMetricsRoute(app);
  // Other methods on / still get the envelope, not Fastify's 404.
  app.route({
    method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/',
    handler: async (req, reply) => {
      req.tcCode = 'UnsupportedProtocol';
      return send(
        reply,
        req,
        errorBody(req.id, 'UnsupportedProtocol', `The HTTP method ${req.method} is not supported; use GET or POST.`),
      );
    },
  });

  return app;
}
