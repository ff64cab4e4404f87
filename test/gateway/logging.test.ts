// Log lines: one JSON line per request carrying its RequestId, action and result code; never a secret.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { MemoryRateLimiter } from '../../src/gateway/rate-limit.js';
import { buildServer } from '../../src/gateway/server.js';
import { injectHeaders } from '../support/sign.js';
import { startWorld, type World } from '../support/world.js';

function signed(secretId: string, secretKey: string, action: string, payload: string) {
  return injectHeaders({ secretId, secretKey, action, payload });
}

describe('request logging', () => {
  let world: World;
  let app: FastifyInstance;
  const lines: string[] = [];
  before(async () => {
    world = await startWorld({ worker: { enabled: false } });
    const config = loadConfig({ overrides: { dataDir: world.dir, logLevel: 'info' } });
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    app = buildServer({ config, services: world.services, rateLimiter: new MemoryRateLimiter(), logStream: stream });
  });
  after(async () => {
    await app.close();
    await world.close();
  });

  test('each request logs one line with its RequestId, action and code, and never the SecretKey', async () => {
    const { secretId, secretKey } = world.account;
    const ok = await app.inject({
      method: 'POST',
      url: '/',
      headers: signed(secretId, secretKey, 'DescribeCertificates', '{}'),
      payload: '{}',
    });
    const bad = await app.inject({
      method: 'POST',
      url: '/',
      headers: signed(secretId, 'wrong-key', 'DescribeCertificates', '{}'),
      payload: '{}',
    });
    const submit = await app.inject({
      method: 'POST',
      url: '/',
      headers: signed(
        secretId,
        secretKey,
        'SubmitCertificateInformation',
        '{"CertificateId":"x","KeyPassword":"topsecret1"}',
      ),
      payload: '{"CertificateId":"x","KeyPassword":"topsecret1"}',
    });
    for (const [res, code] of [
      [ok, 'Success'],
      [bad, 'AuthFailure.SignatureFailure'],
      [submit, 'FailedOperation.CertificateNotFound'],
    ] as const) {
      const requestId = JSON.parse(res.body).Response.RequestId;
      const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.RequestId === requestId);
      assert.equal(mine.length, 1, `one line for ${requestId}`);
      assert.equal(mine[0].code, code);
      assert.equal(mine[0].msg, 'request');
    }
    const all = lines.join('\n');
    assert.ok(!all.includes(secretKey), 'the SecretKey is never logged');
    assert.ok(!all.includes('topsecret1'), 'request parameters are never logged');
  });

  test('an internal error is logged with its RequestId while the caller sees only InternalError', async () => {
    const broken = buildServer({
      config: loadConfig({ overrides: { dataDir: world.dir, logLevel: 'info' } }),
      services: {
        ...world.services,
        certificates: {
          ...world.services.certificates,
          list: async () => {
            throw new Error('disk on fire at /var/lib/secret/path');
          },
        },
      },
      rateLimiter: new MemoryRateLimiter(),
      logStream: new Writable({
        write(chunk, _enc, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      }),
    });
    const res = await broken.inject({
      method: 'POST',
      url: '/',
      headers: signed(world.account.secretId, world.account.secretKey, 'DescribeCertificates', '{}'),
      payload: '{}',
    });
    const body = JSON.parse(res.body).Response;
    assert.equal(body.Error.Code, 'InternalError');
    assert.doesNotMatch(res.body, /disk on fire|\/var\/lib/);
    const logged = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.RequestId === body.RequestId && l.msg === 'internal error');
    assert.ok(logged, 'the internal error is logged with the RequestId');
    assert.match(JSON.stringify(logged), /disk on fire/);
    await broken.close();
  });
});
