// Load shedding over real sockets: past maxInFlight, API requests are refused at once with ServiceUnavailable in the
// envelope; slots come back when requests end, also when clients go away; probes are never refused.

import assert from 'node:assert/strict';
import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { successBody } from '../../src/gateway/envelope.js';
import { registerHealthRoutes } from '../../src/gateway/health.js';
import { createOverloadGuard, type OverloadGuard, type OverloadOptions } from '../../src/gateway/overload.js';
import { until } from '../support/until.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Harness {
  app: FastifyInstance;
  guard: OverloadGuard;
  port: number;
  /** handlers that have started and wait on the gate */
  entered(): number;
  /** server-side responses whose 'close' fired */
  closed(): number;
  rejected(): number;
  /** lets every waiting (and later) handler finish */
  release(): void;
}

/** An API on / that waits on a gate the test opens, behind the guard, listening on a real port. */
async function start(opts: Partial<OverloadOptions> = {}): Promise<Harness> {
  let rejected = 0;
  let entered = 0;
  let closed = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const app = Fastify();
  const guard = createOverloadGuard({ maxInFlight: 2, onReject: () => rejected++, ...opts });
  guard.install(app);
  registerHealthRoutes(app, { store: async () => {} });
  // As the gateway does: every body is read raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.route({
    method: ['GET', 'POST'],
    url: '/',
    handler: async (req, reply) => {
      entered++;
      reply.raw.once('close', () => closed++);
      await gate;
      return reply.header('content-type', 'application/json').send(Buffer.from(successBody(req.id, {})));
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    guard,
    port: (app.server.address() as AddressInfo).port,
    entered: () => entered,
    closed: () => closed,
    rejected: () => rejected,
    release: () => open(),
  };
}

/** One request on its own connection; `req` lets the test destroy it mid-flight. */
function send(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): { req: ClientRequest; answer: Promise<Answer> } {
  const req = request({
    host: '127.0.0.1',
    port,
    method: opts.method ?? 'POST',
    path: opts.path ?? '/',
    agent: false,
    headers: { 'content-type': 'application/json', ...opts.headers },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
  });
  req.end(opts.body ?? (opts.method === 'GET' ? undefined : '{}'));
  return { req, answer };
}

function assertBusy(a: Answer, max: number): void {
  assert.equal(a.status, 200, 'the envelope always travels at HTTP 200');
  assert.equal(a.headers['content-type'], 'application/json');
  const body = JSON.parse(a.body).Response;
  assert.equal(body.Error.Code, 'ServiceUnavailable');
  assert.match(body.Error.Message, new RegExp(`${max}`));
  assert.match(body.RequestId, /^\S+$/);
}

describe('overload guard', () => {
  test('with 2 in flight, 3 more of 5 concurrent requests get ServiceUnavailable at once', async () => {
    const h = await start();
    const calls = Array.from({ length: 5 }, () => send(h.port, { headers: { 'x-tc-language': 'en-US' } }));
    const answered: Answer[] = [];
    const pending = new Set(calls.map((c) => c.answer));
    for (const c of calls) {
      void c.answer.then((a) => {
        answered.push(a);
        pending.delete(c.answer);
      });
    }
    // The gate is still shut: only refused requests can come back.
    await until(() => answered.length === 3, 'three requests are refused');
    assert.equal(h.entered(), 2);
    assert.equal(h.guard.inFlight(), 2);
    assert.equal(h.rejected(), 3);
    for (const a of answered) assertBusy(a, 2);
    assert.match(JSON.parse(answered[0].body).Response.Error.Message, /^The server is busy: more than 2 requests/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pending.size, 2, 'the admitted two still wait');

    h.release();
    for (const a of await Promise.all(pending)) {
      assert.equal(a.status, 200);
      assert.equal(JSON.parse(a.body).Response.Error, undefined);
    }
    await until(() => h.guard.inFlight() === 0, 'every slot is back');
    const after = await Promise.all([send(h.port).answer, send(h.port).answer]);
    for (const a of after) assert.equal(JSON.parse(a.body).Response.Error, undefined, 'new requests succeed');
    assert.equal(h.guard.inFlight(), 0);
    await h.app.close();
  });

  test('a refusal is in Chinese unless the caller asks for English, as every gateway message', async () => {
    const h = await start({ maxInFlight: 1 });
    const first = send(h.port);
    await until(() => h.entered() === 1, 'the first request is in');
    const zh = await send(h.port).answer;
    assertBusy(zh, 1);
    assert.match(JSON.parse(zh.body).Response.Error.Message, /服务繁忙/);
    const v1 = await send(h.port, { method: 'GET', path: '/?Action=DescribeCertificates&Language=en-US' }).answer;
    assert.match(JSON.parse(v1.body).Response.Error.Message, /^The server is busy/);
    h.release();
    await first.answer;
    await h.app.close();
  });

  test('/healthz and /readyz answer while the API is full', async () => {
    const h = await start();
    const calls = [send(h.port), send(h.port)];
    await until(() => h.entered() === 2, 'both slots are taken');
    assertBusy(await send(h.port).answer, 2);
    for (const path of ['/healthz', '/readyz']) {
      const a = await send(h.port, { method: 'GET', path }).answer;
      assert.equal(a.status, 200, path);
      assert.equal(JSON.parse(a.body).status, 'ok');
    }
    assert.equal(h.guard.inFlight(), 2);
    h.release();
    await Promise.all(calls.map((c) => c.answer));
    await h.app.close();
  });

  test('a request whose client goes away keeps its slot while its handler works, then gives it back', async () => {
    const h = await start();
    // POST: its body was read, so neither onResponse nor onRequestAbort ever runs for it. GET: onRequestAbort does.
    const post = send(h.port, { body: '{"Limit":10}' });
    const get = send(h.port, { method: 'GET', path: '/?Action=DescribeCertificates' });
    for (const c of [post, get]) c.answer.catch(() => {});
    await until(() => h.entered() === 2, 'both handlers wait');
    post.req.destroy();
    get.req.destroy();
    await until(() => h.closed() === 2, 'the server sees both connections close');
    assert.equal(h.guard.inFlight(), 2, 'abandoned work still counts: retries must not multiply the load');
    assertBusy(await send(h.port).answer, 2);

    h.release();
    await until(() => h.guard.inFlight() === 0, 'the slots come back once the handlers end');
    const a = await send(h.port).answer;
    assert.equal(JSON.parse(a.body).Response.Error, undefined);
    await h.app.close();
  });

  test('a client that drops its upload half-way gives its slot back at once', async () => {
    const h = await start();
    const req = request({
      host: '127.0.0.1',
      port: h.port,
      method: 'POST',
      path: '/',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
    });
    req.on('error', () => {});
    req.write('{"CertificateId":');
    await until(() => h.guard.inFlight() === 1, 'the upload holds a slot');
    req.destroy();
    await until(() => h.guard.inFlight() === 0, 'the slot is back');
    assert.equal(h.entered(), 0, 'the handler never ran');
    h.release();
    await h.app.close();
  });

  test('a slot whose client left is given back after abandonedHoldMs even if its handler never ends', async () => {
    const h = await start({ abandonedHoldMs: 50 });
    const call = send(h.port);
    call.answer.catch(() => {});
    await until(() => h.entered() === 1, 'the handler waits');
    call.req.destroy();
    await until(() => h.guard.inFlight() === 0, 'the slot is back without the handler ending', 2000);
    h.release();
    await h.app.close();
  });

  test('inject counts and releases too, and a maxInFlight below 1 is refused', async () => {
    const h = await start();
    h.release();
    const res = await h.app.inject({ method: 'POST', url: '/', payload: '{}' });
    assert.equal(res.statusCode, 200);
    assert.equal(h.guard.inFlight(), 0);
    await h.app.close();
    assert.throws(() => createOverloadGuard({ maxInFlight: 0 }), RangeError);
  });
});
