// The API pipeline: from one request's raw bytes to its envelope, whichever HTTP layer read it (the fast path on a real
// socket, Fastify's router under `inject()`). Decode, version and action, authentication, rate limit, parameters,
// the caller's policy, the action's handler; every failure becomes an envelope here. Knows no HTTP.

import type { ActionContext, Services } from '../actions/context.js';
import type { ActionDefinition } from '../actions/define-action.js';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import { evaluate } from '../iam/policy.js';
import type { ApiPipeline } from './api-fast-path.js';
import { authenticate } from './authenticate.js';
import { decodeRequest, type RawRequest, requestLanguage } from './decode.js';
import { errorBody, type Language, successBody, toWireFailure, WireError } from './envelope.js';
import { parseParams } from './params.js';
import type { RateLimiter } from './rate-limit.js';
import type { Tc3KeyCache } from './signature-v3.js';

export const API_VERSION = '2019-12-05';

export interface PipelineDeps {
  config: Config;
  services: Services;
  rateLimiter: RateLimiter;
  actions: ReadonlyMap<string, ActionDefinition>;
  now: () => number;
  keyCache: Tc3KeyCache;
}

export function createApiPipeline(deps: PipelineDeps): ApiPipeline {
  const { config, actions } = deps;
  const authDeps = {
    resolveKey: (id: string) => deps.services.iam.resolveKey(id),
    now: deps.now,
    clockSkewSeconds: config.limits.clockSkewSeconds,
    keyCache: deps.keyCache,
  };
  return async (x) => {
    const q = x.url.indexOf('?');
    const raw: RawRequest = {
      method: x.method,
      rawQuery: q < 0 ? '' : x.url.slice(q + 1),
      headers: x.headers,
      body: x.body,
    };
    let lang: Language = requestLanguage(x.headers, x.url);
    let def: ActionDefinition | undefined;
    let action: string | undefined;
    try {
      if (raw.rawQuery.length > config.limits.maxQueryBytes) {
        throw new WireError(
          'RequestSizeLimitExceeded',
          `The query string exceeds ${config.limits.maxQueryBytes} bytes.`,
        );
      }
      const decoded = decodeRequest(raw);
      lang = decoded.language;
      action = decoded.action.slice(0, 64) || undefined;
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
      const caller = await authenticate(decoded, raw, authDeps);
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
      const { iam, orders, certificates, ca } = deps.services;
      // Named, not spread: the assembled services carry many more fields than a handler may see.
      const ctx: ActionContext = {
        iam,
        orders,
        certificates,
        ca,
        caller,
        requestId: x.requestId,
        language: lang,
        log: x.log,
      };
      const result = await def.handle(ctx, params);
      return { body: successBody(x.requestId, result), code: 'Success', action };
    } catch (e) {
      const failure = toWireFailure(e, lang, def?.errors);
      if (failure.internal) x.log.error({ err: e, action: def?.name }, 'internal error');
      return { body: errorBody(x.requestId, failure.code, failure.message), code: failure.code, action };
    }
  };
}
