// The operator's view of a server started as `tcssl serve` does: health, readiness, metrics and draining.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { serve } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { freePort, sdkClient, tempDir, testDatabase, type World } from '../support/world.js';

describe('health, readiness and metrics of a served node', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let url: string;
  let dir: string;
  let drop: () => Promise<void>;
  before(async () => {
    dir = tempDir();
    const database = await testDatabase();
    drop = database.drop;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      overrides: {
        dataDir: dir,
        db: database.url,
        listen: `127.0.0.1:${port}`,
        logLevel: 'silent',
        keys: { rsaPoolSize: 0, ecPoolSize: 0 },
        ca: { intermediateRsaBits: 2048 },
      },
    });
    server = await serve(config, { quiet: true });
  });
  after(async () => {
    await server.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/healthz and /readyz answer 200 while the store answers', async () => {
    const h = await fetch(`${url}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    const r = await fetch(`${url}/readyz`);
    assert.equal(r.status, 200, await r.clone().text());
  });

  test('/metrics counts requests by action and code, and orders by status', async () => {
    const creds = JSON.parse((await import('node:fs')).readFileSync(`${dir}/credentials.json`, 'utf8'));
    const client = sdkClient({ port: Number(new URL(url).port) } as World, {
      secretId: creds.SecretId,
      secretKey: creds.SecretKey,
    });
    await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 });
    await client.DescribeCertificates({});
    await client.DescribeCertificate({ CertificateId: 'nope0000' }).catch(() => {});
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /tcssl_requests_total\{action="DescribeCertificates",code="Success"\} 1/);
    assert.match(
      text,
      /tcssl_requests_total\{action="DescribeCertificate",code="FailedOperation.CertificateNotFound"\} 1/,
    );
    assert.match(text, /tcssl_orders\{status="5"\} 1/);
    assert.match(text, /tcssl_request_duration_seconds_bucket/);
    assert.match(text, /tcssl_worker_queue_depth \d/);
  });

  test('after close /readyz is gone with the listener and the process state is released', async () => {
    await server.close();
    await assert.rejects(fetch(`${url}/healthz`));
  });
});
