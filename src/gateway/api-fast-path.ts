// The API's own HTTP path: requests for `/` (GET and POST) go from node:http straight to the API pipeline, and only
// every other request (health, metrics, PKI, console, other methods) goes through Fastify's router, hooks and reply.
// The benchmark measured Fastify's per-request machinery (hooks, reply, request logger) at more than the cost of a
// cheap signed action itself; this path does the same few things by hand: admission (the overload guard), a bounded
// body read, the envelope at HTTP 200, `Connection: close` while closing, the metrics and the request's log line.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../actions/context.js';
import { runAsBatch } from '../batch.js';
import { header, requestLanguage } from './decode.js';
import { bodyTooLargeMessage, errorBody, JSON_CONTENT_TYPE, toWireFailure } from './envelope.js';
import type { OverloadGuard } from './overload.js';

/** One API request as the pipeline sees it, whichever HTTP layer read it. */
export interface ApiExchange {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  requestId: string;
  log: Logger;
}

export interface ApiOutcome {
  /** the envelope, as text or in UTF-8 */
  body: string | Buffer;
  /** the result code, 'Success' or the error's */
  code: string;
  /** the action named by the request, for logs and metrics; undefined when none was decoded */
  action: string | undefined;
}

export type ApiPipeline = (x: ApiExchange) => Promise<ApiOutcome>;

export interface FastPathDeps {
  pipeline: ApiPipeline;
  guard: OverloadGuard;
  maxBodyBytes: number;
  /** true once the server is closing: answers then carry `Connection: close` */
  closing(): boolean;
  observe?(action: string | undefined, code: string, seconds: number): void;
  /** the process logger; a child with the RequestId is made only when a handler logs */
  log: Logger & { child(bindings: object): Logger; level: string };
  /** how long a request whose client left may keep its slot while its handler still runs, ms */
  abandonedHoldMs?: number;
}

/** A logger that makes its RequestId child on first use: most requests never log from a handler. */
function lazyChild(log: FastPathDeps['log'], requestId: string): Logger {
  let child: Logger | undefined;
  const get = () => {
    child ??= log.child({ RequestId: requestId });
    return child;
  };
  return {
    info: (obj, msg) => get().info(obj, msg),
    warn: (obj, msg) => get().warn(obj, msg),
    error: (obj, msg) => get().error(obj, msg),
  };
}

/**
 * Returns the node:http request listener's first step: true when it took the request (an API call on `/`), false
 * when Fastify should route it.
 */
export function createApiFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const holdMs = deps.abandonedHoldMs ?? 60_000;
  const logRequests = ['trace', 'debug', 'info'].includes(deps.log.level);
  const startSoon = startsInBatches();

  return (req, res) => {
    const url = req.url ?? '';
    if (url !== '/' && !url.startsWith('/?')) return false;
    if (req.method !== 'POST' && req.method !== 'GET') return false;
    const started = performance.now();
    const requestId = randomUUID();

    const answer = (body: string | Buffer, code: string, action: string | undefined, close = false) => {
      if (!res.destroyed) {
        const buf = typeof body === 'string' ? Buffer.from(body) : body;
        const headers: Record<string, string | number> = {
          'content-type': JSON_CONTENT_TYPE,
          'content-length': buf.length,
        };
        const trace = header(req.headers, 'x-tc-traceid');
        if (trace) headers['x-tc-traceid'] = trace.slice(0, 256);
        if (close || deps.closing()) headers.connection = 'close';
        res.writeHead(200, headers);
        res.end(buf);
      }
      const seconds = (performance.now() - started) / 1000;
      deps.observe?.(action, code, seconds);
      if (logRequests) {
        deps.log.info({ RequestId: requestId, action, code, ms: Math.round(seconds * 10_000) / 10 }, 'request');
      }
    };

    if (!deps.guard.enter()) {
      // Refused before the body is read, at HTTP 200: the SDKs see only a bare error on any other status.
      const msg = deps.guard.busyMessage(requestLanguage(req.headers, url) === 'en-US');
      answer(errorBody(requestId, 'ServiceUnavailable', msg), 'ServiceUnavailable', undefined, true);
      req.resume();
      return true;
    }
    let released = false;
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      deps.guard.leave();
    };
    let working = false;
    // The work goes on after a client leaves, so its slot stays taken (clients that time out and retry must not
    // multiply the load) for at most holdMs; a client that leaves before its body arrived gives it back at once.
    res.once('close', () => {
      if (res.writableEnded || !working) return release();
      timer = setTimeout(release, holdMs);
      timer.unref();
    });

    const tooLarge = () => {
      const msg = bodyTooLargeMessage(requestLanguage(req.headers, url), deps.maxBodyBytes);
      // The rest of the body is not read: the connection closes after the answer.
      answer(errorBody(requestId, 'RequestSizeLimitExceeded', msg), 'RequestSizeLimitExceeded', undefined, true);
      release();
    };
    const declared = Number(header(req.headers, 'content-length') ?? 0);
    if (declared > deps.maxBodyBytes) {
      tooLarge();
      return true;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > deps.maxBodyBytes) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', release);
    req.once('end', () => {
      if (refused) return;
      working = true;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      startSoon(() => {
        let work: Promise<ApiOutcome>;
        try {
          // Promise.resolve: a pipeline that answers without a promise still goes through the chain below.
          work = Promise.resolve(
            deps.pipeline({
              method: req.method as string,
              url,
              headers: req.headers,
              body,
              requestId,
              log: lazyChild(deps.log, requestId),
            }),
          );
        } catch (err) {
          // A pipeline that throws before its first await must not stop the rest of its batch.
          work = Promise.reject(err);
        }
        work
          .catch((err: unknown) => {
            // The pipeline answers every failure itself; this is the last guard so that the process never crashes.
            deps.log.error({ RequestId: requestId, err }, 'internal error');
            const { code, message } = toWireFailure(err, requestLanguage(req.headers, url));
            return { body: errorBody(requestId, code, message), code, action: undefined };
          })
          .then((out) => answer(out.body, out.code, out.action))
          .catch((err: unknown) => {
            // Answering failed (a log or metric sink that threw): nothing is left to tell the client.
            try {
              deps.log.error({ RequestId: requestId, err }, 'answer failed');
            } catch {}
          })
          // The work is over, answered or not (its client may have gone): the slot goes back.
          .finally(release);
      });
    });
    return true;
  };
}

/**
 * Returns `startSoon(start)`: `start` runs in the next check phase of the event loop (setImmediate), with every other
 * start queued since the last one, one after another in one callback (`runAsBatch`, src/batch.ts). Node runs a
 * callback's ticks and promise jobs only once it returns, so the requests a poll phase read (often twenty or more
 * under load, one per connection that had data) run their pipelines in one drain of those queues, and the store's read
 * cache reads its wal-index header once for most of them (`heldForTheTurn`, src/store/read-cache.ts) instead of once
 * per connection's callback. Each of them arrived before that drain began, which is what the held header needs. The
 * check phase follows the poll phase without waiting, so no request waits for a timer. A start does not throw: it
 * answers its own failures.
 */
function startsInBatches(): (start: () => void) => void {
  let due: Array<() => void> = [];
  const runDue = () => {
    const batch = due;
    due = [];
    runAsBatch(() => {
      for (const start of batch) start();
    });
  };
  return (start) => {
    if (due.push(start) === 1) setImmediate(runDue);
  };
}
