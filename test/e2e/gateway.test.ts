// The API 3.0 gateway seen from outside: a real listening server, the official Node SDK in every sign method and
// request method, hand-built requests that copy the other official clients' quirks, and every gateway error code
// provoked for real.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/cli/client.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRateLimiter } from '../../src/gateway/rate-limit.js';
import { buildServer } from '../../src/gateway/server.js';
import { signV1 } from '../../src/gateway/signature-v1.js';
import { sha256Hex, signTc3 } from '../../src/gateway/signature-v3.js';
import { injectHeaders } from '../support/sign.js';
import { ALL_FORMS, sdkClient, sdkErrorCode, startWorld, type World } from '../support/world.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { Response: Record<string, unknown> & { Error?: { Code: string; Message: string }; RequestId: string } };
}

/** Sends exactly the bytes and headers given (Host included), like a client we do not control. */
function rawRequest(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/',
        headers: opts.headers,
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: RawResponse['json'];
          try {
            json = JSON.parse(text);
          } catch {
            json = { Response: { RequestId: '', Error: { Code: 'NOT-JSON', Message: text } } };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A TC3 POST signed over whatever host string and service the caller chooses. */
function tc3Post(
  world: World,
  o: {
    action?: string;
    body?: string;
    host?: string;
    service?: string;
    timestamp?: number;
    secretKey?: string;
    secretId?: string;
    unsigned?: boolean;
    extra?: Record<string, string>;
    headerCase?: 'go' | 'node';
  },
) {
  const host = o.host ?? `127.0.0.1:${world.port}`;
  const body = o.body ?? '{}';
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const { authorization } = signTc3({
    secretId: o.secretId ?? world.account.secretId,
    secretKey: o.secretKey ?? world.account.secretKey,
    service: o.service ?? 'ssl',
    host,
    method: 'POST',
    rawQuery: '',
    contentType: 'application/json',
    payload: body,
    timestamp,
    unsignedPayload: o.unsigned,
  });
  const go = o.headerCase === 'go';
  const headers: Record<string, string> = {
    Host: host,
    Authorization: authorization,
    'Content-Type': 'application/json',
    [go ? 'X-Tc-Action' : 'X-TC-Action']: o.action ?? 'DescribeCertificates',
    [go ? 'X-Tc-Version' : 'X-TC-Version']: '2019-12-05',
    [go ? 'X-Tc-Timestamp' : 'X-TC-Timestamp']: String(timestamp),
    'X-TC-Language': 'en-US',
    ...o.extra,
  };
  if (o.unsigned) headers[go ? 'X-Tc-Content-Sha256' : 'X-TC-Content-SHA256'] = 'UNSIGNED-PAYLOAD';
  return rawRequest(world.port, { headers, body });
}

describe('gateway end to end', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });

  for (const form of ALL_FORMS) {
    test(`the official Node SDK calls DescribeCertificates with ${form.signMethod} over ${form.reqMethod} and succeeds`, async () => {
      const client = sdkClient(world, world.account, form);
      const res = await client.DescribeCertificates({ Limit: 5, CertificateStatus: [0, 1], SearchKey: 'x y' });
      assert.equal(res.TotalCount, 0);
      assert.deepEqual(res.Certificates, []);
      assert.match(res.RequestId, /^[0-9a-f-]{36}$/);
    });
  }

  test('the Node SDK pointed at localhost:<port> (service "localhost:<port>", host without port) succeeds', async () => {
    const client = sdkClient(world, world.account, { endpoint: `localhost:${world.port}` });
    const res = await client.DescribeCertificates({});
    assert.equal(res.TotalCount, 0);
  });

  test('tcssl call works in every sign method and request method', async () => {
    for (const form of ALL_FORMS) {
      const res = await call({
        endpoint: world.url,
        secretId: world.account.secretId,
        secretKey: world.account.secretKey,
        action: 'DescribeCertificates',
        params: { Limit: 3, CertificateStatus: [1] },
        signMethod: form.signMethod,
        method: form.reqMethod,
      });
      assert.equal(res.status, 200);
      assert.equal((res.body as RawResponse['json']).Response.TotalCount, 0, JSON.stringify(res.body));
    }
  });

  test('a tccli-style Host header with a scheme, signed raw, succeeds', async () => {
    const res = await tc3Post(world, { host: `http://127.0.0.1:${world.port}` });
    assert.equal(res.json.Response.Error, undefined, res.text);
  });

  test('a Python/Go-style request (host with port, service ssl, UNSIGNED-PAYLOAD, Go header casing) succeeds', async () => {
    const res = await tc3Post(world, {
      body: '{"Limit": 2, "SearchKey": "\\u4f8b"}',
      unsigned: true,
      headerCase: 'go',
    });
    assert.equal(res.json.Response.Error, undefined, res.text);
    assert.equal(res.json.Response.TotalCount, 0);
  });

  test('a Python-style v1 POST with True/False booleans and Region= signed empty succeeds', async () => {
    const params: Record<string, string> = {
      Action: 'DescribeCertificates',
      Version: '2019-12-05',
      Region: '',
      Timestamp: String(Math.floor(Date.now() / 1000)),
      Nonce: '18446744073709551615',
      SecretId: world.account.secretId,
      SignatureMethod: 'HmacSHA256',
      Limit: '1',
      SearchKey: 'a b+c',
    };
    const host = `127.0.0.1:${world.port}`;
    params.Signature = signV1({
      method: 'POST',
      host,
      path: '/',
      params,
      secretKey: world.account.secretKey,
      signatureMethod: 'HmacSHA256',
    });
    const body = new URLSearchParams(params).toString();
    const res = await rawRequest(world.port, {
      headers: { Host: host, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(res.json.Response.Error, undefined, res.text);
  });

  test('every response is HTTP 200 with Content-Type exactly application/json and a UUID RequestId', async () => {
    const ok = await tc3Post(world, {});
    const bad = await tc3Post(world, { secretKey: 'wrong' });
    for (const res of [ok, bad]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.match(
        res.json.Response.RequestId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  test('X-TC-TraceId is echoed back', async () => {
    const res = await tc3Post(world, { extra: { 'X-TC-TraceId': 'trace-123' } });
    assert.equal(res.headers['x-tc-traceid'], 'trace-123');
  });

  test('a wrong SecretKey gets AuthFailure.SignatureFailure through the SDK', async () => {
    const client = sdkClient(world, { secretId: world.account.secretId, secretKey: 'x'.repeat(32) });
    assert.equal(await sdkErrorCode(client.DescribeCertificates({})), 'AuthFailure.SignatureFailure');
    const v1 = sdkClient(
      world,
      { secretId: world.account.secretId, secretKey: 'x'.repeat(32) },
      { signMethod: 'HmacSHA1' },
    );
    assert.equal(await sdkErrorCode(v1.DescribeCertificates({})), 'AuthFailure.SignatureFailure');
  });

  test('a body changed after signing gets AuthFailure.SignatureFailure', async () => {
    const body = '{"Limit":1}';
    const timestamp = Math.floor(Date.now() / 1000);
    const host = `127.0.0.1:${world.port}`;
    const { authorization } = signTc3({
      secretId: world.account.secretId,
      secretKey: world.account.secretKey,
      service: 'ssl',
      host,
      method: 'POST',
      rawQuery: '',
      contentType: 'application/json',
      payload: body,
      timestamp,
    });
    const res = await rawRequest(world.port, {
      headers: {
        Host: host,
        Authorization: authorization,
        'Content-Type': 'application/json',
        'X-TC-Action': 'DescribeCertificates',
        'X-TC-Version': '2019-12-05',
        'X-TC-Timestamp': String(timestamp),
      },
      body: '{"Limit":2}',
    });
    assert.equal(res.json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
  });

  test('a timestamp 301 s old gets AuthFailure.SignatureExpire', async () => {
    const res = await tc3Post(world, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    assert.equal(res.json.Response.Error?.Code, 'AuthFailure.SignatureExpire');
    assert.match(res.json.Response.Error?.Message ?? '', /X-TC-Timestamp/);
  });

  test('an unknown SecretId gets AuthFailure.SecretIdNotFound', async () => {
    const client = sdkClient(world, { secretId: `AKID${'0'.repeat(32)}`, secretKey: 'k' });
    assert.equal(await sdkErrorCode(client.DescribeCertificates({})), 'AuthFailure.SecretIdNotFound');
  });

  test('a key disabled while the server runs gets AuthFailure.SecretIdNotFound on the next call', async () => {
    const key = await world.services.iam.createKey({ uin: world.account.uin });
    const client = sdkClient(world, { secretId: key.SecretId, secretKey: key.SecretKey });
    assert.equal((await client.DescribeCertificates({})).TotalCount, 0);
    await world.services.iam.setKeyDisabled(key.SecretId, true);
    assert.equal(await sdkErrorCode(client.DescribeCertificates({})), 'AuthFailure.SecretIdNotFound');
  });

  test('a garbage Authorization header gets AuthFailure.InvalidAuthorization', async () => {
    const res = await rawRequest(world.port, {
      headers: {
        Host: `127.0.0.1:${world.port}`,
        Authorization: 'Bearer nonsense',
        'Content-Type': 'application/json',
        'X-TC-Action': 'DescribeCertificates',
        'X-TC-Version': '2019-12-05',
        'X-TC-Timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: '{}',
    });
    assert.equal(res.json.Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
  });

  test('a temporary key works with its token and gets AuthFailure.TokenFailure without it, with a wrong one, or expired', async () => {
    const temp = await world.services.iam.createKey({ uin: world.account.uin, ttlSeconds: 60 });
    assert.ok(temp.Token && temp.ExpiredTime);
    const good = sdkClient(world, { secretId: temp.SecretId, secretKey: temp.SecretKey, token: temp.Token });
    assert.equal((await good.DescribeCertificates({})).TotalCount, 0);
    const v1 = sdkClient(
      world,
      { secretId: temp.SecretId, secretKey: temp.SecretKey, token: temp.Token },
      { signMethod: 'HmacSHA256' },
    );
    assert.equal((await v1.DescribeCertificates({})).TotalCount, 0);
    const none = sdkClient(world, { secretId: temp.SecretId, secretKey: temp.SecretKey });
    assert.equal(await sdkErrorCode(none.DescribeCertificates({})), 'AuthFailure.TokenFailure');
    const wrong = sdkClient(world, { secretId: temp.SecretId, secretKey: temp.SecretKey, token: 'forged' });
    assert.equal(await sdkErrorCode(wrong.DescribeCertificates({})), 'AuthFailure.TokenFailure');

    // An expired key: the same store, a server whose clock runs an hour ahead.
    const config = loadConfig({
      overrides: { dataDir: world.dir, logLevel: 'silent', limits: { clockSkewSeconds: 300 } },
    });
    const later = buildServer({
      config,
      services: world.services,
      rateLimiter: new MemoryRateLimiter(),
      now: () => Date.now() + 3600_000,
    });
    const res = await later.inject({
      method: 'POST',
      url: '/',
      headers: injectHeaders({
        secretId: temp.SecretId,
        secretKey: temp.SecretKey,
        action: 'DescribeCertificates',
        payload: '{}',
        token: temp.Token,
        at: Date.now() + 3600_000,
      }),
      payload: '{}',
    });
    assert.equal(JSON.parse(res.body).Response.Error.Code, 'AuthFailure.TokenFailure');
    await later.close();
  });

  test('an unknown action gets InvalidAction', async () => {
    const res = await tc3Post(world, { action: 'DescribeNothing' });
    assert.equal(res.json.Response.Error?.Code, 'InvalidAction');
  });

  test('another version gets NoSuchVersion', async () => {
    const res = await call({
      endpoint: world.url,
      secretId: world.account.secretId,
      secretKey: world.account.secretKey,
      action: 'DescribeCertificates',
      version: '2017-03-12',
      params: {},
    });
    assert.equal((res.body as RawResponse['json']).Response.Error?.Code, 'NoSuchVersion');
  });

  test('a request without X-TC-Action gets MissingParameter naming Action', async () => {
    const res = await rawRequest(world.port, {
      headers: { Host: `127.0.0.1:${world.port}`, 'Content-Type': 'application/json', Authorization: 'x' },
      body: '{}',
    });
    assert.equal(res.json.Response.Error?.Code, 'MissingParameter');
    assert.match(res.json.Response.Error?.Message ?? '', /Action/);
  });

  test('parameter errors name the parameter: InvalidParameter, InvalidParameterValue, UnknownParameter', async () => {
    const get = sdkClient(world, world.account, { reqMethod: 'GET' });
    const typeErr = await tc3Post(world, { body: '{"Limit":"ten"}' });
    assert.equal(typeErr.json.Response.Error?.Code, 'InvalidParameter');
    assert.match(typeErr.json.Response.Error?.Message ?? '', /`Limit`.*Integer/);
    assert.equal(await sdkErrorCode(get.DescribeCertificates({ CertificateStatus: [99] })), 'InvalidParameterValue');
    const unknown = await tc3Post(world, { body: '{"Foo":1}' });
    assert.equal(unknown.json.Response.Error?.Code, 'UnknownParameter');
    assert.match(unknown.json.Response.Error?.Message ?? '', /`Foo`/);
  });

  test('messages follow X-TC-Language: Chinese for zh-CN', async () => {
    const client = sdkClient(world, world.account, { language: 'zh-CN' });
    try {
      await client.DescribeCertificates({ CertificateStatus: [99] });
      assert.fail('expected an error');
    } catch (e) {
      assert.equal((e as { code: string }).code, 'InvalidParameterValue');
      assert.match((e as Error).message, /参数/);
      assert.match((e as Error).message, /CertificateStatus/);
    }
  });

  test('malformed bodies get a well-formed envelope, never a dropped connection or a 500', async () => {
    const cases: Array<{ body: string | Buffer; ctype: string; code: string }> = [
      { body: '{"Limit":', ctype: 'application/json', code: 'InvalidParameter' },
      { body: '[1,2]', ctype: 'application/json', code: 'InvalidParameter' },
      { body: Buffer.from([0xff, 0xfe, 0x00]), ctype: 'application/json', code: 'InvalidParameter' },
      { body: 'a=%zz', ctype: 'application/x-www-form-urlencoded', code: 'InvalidParameter' },
      { body: 'DomainList.0=a&DomainList=b', ctype: 'application/x-www-form-urlencoded', code: 'InvalidParameter' },
      { body: 'Action=DescribeCertificates&Version=2019-12-05', ctype: 'text/plain', code: 'InvalidParameter' },
    ];
    for (const c of cases) {
      const res = await rawRequest(world.port, {
        headers: { Host: `127.0.0.1:${world.port}`, 'Content-Type': c.ctype },
        body: c.body,
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.Response.Error?.Code, c.code, `${c.body}: ${res.text}`);
    }
  });

  test('oversized headers get 431 with an envelope body', async () => {
    const res = await rawRequest(world.port, {
      headers: { Host: `127.0.0.1:${world.port}`, 'X-Big': 'a'.repeat(80_000) },
      body: '',
    });
    assert.equal(res.status, 431);
    assert.equal(res.json.Response.Error?.Code, 'InvalidRequest');
  });

  test('other methods on / get UnsupportedProtocol in the envelope', async () => {
    const res = await rawRequest(world.port, { method: 'PUT', headers: { Host: 'x' }, body: '' });
    assert.equal(res.status, 200);
    assert.equal(res.json.Response.Error?.Code, 'UnsupportedProtocol');
  });

  test('the body hash of an UNSIGNED-PAYLOAD request is not checked against the body', async () => {
    const res = await tc3Post(world, { unsigned: true, body: '{"Limit": 7}' });
    assert.equal(res.json.Response.Error, undefined, res.text);
    assert.notEqual(sha256Hex('{"Limit": 7}'), sha256Hex('UNSIGNED-PAYLOAD'));
  });
});

describe('gateway limits and faults', () => {
  test('a body over the configured limit gets RequestSizeLimitExceeded', async () => {
    const world = await startWorld({ limits: { maxBodyBytes: 1024 } });
    try {
      const res = await tc3Post(world, { body: JSON.stringify({ SearchKey: 'a'.repeat(5000) }) });
      assert.equal(res.status, 200);
      assert.equal(res.json.Response.Error?.Code, 'RequestSizeLimitExceeded');
    } finally {
      await world.close();
    }
  });

  test('the 21st DescribeCertificates in one second from one account gets RequestLimitExceeded', async () => {
    // A frozen clock makes "within one second" exact however slow the machine is.
    const world = await startWorld();
    const config = loadConfig({ overrides: { dataDir: world.dir, logLevel: 'silent' } });
    assert.equal(config.rateLimit.defaultPerSecond, 20);
    const frozen = Date.now();
    const app = buildServer({
      config,
      services: world.services,
      rateLimiter: new MemoryRateLimiter({ now: () => frozen }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    try {
      const client = sdkClient({ ...world, port }, world.account);
      const results = await Promise.allSettled(Array.from({ length: 30 }, () => client.DescribeCertificates({})));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const limited = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'RequestLimitExceeded',
      ).length;
      assert.equal(ok, 20);
      assert.equal(limited, 10);
      // Another account has its own budget.
      const other = await world.services.iam.createAccount();
      const otherClient = sdkClient({ ...world, port }, { secretId: other.SecretId, secretKey: other.SecretKey });
      assert.equal((await otherClient.DescribeCertificates({})).TotalCount, 0);
    } finally {
      await app.close();
      await world.close();
    }
  });

  test('a real fault (the store closed under the server) gets InternalError with no stack or path', async () => {
    const world = await startWorld();
    const key = world.account;
    // Resolve keys from a second store so authentication passes, then break the one the handler reads.
    await world.services.store.close();
    const { assemble } = await import('../../src/cli/assemble.js');
    const config = world.config;
    const second = await assemble(config);
    const app = buildServer({
      config,
      services: { ...world.services, iam: second.iam },
      rateLimiter: new MemoryRateLimiter(),
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/',
        headers: injectHeaders({
          secretId: key.secretId,
          secretKey: key.secretKey,
          action: 'DescribeCertificates',
          payload: '{}',
        }),
        payload: '{}',
      });
      assert.equal(res.statusCode, 200);
      const body = JSON.parse(res.body);
      assert.equal(body.Response.Error.Code, 'InternalError');
      assert.doesNotMatch(res.body, /at |\/work|node_modules|\.ts/);
    } finally {
      await app.close();
      await second.close();
      await world.app.close();
    }
  });
});
