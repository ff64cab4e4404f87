// Probes for orchestrators and load balancers: /healthz (the process answers) and /readyz (its dependencies answer,
// and it is not draining). Knows what to call, not what a store or Redis is; never speaks the API envelope.

import type { FastifyInstance, FastifyReply } from 'fastify';

export type Check = () => Promise<void>;

export interface HealthChecks {
  /** the database answers a trivial query (Store.ping) */
  store: Check;
  /** the shared rate-limit store answers, when there is one */
  redis?: Check;
}

export interface HealthOptions {
  /** Time limit of one check, ms. Below a typical probe timeout (Kubernetes: 1 s by default, often raised to
   * 3–5 s), so a hung database makes /readyz answer 503 in time instead of the probe giving up. */
  timeoutMs?: number;
}

export interface Health {
  /** true: /readyz answers 503 {"status":"draining"} so load balancers stop sending traffic before shutdown */
  setDraining(draining: boolean): void;
}

interface CheckResult {
  status: 'ok' | 'fail';
  ms: number;
  error?: string;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

/** Rejects when p has not settled within ms; p itself is not cancelled. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Not unref'd: whoever awaits this must get an answer even when nothing else keeps the event loop alive.
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * At most one call of `check` runs at a time: probes that arrive while it runs wait on the same promise. A hung
 * database therefore costs one pending query, not one per probe every few seconds.
 */
function singleFlight(check: Check): Check {
  let running: Promise<void> | undefined;
  return () => {
    // Through then(): a check that throws synchronously still becomes a rejection, reported like any other.
    running ??= Promise.resolve()
      .then(check)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

/** The message only: a stack would show the layout of the code, and it goes to whoever can reach the port. */
function messageOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // A Buffer keeps the content type exactly application/json (Fastify adds a charset to string payloads).
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .header('cache-control', 'no-store')
    .send(Buffer.from(JSON.stringify(body)));
}

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks, opts: HealthOptions = {}): Health {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const named = Object.entries(checks)
    .filter((entry): entry is [string, Check] => typeof entry[1] === 'function')
    .map(([name, check]) => [name, singleFlight(check)] as const);
  let draining = false;

  app.get('/healthz', async (_req, reply) => sendJson(reply, 200, { status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (draining) return sendJson(reply, 503, { status: 'draining' });
    const results = await Promise.all(
      named.map(async ([name, check]): Promise<[string, CheckResult]> => {
        const start = performance.now();
        const ms = () => Math.round((performance.now() - start) * 10) / 10;
        try {
          await withTimeout(check(), timeoutMs, name);
          return [name, { status: 'ok', ms: ms() }];
        } catch (e) {
          return [name, { status: 'fail', ms: ms(), error: messageOf(e) }];
        }
      }),
    );
    const ok = results.every(([, r]) => r.status === 'ok');
    return sendJson(reply, ok ? 200 : 503, { status: ok ? 'ok' : 'fail', checks: Object.fromEntries(results) });
  });

  return {
    setDraining(value) {
      draining = value;
    },
  };
}
