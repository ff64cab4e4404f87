// Builds the Fastify app that speaks API 3.0 on `/`: raw body in, envelope out, every time at HTTP 200.
// The per-request steps run in one place (handleApi) around the action's own handler. Never listens itself.

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Services } from '../actions/context.js';
import type { ActionDefinition } from '../actions/define-action.js';
import { ACTIONS } from '../actions/index.js';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import { evaluate } from '../iam/policy.js';
import type { PkiResponder } from '../pki/responder.js';
import { authenticate } from './authenticate.js';
import { registerConsoleRoutes } from './console-routes.js';
import { decodeRequest, header, type RawRequest } from './decode.js';
import { errorBody, type Language, successBody, toWireFailure, WireError } from './envelope.js';
import { type Health, type HealthChecks, registerHealthRoutes } from './health.js';
import type { Metrics } from './metrics.js';
import { createOverloadGuard } from './overload.js';
import { parseParams } from './params.js';
import { registerPkiRoutes } from './pki-routes.js';
import type { RateLimiter } from './rate-limit.js';
import { Tc3KeyCache } from './signature-v3.js';

export const API_VERSION = '2019-12-05';

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

/** Exactly application/json: the Python SDK treats any other content type (even with a charset) as success. */
const JSON_TYPE = 'application/json';

function send(reply: FastifyReply, req: FastifyRequest, body: string, status = 200): FastifyReply {
  const trace = header(req.headers, 'x-tc-traceid');
  if (trace) reply.header('X-TC-TraceId', trace.slice(0, 256));
  // A Buffer, not a string: Fastify appends "; charset=utf-8" to the content type of string payloads.
  return reply.code(status).header('content-type', JSON_TYPE).send(Buffer.from(body));
}

function languageOfRequest(req: FastifyRequest): Language {
  if (header(req.headers, 'x-tc-language') === 'en-US') return 'en-US';
  return /(?:^|[?&])Language=en-US(?:&|$)/.test(req.raw.url ?? '') ? 'en-US' : 'zh-CN';
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const actions = deps.actions ?? ACTIONS;
  const keyCache = new Tc3KeyCache();
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, ...(deps.logStream ? { stream: deps.logStream } : {}) },
    genReqId: () => randomUUID(),
    // One line per request, written in onResponse with the action and the code; Fastify's own two are off.
    logController: new LogController({ requestIdLogLabel: 'RequestId', disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    // Node's 16 KB header limit would cut a long GET query off with a bare 431 before maxQueryBytes (32 KB) can
    // answer RequestSizeLimitExceeded in the envelope; leave room for the query plus ordinary headers.
    http: { maxHeaderSize: config.limits.maxQueryBytes + 16 * 1024 },
    // Refuse slow or stuck uploads instead of holding a socket for ever.
    requestTimeout: 30_000,
    return503OnClosing: false,
    // Broken HTTP framing never reaches a handler; answer it with an envelope body anyway.
    clientErrorHandler(err, socket) {
      const body = errorBody(randomUUID(), 'InvalidRequest', 'The HTTP request is malformed.');
      const status = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      } else {
        socket.destroy();
      }
    },
  });

  // First of all hooks: a refused request costs nothing else.
  createOverloadGuard({
    maxInFlight: config.limits.maxInFlight,
    onReject: () => deps.metrics?.overloadRejected(),
  }).install(app);

  // While closing, answers carry `Connection: close`: Fastify closes only connections idle at close time, so a
  // keep-alive connection whose request was in flight would otherwise hold the process until the client lets go.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // Every body is read raw: signatures are computed over the exact bytes, and decode.ts decides the form.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const lang = languageOfRequest(req);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      req.tcCode = 'RequestSizeLimitExceeded';
      const msg =
        lang === 'zh-CN'
          ? `请求包超过限制大小（${config.limits.maxBodyBytes} 字节）。`
          : `The request body exceeds ${config.limits.maxBodyBytes} bytes.`;
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

  app.addHook('onResponse', async (req, reply) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      const code = req.tcCode ?? 'Success';
      deps.metrics?.observe(req.tcAction, code, reply.elapsedTime / 1000);
      req.log.info({ action: req.tcAction, code, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
  });

  const handleApi = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const raw: RawRequest = {
      method: req.method,
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    };
    let lang: Language = languageOfRequest(req);
    let def: ActionDefinition | undefined;
    try {
      if (raw.rawQuery.length > config.limits.maxQueryBytes) {
        throw new WireError(
          'RequestSizeLimitExceeded',
          `The query string exceeds ${config.limits.maxQueryBytes} bytes.`,
        );
      }
      const decoded = decodeRequest(raw);
      lang = decoded.language;
      req.tcAction = decoded.action.slice(0, 64) || undefined;
      if (!decoded.action)
        throw new WireError('MissingParameter', 'The parameter `Action` is required.', '缺少参数 `Action`。');
      if (!decoded.version)
        throw new WireError('MissingParameter', 'The parameter `Version` is required.', '缺少参数 `Version`。');
      if (decoded.version !== API_VERSION) {
        throw new WireError(
          'NoSuchVersion',
          `The version ${decoded.version.slice(0, 32)} does not exist; the ssl API is version ${API_VERSION}.`,
          `接口版本 ${decoded.version.slice(0, 32)} 不存在，ssl 接口版本为 ${API_VERSION}。`,
        );
      }
      def = actions.get(decoded.action);
      if (!def) {
        throw new WireError(
          'InvalidAction',
          `The action ${decoded.action.slice(0, 64)} does not exist in ssl ${API_VERSION}.`,
          `接口 ${decoded.action.slice(0, 64)} 不存在。`,
        );
      }
      const caller = await authenticate(decoded, raw, {
        resolveKey: (id) => deps.services.iam.resolveKey(id),
        now,
        clockSkewSeconds: config.limits.clockSkewSeconds,
        keyCache,
      });
      if (config.rateLimit.enabled) {
        const limit = config.rateLimit.perAction[def.name] ?? def.ratePerSecond ?? config.rateLimit.defaultPerSecond;
        if (!(await deps.rateLimiter.take(`${caller.uin}:${def.name}`, limit))) {
          throw new WireError(
            'RequestLimitExceeded',
            `More than ${limit} ${def.name} requests per second from this account.`,
            `该账号 ${def.name} 的请求超过每秒 ${limit} 次的频率限制。`,
          );
        }
      }
      const params = parseParams(def.params, decoded.params);
      if (evaluate(caller, def.permission) === 'deny-action') {
        throw new DomainError('AuthError', `Your policies do not allow ${def.permission}.`);
      }
      const result = await def.handle(
        { ...deps.services, caller, requestId: req.id, language: lang, log: req.log },
        params,
      );
      return send(reply, req, successBody(req.id, result));
    } catch (e) {
      const failure = toWireFailure(e, lang, def?.errors);
      req.tcCode = failure.code;
      if (failure.internal) req.log.error({ err: e, action: def?.name }, 'internal error');
      return send(reply, req, errorBody(req.id, failure.code, failure.message));
    }
  };

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
