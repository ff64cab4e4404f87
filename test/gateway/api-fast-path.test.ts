// The API's own HTTP path (api-fast-path.ts) on a real socket: the envelope and its headers, admission under the
// in-flight limit and how slots come back (finished, client gone mid-upload, client gone while the handler works),
// pipelined requests answered in order, the body limit, the request log line, `Connection: close` while closing, and
// what it leaves to Fastify; and, with stand-in requests, that requests read in one turn start their pipelines
// together.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { defineAction } from '../../src/actions/define-action.js';
import { ACTIONS } from '../../src/actions/index.js';
import { loadConfig } from '../../src/config.js';
import { createApiFastPath } from '../../src/gateway/api-fast-path.js';
import { createOverloadGuard } from '../../src/gateway/overload.js';
import { MemoryRateLimiter } from '../../src/gateway/rate-limit.js';
import { buildServer } from '../../src/gateway/server.js';
import { injectHeaders } from '../support/sign.js';
import { until } from '../support/until.js';
import { startWorld, type World } from '../support/world.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  code?: string;
}

/** An action that waits on a gate the test opens. */
function gatedAction() {
  let entered = 0;
  let open!: () => void;
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const action = defineAction({
    name: 'Wait',
    summary: 'test only',
    params: z.strictObject({}),
    async handle() {
      entered++;
      await gate;
      return { Waited: true };
    },
  });
  return {
    action,
    entered: () => entered,
    open: () => open(),
    close: () => {
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
  };
}

function send(
  port: number,
  opts: { headers?: Record<string, string>; body?: string; method?: string } = {},
): { req: ClientRequest; answer: Promise<Answer> } {
  const req = request({
    host: '127.0.0.1',
    port,
    method: opts.method ?? 'POST',
    path: '/',
    agent: false,
    headers: opts.headers,
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        let code: string | undefined;
        try {
          code = JSON.parse(body).Response?.Error?.Code ?? 'Success';
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code });
      });
    });
    req.on('error', reject);
  });
  if (opts.body !== undefined) req.end(opts.body);
  return { req, answer };
}

describe('API fast path', () => {
  let world: World;
  let app: FastifyInstance;
  let port: number;
  const gate = gatedAction();
  const lines: string[] = [];
  const signed = (action: string, payload = '{}') =>
    injectHeaders({ secretId: world.account.secretId, secretKey: world.account.secretKey, action, payload });

  before(async () => {
    world = await startWorld({ worker: { enabled: false } });
    const config = loadConfig({
      overrides: {
        dataDir: world.dir,
        logLevel: 'info',
        limits: { maxInFlight: 2, maxBodyBytes: 4096 },
        rateLimit: { enabled: false },
      },
    });
    const actions = new Map(ACTIONS);
    actions.set('Wait', gate.action);
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    app = buildServer({ config, services: world.services, rateLimiter: new MemoryRateLimiter(), actions, logStream });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    gate.open();
    await app.close();
    await world.close();
  });

  test('answers at HTTP 200, exactly application/json, echoes X-TC-TraceId, and logs one line', async () => {
    const { answer } = send(port, {
      headers: { ...signed('DescribeCertificates'), 'x-tc-traceid': 'trace-42' },
      body: '{}',
    });
    const a = await answer;
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/json');
    assert.equal(a.headers['x-tc-traceid'], 'trace-42');
    assert.equal(a.code, 'Success');
    const requestId = JSON.parse(a.body).Response.RequestId;
    await until(() => lines.some((l) => l.includes(requestId)), 'the log line is written');
    const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.RequestId === requestId);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].action, 'DescribeCertificates');
    assert.equal(mine[0].code, 'Success');
    assert.equal(mine[0].msg, 'request');
    assert.ok(!lines.join('\n').includes(world.account.secretKey), 'the SecretKey is never logged');
  });

  test('past maxInFlight a request is refused at once; finished requests give their slots back', async () => {
    gate.close();
    const first = [
      send(port, { headers: signed('Wait'), body: '{}' }),
      send(port, { headers: signed('Wait'), body: '{}' }),
    ];
    await until(() => gate.entered() >= 2, 'two requests are in the handler');
    const refused = await send(port, { headers: signed('DescribeCertificates'), body: '{}' }).answer;
    assert.equal(refused.status, 200);
    assert.equal(refused.code, 'ServiceUnavailable');
    assert.equal(refused.headers.connection, 'close');
    gate.open();
    for (const f of first) assert.equal((await f.answer).code, 'Success');
    const again = await Promise.all(
      [1, 2].map(() => send(port, { headers: signed('DescribeCertificates'), body: '{}' }).answer),
    );
    assert.deepEqual(
      again.map((a) => a.code),
      ['Success', 'Success'],
    );
  });

  test('pipelined requests on one connection are answered in their order, though they run in one batch', async () => {
    gate.close();
    const raw = (action: string) => {
      const headers = { ...signed(action), 'content-length': '2' };
      return `POST / HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n{}`;
    };
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    // Both in one write: the slow one first, the quick one behind it.
    socket.write(raw('Wait') + raw('DescribeCertificates'));
    const entered = gate.entered();
    await until(() => gate.entered() > entered, 'the first request is in its handler');
    // The second has its answer by now; it must wait for the first's.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received, '', 'nothing is answered before the first request');
    gate.open();
    const bodies = () => received.split(/HTTP\/1\.1 200 OK\r\n/).slice(1);
    await until(() => bodies().length === 2 && bodies()[1].endsWith('}}'), 'both are answered whole');
    socket.destroy();
    const [first, second] = bodies().map((b) => JSON.parse(b.slice(b.indexOf('\r\n\r\n') + 4)).Response);
    assert.equal(first.Waited, true);
    assert.equal(typeof second.TotalCount, 'number');
  });

  test('a client that drops its upload half-way gives its slot back at once', async () => {
    for (let i = 0; i < 3; i++) {
      const { req, answer } = send(port, { headers: { ...signed('Wait'), 'content-length': '1000' } });
      answer.catch(() => {});
      req.write('{"a":');
      await new Promise((r) => setTimeout(r, 20));
      req.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    const ok = await Promise.all(
      [1, 2].map(() => send(port, { headers: signed('DescribeCertificates'), body: '{}' }).answer),
    );
    assert.deepEqual(
      ok.map((a) => a.code),
      ['Success', 'Success'],
    );
  });

  test('a client that leaves while its handler works keeps the slot until the handler ends', async () => {
    gate.close();
    const entered = gate.entered();
    const gone = [
      send(port, { headers: signed('Wait'), body: '{}' }),
      send(port, { headers: signed('Wait'), body: '{}' }),
    ];
    await until(() => gate.entered() >= entered + 2, 'two requests are in the handler');
    for (const g of gone) {
      g.answer.catch(() => {});
      g.req.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(
      (await send(port, { headers: signed('DescribeCertificates'), body: '{}' }).answer).code,
      'ServiceUnavailable',
    );
    gate.open();
    await until(() => true, 'the handlers end');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await send(port, { headers: signed('DescribeCertificates'), body: '{}' }).answer).code, 'Success');
  });

  test('a body over the limit gets RequestSizeLimitExceeded and the connection closes, declared or streamed', async () => {
    const big = `{"CertificateId":"${'x'.repeat(5000)}"}`;
    const declared = await send(port, { headers: signed('DescribeCertificate', big), body: big }).answer;
    assert.equal(declared.code, 'RequestSizeLimitExceeded');
    assert.equal(declared.headers.connection, 'close');
    const { req, answer } = send(port, {
      headers: { ...signed('DescribeCertificate', big), 'transfer-encoding': 'chunked' },
    });
    req.write(big.slice(0, 3000));
    req.end(big.slice(3000));
    const streamed = await answer;
    assert.equal(streamed.code, 'RequestSizeLimitExceeded');
    assert.match(JSON.parse(streamed.body).Response.Error.Message, /4096/);
  });

  test('other methods on / and other paths still go through Fastify', async () => {
    const put = await send(port, { method: 'PUT', body: '{}' }).answer;
    assert.equal(put.code, 'UnsupportedProtocol');
    const head = await send(port, { method: 'HEAD', body: '' }).answer;
    assert.equal(head.status, 200);
    const health = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(health, 200);
  });

  test('while the server closes, an answer in flight carries Connection: close and the close completes', async () => {
    gate.close();
    const entered = gate.entered();
    const pending = send(port, { headers: { ...signed('Wait'), connection: 'keep-alive' }, body: '{}' });
    await until(() => gate.entered() > entered, 'the request is in the handler');
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 20));
    gate.open();
    const a = await pending.answer;
    assert.equal(a.code, 'Success');
    assert.equal(a.headers.connection, 'close');
    await closed;
  });
});

describe('API fast path: requests read in one turn start together', () => {
  /** A request and a response with just what the fast path uses, so that the test decides when bodies end. */
  function exchange(body: string) {
    const req = Object.assign(new EventEmitter(), {
      url: '/',
      method: 'POST',
      headers: { 'content-length': String(body.length) } as Record<string, string>,
      resume() {},
    });
    const sent: string[] = [];
    const res = Object.assign(new EventEmitter(), {
      destroyed: false,
      writableEnded: false,
      writeHead() {},
      end(buf: Buffer) {
        sent.push(buf.toString());
        res.writableEnded = true;
      },
    });
    const arrive = () => {
      req.emit('data', Buffer.from(body));
      req.emit('end');
    };
    return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse, arrive, sent };
  }

  const silent = { info() {}, warn() {}, error() {}, child: () => silent, level: 'warn' };

  test('pipelines start in the check phase, all in one callback, before any of their promise jobs', async () => {
    const started: { body: string; jobsHadRun: boolean }[] = [];
    let jobsHaveRun = false;
    const fast = createApiFastPath({
      pipeline: async (x) => {
        started.push({ body: x.body.toString(), jobsHadRun: jobsHaveRun });
        queueMicrotask(() => {
          jobsHaveRun = true;
        });
        return { body: `{"Response":{"Echo":"${x.body.toString()}"}}`, code: 'Success', action: 'Echo' };
      },
      guard: createOverloadGuard({ maxInFlight: 10 }),
      maxBodyBytes: 1024,
      closing: () => false,
      log: silent,
    });
    const calls = ['one', 'two', 'three'].map(exchange);
    for (const c of calls) assert.equal(fast(c.req, c.res), true);
    for (const c of calls) c.arrive();
    // Nothing starts from the bodies' own turn: not in it, nor in its ticks and promise jobs.
    await Promise.resolve();
    await new Promise<void>((r) => process.nextTick(r));
    assert.equal(started.length, 0);
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(
      started.map((s) => s.body),
      ['one', 'two', 'three'],
    );
    // All three started before any promise job ran: one drain serves them, so the read cache's header held for the
    // drain (store/read-cache.ts) is read once for the three.
    assert.deepEqual(
      started.map((s) => s.jobsHadRun),
      [false, false, false],
    );
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(
      calls.map((c) => c.sent.length === 1 && JSON.parse(c.sent[0]).Response.Echo),
      ['one', 'two', 'three'],
    );
  });

  test('a pipeline that throws before its first await answers InternalError and stops no other request', async () => {
    const guard = createOverloadGuard({ maxInFlight: 2 });
    const fast = createApiFastPath({
      pipeline: ((x: { body: Buffer }) => {
        if (x.body.toString() === 'bad') throw new Error('thrown at once');
        return Promise.resolve({ body: '{"Response":{"Fine":true}}', code: 'Success', action: 'Fine' });
      }) as never,
      guard,
      maxBodyBytes: 1024,
      closing: () => false,
      log: silent,
    });
    const bad = exchange('bad');
    const good = exchange('good');
    fast(bad.req, bad.res);
    fast(good.req, good.res);
    bad.arrive();
    good.arrive();
    await until(() => bad.sent.length === 1 && good.sent.length === 1, 'both are answered');
    assert.equal(JSON.parse(bad.sent[0]).Response.Error.Code, 'InternalError');
    assert.equal(JSON.parse(good.sent[0]).Response.Fine, true);
    // Both slots came back: two more are admitted.
    assert.equal(guard.enter(), true);
    assert.equal(guard.enter(), true);
  });

  test('a metrics sink that throws while answering is logged, and the slot still comes back', async () => {
    const guard = createOverloadGuard({ maxInFlight: 1 });
    const logged: string[] = [];
    const log = { ...silent, error: (_o: object, msg?: string) => logged.push(msg ?? '') };
    const fast = createApiFastPath({
      pipeline: async () => ({ body: '{"Response":{"Fine":true}}', code: 'Success', action: 'Fine' }),
      guard,
      maxBodyBytes: 1024,
      closing: () => false,
      observe: () => {
        throw new Error('sink broken');
      },
      log: { ...log, child: () => log },
    });
    const one = exchange('one');
    fast(one.req, one.res);
    one.arrive();
    await until(() => logged.includes('answer failed'), 'the failure is logged');
    assert.equal(JSON.parse(one.sent[0]).Response.Fine, true);
    assert.equal(guard.enter(), true, 'the slot came back');
  });
});
