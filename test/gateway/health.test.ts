// Health probes: /healthz whenever the process answers; /readyz only when every dependency answers in time and the
// node is not draining, naming what failed otherwise.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type HealthChecks, type HealthOptions, registerHealthRoutes } from '../../src/gateway/health.js';
import { openStore } from '../../src/store/db.js';
import { tempDir } from '../support/world.js';

const dir = tempDir('tcssl-health-');
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

function appWith(checks: HealthChecks, opts?: HealthOptions) {
  const app = Fastify();
  const health = registerHealthRoutes(app, checks, opts);
  return { app, health };
}

async function get(app: FastifyInstance, url: string) {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.headers['content-type'], 'application/json');
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('health probes', () => {
  test('/healthz answers 200 {"status":"ok"} whatever the dependencies say', async () => {
    const { app } = appWith({
      store: async () => {
        throw new Error('down');
      },
    });
    assert.deepEqual(await get(app, '/healthz'), { status: 200, body: { status: 'ok' } });
    await app.close();
  });

  test('/readyz answers 200 with each check when a real store answers', async () => {
    const store = await openStore({ url: '', dataDir: `${dir}/s${stores++}` });
    const { app } = appWith({ store: () => store.ping(), redis: async () => {} });
    const { status, body } = await get(app, '/readyz');
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.checks.store.status, 'ok');
    assert.equal(body.checks.redis.status, 'ok');
    assert.equal(typeof body.checks.store.ms, 'number');
    await app.close();
    await store.close();
  });

  test('/readyz answers 503 naming store, with its message and no stack, once the store is closed', async () => {
    const store = await openStore({ url: '', dataDir: `${dir}/s${stores++}` });
    const { app } = appWith({ store: () => store.ping() });
    await store.close();
    const { status, body } = await get(app, '/readyz');
    assert.equal(status, 503);
    assert.equal(body.status, 'fail');
    assert.equal(body.checks.store.status, 'fail');
    assert.equal(typeof body.checks.store.error, 'string');
    assert.ok(body.checks.store.error.length > 0);
    assert.doesNotMatch(body.checks.store.error, /\n|\bat .*\.(ts|js):\d+/, 'no stack trace');
    await app.close();
  });

  test('/readyz answers 503 within the timeout when a check hangs, and probes share the one pending check', async () => {
    let calls = 0;
    const { app } = appWith(
      {
        store: async () => {},
        redis: () => {
          calls++;
          return new Promise<void>(() => {});
        },
      },
      { timeoutMs: 100 },
    );
    const started = performance.now();
    const answers = await Promise.all([get(app, '/readyz'), get(app, '/readyz'), get(app, '/readyz')]);
    assert.ok(performance.now() - started < 1000, 'bounded by the timeout, not by the hung check');
    for (const { status, body } of answers) {
      assert.equal(status, 503);
      assert.equal(body.checks.store.status, 'ok');
      assert.equal(body.checks.redis.status, 'fail');
      assert.match(body.checks.redis.error, /timed out after 100 ms/);
    }
    await get(app, '/readyz');
    assert.equal(calls, 1, 'a hung check is not called again while it is still pending');
    await app.close();
  });

  test('/readyz answers 503 for a check that throws before returning a promise', async () => {
    const { app } = appWith({
      store: () => {
        throw new Error('not connected');
      },
    });
    const { status, body } = await get(app, '/readyz');
    assert.equal(status, 503);
    assert.equal(body.checks.store.error, 'not connected');
    await app.close();
  });

  test('while draining /readyz answers 503 {"status":"draining"} and /healthz still 200', async () => {
    let calls = 0;
    const { app, health } = appWith({
      store: async () => {
        calls++;
      },
    });
    health.setDraining(true);
    assert.deepEqual(await get(app, '/readyz'), { status: 503, body: { status: 'draining' } });
    assert.equal(calls, 0, 'a draining node does not bother its dependencies');
    assert.equal((await get(app, '/healthz')).status, 200);
    health.setDraining(false);
    assert.equal((await get(app, '/readyz')).status, 200);
    await app.close();
  });
});
