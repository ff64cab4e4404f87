// Load shedding on the API path: past maxInFlight requests in flight, a new one is answered at once with the
// envelope and ServiceUnavailable (retryable) instead of waiting in an unbounded queue. Knows no action.

import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { header, requestLanguage } from './decode.js';
import { errorBody, JSON_CONTENT_TYPE } from './envelope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the result code, for the request log line and metrics (also declared in server.ts) */
    tcCode?: string;
  }
}

export interface OverloadOptions {
  /** API requests allowed in flight at once; the next one is refused until one ends. */
  maxInFlight: number;
  /** told of each refused request (metrics.overloadRejected) */
  onReject?: () => void;
  /**
   * How long a request whose client has gone away may keep its slot while its handler still runs, ms. The work
   * goes on after a disconnect, so it keeps counting (clients that time out and retry must not multiply the load);
   * the limit only makes sure that a handler that never answers cannot hold a slot for ever.
   */
  abandonedHoldMs?: number;
}

export interface OverloadGuard {
  /** admits the request (takes a slot) or answers ServiceUnavailable at once */
  onRequest(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /** the handler has produced its answer: the slot goes back once the connection is done too */
  onSend(req: FastifyRequest, reply: FastifyReply, payload: unknown, done: HookHandlerDoneFunction): void;
  /** the answer went out: the slot goes back */
  onResponse(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /** the API fast path's admission (api-fast-path.ts): takes a slot and says true, or tells onReject and says false */
  enter(): boolean;
  /** gives back a slot that enter() took */
  leave(): void;
  /** the refusal's text */
  busyMessage(english: boolean): string;
  /** API requests holding a slot now */
  inFlight(): number;
  /** adds the three hooks to app; call it before any other hook so a refused request costs nothing else */
  install(app: FastifyInstance): void;
}

interface Slot {
  /** onSend ran: the handler's work is over */
  handled: boolean;
  /** the response's 'close' fired: finished, or the client went away */
  closed: boolean;
  released: boolean;
  timer?: NodeJS.Timeout;
}

const DEFAULT_ABANDONED_HOLD_MS = 60_000;

function busyMessage(english: boolean, max: number): string {
  return english
    ? `The server is busy: more than ${max} requests are in flight; retry later.`
    : `服务繁忙：进行中的请求超过 ${max} 个，请稍后重试。`;
}

export function createOverloadGuard(opts: OverloadOptions): OverloadGuard {
  const max = opts.maxInFlight;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxInFlight must be a positive integer, not ${max}`);
  const holdMs = opts.abandonedHoldMs ?? DEFAULT_ABANDONED_HOLD_MS;
  const slots = new WeakMap<FastifyRequest, Slot>();
  let count = 0;

  const release = (slot: Slot) => {
    if (slot.released) return;
    slot.released = true;
    clearTimeout(slot.timer);
    count--;
  };

  // Callback-style hooks, not async ones: each async hook costs a promise and a microtask turn on every request,
  // which the benchmark measured at several percent of a cheap request's time.
  const guard: OverloadGuard = {
    onRequest(req, reply, done) {
      // Only the API is shed: /healthz, /readyz and /metrics must answer most of all when the API is busy.
      if (req.routeOptions.url !== '/') return done();
      if (count >= max) {
        opts.onReject?.();
        req.tcCode = 'ServiceUnavailable';
        const trace = header(req.headers, 'x-tc-traceid');
        if (trace) reply.header('X-TC-TraceId', trace.slice(0, 256));
        // Answered before the body is read, and at HTTP 200: the SDKs see only a bare error on any other status.
        // A Buffer, so Fastify does not append "; charset=utf-8".
        reply
          .code(200)
          .header('content-type', JSON_CONTENT_TYPE)
          .send(
            Buffer.from(
              errorBody(
                req.id,
                'ServiceUnavailable',
                busyMessage(requestLanguage(req.headers, req.raw.url ?? '') === 'en-US', max),
              ),
            ),
          );
        return;
      }
      count++;
      const slot: Slot = { handled: false, closed: false, released: false };
      slots.set(req, slot);
      // Neither onResponse nor onRequestAbort runs when a client drops a POST whose body was read (the response
      // never finishes and the request was complete), but the response's 'close' always fires.
      reply.raw.once('close', () => {
        slot.closed = true;
        if (slot.handled || reply.raw.writableEnded) {
          release(slot);
        } else {
          slot.timer = setTimeout(() => release(slot), holdMs);
          slot.timer.unref();
        }
      });
      done();
    },
    onSend(req, _reply, _payload, done) {
      const slot = slots.get(req);
      if (slot) {
        slot.handled = true;
        if (slot.closed) release(slot);
      }
      done();
    },
    onResponse(req, _reply, done) {
      const slot = slots.get(req);
      if (slot) release(slot);
      done();
    },
    enter() {
      if (count >= max) {
        opts.onReject?.();
        return false;
      }
      count++;
      return true;
    },
    leave() {
      count--;
    },
    busyMessage: (english) => busyMessage(english, max),
    inFlight: () => count,
    install(app) {
      app.addHook('onRequest', guard.onRequest);
      app.addHook('onSend', guard.onSend);
      app.addHook('onResponse', guard.onResponse);
    },
  };
  return guard;
}
