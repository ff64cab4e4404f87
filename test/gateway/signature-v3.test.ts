import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import SignModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';
import SslModule from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_client.js';
import {
  deriveTc3SigningKey,
  type IncomingHeaders,
  parseTc3Authorization,
  parseTc3AuthorizationGeneral,
  sha256Hex,
  signTc3,
  TC3_ALGORITHM,
  type Tc3Authorization,
  Tc3KeyCache,
  tc3CanonicalRequest,
  tc3Date,
  tc3Signature,
  tc3StringToSign,
  UNSIGNED_PAYLOAD,
  verifyTc3,
} from '../../src/gateway/signature-v3.js';

const SdkSign = SignModule.default;
const SslClient = SslModule.Client;

// The worked example of Tencent's "Signature v3" page (CVM DescribeInstances, 2019-02-25), in the revision that
// prints full example credentials (e.g. https://www.tencentcloud.com/document/product/267/37447).
const DOC = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  timestamp: 1551113065,
  host: 'cvm.tencentcloudapi.com',
  contentType: 'application/json; charset=utf-8',
  payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
  payloadHash: '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
  canonicalRequestHash: '5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031',
  signature: '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
};

const SECRET_ID = 'AKIDtcsslTESTsecretid0000000000000000';
const SECRET_KEY = 'tcssl-test-secret-key-0123456789abcdef';
const NOW = 1_718_000_000;

interface Req {
  method: string;
  rawQuery: string;
  headers: IncomingHeaders;
  body: Uint8Array;
  timestamp: string;
  authorization: string;
}

/** A request signed by our own client signer, shaped as the server sees it. */
function signedRequest(o: {
  method?: 'GET' | 'POST';
  host?: string;
  rawQuery?: string;
  body?: string;
  service?: string;
  contentType?: string;
  unsignedPayload?: boolean;
  signedHeaders?: string[];
  extraHeaders?: Record<string, string>;
}): Req {
  const method = o.method ?? 'POST';
  const host = o.host ?? '127.0.0.1:9000';
  const contentType = o.contentType ?? (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
  const body = o.body ?? (method === 'GET' ? '' : '{"CertificateId":"abc"}');
  const rawQuery = o.rawQuery ?? '';
  const signed = signTc3({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    service: o.service ?? 'ssl',
    host,
    method,
    rawQuery,
    contentType,
    payload: body,
    timestamp: NOW,
    unsignedPayload: o.unsignedPayload,
    signedHeaders: o.signedHeaders,
    extraHeaders: o.extraHeaders,
  });
  const headers: IncomingHeaders = { host };
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return {
    method,
    rawQuery,
    headers,
    body: Buffer.from(body),
    timestamp: String(NOW),
    authorization: signed.authorization,
  };
}

function verifies(r: Req, secretKey = SECRET_KEY, keyCache?: Tc3KeyCache): boolean {
  const auth = parseTc3Authorization(r.authorization);
  if (!auth) return false;
  return verifyTc3({ ...r, auth, secretKey, keyCache });
}

describe('TC3 worked example from the Tencent Cloud v3 signature doc', () => {
  it('reproduces the payload hash, canonical request, string to sign and signature exactly', () => {
    assert.equal(sha256Hex(DOC.payload), DOC.payloadHash);
    const canonicalRequest = tc3CanonicalRequest({
      method: 'POST',
      rawQuery: '',
      canonicalHeaders: `content-type:${DOC.contentType}\nhost:${DOC.host}\n`,
      signedHeaders: 'content-type;host',
      payloadHash: DOC.payloadHash,
    });
    assert.equal(
      canonicalRequest,
      `POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n${DOC.payloadHash}`,
    );
    assert.equal(sha256Hex(canonicalRequest), DOC.canonicalRequestHash);
    assert.equal(tc3Date(DOC.timestamp), '2019-02-25');
    const stringToSign = tc3StringToSign(DOC.timestamp, '2019-02-25', 'cvm', canonicalRequest);
    assert.equal(stringToSign, `TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n${DOC.canonicalRequestHash}`);
    const key = deriveTc3SigningKey(DOC.secretKey, '2019-02-25', 'cvm');
    assert.equal(tc3Signature(key, stringToSign), DOC.signature);
  });

  it('signs the doc request into the exact Authorization header the doc prints', () => {
    const signed = signTc3({
      secretId: DOC.secretId,
      secretKey: DOC.secretKey,
      service: 'cvm',
      host: DOC.host,
      method: 'POST',
      rawQuery: '',
      contentType: DOC.contentType,
      payload: DOC.payload,
      timestamp: DOC.timestamp,
    });
    assert.equal(
      signed.authorization,
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, ' +
        `SignedHeaders=content-type;host, Signature=${DOC.signature}`,
    );
    assert.deepEqual(Object.keys(signed.headers).sort(), ['Authorization', 'Content-Type', 'X-TC-Timestamp']);
  });

  it('reproduces the current doc, whose published signature is computed over the literal masked SecretKey', () => {
    // Newer revisions print `Gu5t9xGARNpq86cd98joQYCN3*******` and signature 2230eefd…; the asterisks are the key.
    const signed = signTc3({
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
      service: 'cvm',
      host: DOC.host,
      method: 'POST',
      rawQuery: '',
      contentType: DOC.contentType,
      payload: DOC.payload,
      timestamp: DOC.timestamp,
    });
    assert.equal(signed.signature, '2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c');
  });

  it('verifies the doc request as the server receives it', () => {
    const auth = parseTc3Authorization(
      `TC3-HMAC-SHA256 Credential=${DOC.secretId}/2019-02-25/cvm/tc3_request, ` +
        `SignedHeaders=content-type;host, Signature=${DOC.signature}`,
    );
    assert.ok(auth);
    const ok = verifyTc3({
      auth,
      method: 'POST',
      rawQuery: '',
      headers: { host: DOC.host, 'content-type': DOC.contentType, 'x-tc-action': 'DescribeInstances' },
      body: Buffer.from(DOC.payload),
      timestamp: '1551113065',
      secretKey: DOC.secretKey,
    });
    assert.equal(ok, true);
  });
});

describe('parseTc3Authorization', () => {
  const good = `TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${'ab'.repeat(32)}`;

  it('parses the fields of a well-formed header', () => {
    assert.deepEqual(parseTc3Authorization(good), {
      secretId: 'AKID',
      date: '2019-02-25',
      service: 'cvm',
      signedHeaders: ['content-type', 'host'],
      signature: 'ab'.repeat(32),
    });
  });

  it('tolerates any spacing after commas, field-name casing and field order', () => {
    const sig = 'AB'.repeat(32);
    for (const h of [
      `TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request,SignedHeaders=content-type;host,Signature=${sig}`,
      `TC3-HMAC-SHA256   credential=AKID/2019-02-25/cvm/tc3_request,   signedheaders=content-type;host ,\tSIGNATURE=${sig}`,
      `TC3-HMAC-SHA256 Signature=${sig}, SignedHeaders=Content-Type;Host, Credential=AKID/2019-02-25/cvm/tc3_request`,
      `  TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${sig}  `,
    ]) {
      const a = parseTc3Authorization(h);
      assert.ok(a, h);
      assert.equal(a.secretId, 'AKID');
      assert.equal(a.service, 'cvm');
      assert.deepEqual(a.signedHeaders, ['content-type', 'host']);
      assert.equal(a.signature, 'ab'.repeat(32));
    }
  });

  it('gives every caller the same frozen list of signed headers, and reads a hand-made list again', () => {
    const r = signedRequest({
      signedHeaders: ['content-type', 'host', 'x-tc-action'],
      extraHeaders: { 'X-TC-Action': 'DescribeCertificate' },
    });
    const a = parseTc3Authorization(r.authorization);
    const b = parseTc3Authorization(r.authorization.replace('SignedHeaders=', 'SignedHeaders= '));
    assert.ok(a && b);
    assert.equal(a.signedHeaders, b.signedHeaders, 'one list, shared');
    assert.ok(Object.isFrozen(a.signedHeaders));
    assert.throws(() => (a.signedHeaders as string[]).push('x-extra'));
    assert.equal(verifyTc3({ ...r, auth: a, secretKey: SECRET_KEY }), true);
    // the same names in a list of the caller's own: checked again, and still good
    assert.equal(verifyTc3({ ...r, auth: { ...a, signedHeaders: [...a.signedHeaders] }, secretKey: SECRET_KEY }), true);
    // a list of the caller's own that differs from what was signed, or holds a bad name, fails
    for (const list of [
      ['content-type', 'host'],
      ['host', 'content-type', 'x-tc-action'],
      ['content-type', 'host', 'x tc'],
    ]) {
      assert.equal(
        verifyTc3({ ...r, auth: { ...a, signedHeaders: list }, secretKey: SECRET_KEY }),
        false,
        list.join(';'),
      );
    }
  });

  it('keeps a service that holds a slash (old Python SDK behind tccli: `http://127`)', () => {
    const a = parseTc3Authorization(good.replace('/cvm/', '/http://127/'));
    assert.equal(a?.service, 'http://127');
  });

  it('returns null for malformed headers and other algorithms', () => {
    for (const h of [
      '',
      'TC3-HMAC-SHA256',
      'TC3-HMAC-SHA256 ',
      good.replace(TC3_ALGORITHM, 'TC3-HMAC-SHA1'),
      good.replace(TC3_ALGORITHM, 'tc3-hmac-sha256'),
      good.replace(`${TC3_ALGORITHM} `, `${TC3_ALGORITHM}`),
      good.replace('Credential', 'Credentials'),
      good.replace('/tc3_request', '/tc4_request'),
      good.replace('2019-02-25', '2019-2-25'),
      good.replace('/cvm/', '//'),
      good.replace('AKID/', '/'),
      good.replace('content-type;host', 'content-type;;host'),
      good.replace('content-type;host', 'content-type;host;host'),
      good.replace('content-type;host', 'content type;host'),
      good.replace('content-type;host', ''),
      good.replace('ab'.repeat(32), 'ab'.repeat(31)),
      good.replace('ab'.repeat(32), `${'ab'.repeat(31)}zz`),
      good.replace('ab'.repeat(32), `${'ab'.repeat(31)}a`),
      `${good}, Extra=1`,
      `${good},`,
      `${good}, Signature=${'cd'.repeat(32)}`,
      good.replace('AKID', 'AKIDé'),
      `TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=${Array(40)
        .fill('x')
        .map((x, n) => x + n)
        .join(';')}, Signature=${'ab'.repeat(32)}`,
      `${good}${' '.repeat(5000)}x`,
    ]) {
      assert.equal(parseTc3Authorization(h), null, JSON.stringify(h.slice(0, 200)));
    }
  });
});

describe('parseTc3Authorization: the SDK form read by one expression agrees with the general reading', () => {
  const printable = (exclude: string) =>
    fc
      .array(
        fc.integer({ min: 0x21, max: 0x7e }).filter((c) => !exclude.includes(String.fromCharCode(c))),
        {
          minLength: 1,
          maxLength: 24,
        },
      )
      .map((cs) => String.fromCharCode(...cs));
  const headerName = fc.stringMatching(/^[a-z0-9-]{1,12}$/);

  it('for any id, service, header list and signature written the SDK way, and for near misses', () => {
    fc.assert(
      fc.property(
        printable('/,'),
        fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
        fc.array(printable('/,'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
        fc.array(headerName, { minLength: 0, maxLength: 40 }),
        fc.stringMatching(/^[0-9a-fA-F]{64}$/),
        fc.constantFrom('', ' ', ',', 'x', '\t'),
        (id, when, service, names, signature, tail) => {
          const date = when.toISOString().slice(0, 10);
          const h = `TC3-HMAC-SHA256 Credential=${id}/${date}/${service}/tc3_request, SignedHeaders=${names.join(';')}, Signature=${signature}${tail}`;
          assert.deepEqual(parseTc3Authorization(h), parseTc3AuthorizationGeneral(h), h);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the SDK form itself takes the one expression and gives the fields', () => {
    const h = `TC3-HMAC-SHA256 Credential=AKID/2026-11-28/http://127/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=${'0f'.repeat(32)}`;
    assert.deepEqual(parseTc3Authorization(h), {
      secretId: 'AKID',
      date: '2026-11-28',
      service: 'http://127',
      signedHeaders: ['content-type', 'host', 'x-tc-action'],
      signature: '0f'.repeat(32),
    });
    assert.deepEqual(parseTc3Authorization(h), parseTc3AuthorizationGeneral(h));
  });
});

describe('cross-check with the official Node SDK signer', () => {
  const cases: { method: 'GET' | 'POST'; endpoint: string; service: string; query: string }[] = [];
  for (const method of ['GET', 'POST'] as const) {
    for (const endpoint of ['127.0.0.1:9000', 'ssl.example.test', 'ssl.example.test:8443', 'localhost:9000']) {
      for (const service of ['ssl', endpoint.split('.')[0]]) {
        cases.push({
          method,
          endpoint,
          service,
          query: method === 'GET' ? 'Limit=10&SearchKey=a%20b%2Cc&Ids.0=x' : '',
        });
      }
    }
  }

  for (const c of cases) {
    it(`verifies what Sign.sign3 signs for ${c.method} ${c.endpoint} with service ${c.service}`, () => {
      const contentType = c.method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json';
      const payload = c.method === 'POST' ? { CertificateId: 'abc', Alias: '未命名', Tags: [{ K: 'v' }] } : '';
      const body = c.method === 'POST' ? JSON.stringify(payload) : '';
      const url = `http://${c.endpoint}/${c.query ? `?${c.query}` : ''}`;
      const authorization = SdkSign.sign3({
        method: c.method,
        url,
        payload,
        timestamp: NOW,
        service: c.service,
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        multipart: false,
        boundary: '',
        headers: { 'Content-Type': contentType },
      });
      const auth = parseTc3Authorization(authorization);
      assert.ok(auth, authorization);
      // The Node SDK sends Host with the port (`new URL(url).host`) but signed the hostname without it.
      const headers = { host: new URL(url).host, 'content-type': contentType };
      const input = {
        auth,
        method: c.method,
        rawQuery: c.query,
        headers,
        body: Buffer.from(body),
        timestamp: String(NOW),
      };
      assert.equal(verifyTc3({ ...input, secretKey: SECRET_KEY }), true);
      assert.equal(verifyTc3({ ...input, secretKey: `${SECRET_KEY}x` }), false);
    });
  }

  it('produces the same Authorization as Sign.sign3 when given the same host', () => {
    for (const method of ['GET', 'POST'] as const) {
      const contentType = method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json';
      const body = method === 'POST' ? '{"A":1}' : '';
      const query = method === 'GET' ? 'A=1&B=%E4%B8%AD' : '';
      const ours = signTc3({
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        service: 'ssl',
        host: 'ssl.tencentcloudapi.com',
        method,
        rawQuery: query,
        contentType,
        payload: body,
        timestamp: NOW,
      });
      const theirs = SdkSign.sign3({
        method,
        url: `https://ssl.tencentcloudapi.com/${query ? `?${query}` : ''}`,
        payload: method === 'POST' ? Buffer.from(body) : '',
        timestamp: NOW,
        service: 'ssl',
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        multipart: false,
        boundary: '',
        headers: { 'Content-Type': contentType },
      });
      assert.equal(ours.authorization, theirs);
    }
  });
});

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A throwaway server that records one request and answers with a valid envelope, so the SDK call completes. */
async function captureSdkRequest(call: (endpoint: string) => Promise<unknown>, hostname: string): Promise<Captured> {
  let captured: Captured | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"Response":{"TotalCount":0,"Certificates":[],"RequestId":"00000000-0000-0000-0000-000000000000"}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await call(`${hostname}:${port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(captured, 'the SDK sent no request');
  return captured;
}

function verifyCaptured(c: Captured, secretKey = SECRET_KEY): boolean {
  const auth = parseTc3Authorization(String(c.headers.authorization));
  if (!auth) return false;
  const q = c.url.indexOf('?');
  return verifyTc3({
    auth,
    method: c.method,
    rawQuery: q < 0 ? '' : c.url.slice(q + 1),
    headers: c.headers,
    body: c.body,
    timestamp: String(c.headers['x-tc-timestamp']),
    secretKey,
  });
}

describe('end to end with the official Node SDK client over HTTP', () => {
  for (const reqMethod of ['POST', 'GET'] as const) {
    for (const hostname of ['127.0.0.1', 'localhost']) {
      it(`verifies a real SslClient ${reqMethod} call to ${hostname}:<port>`, async () => {
        const c = await captureSdkRequest(async (endpoint) => {
          const client = new SslClient({
            credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
            region: 'ap-guangzhou',
            profile: { httpProfile: { endpoint, protocol: 'http://', reqMethod } },
          });
          await client.DescribeCertificates({ Limit: 10, SearchKey: '未命名 a+b', CertIds: ['x', 'y'], Deployable: 1 });
        }, hostname);
        assert.equal(c.method, reqMethod);
        const auth = parseTc3Authorization(String(c.headers.authorization));
        // The Node SDK's service is the endpoint's first dot-label, port and all.
        assert.equal(auth?.service, hostname === 'localhost' ? c.headers.host : '127');
        assert.equal(verifyCaptured(c), true);
        assert.equal(verifyCaptured(c, 'wrong-secret'), false);
      });
    }
  }
});

describe('verifyTc3', () => {
  it('accepts POST and GET requests signed by signTc3', () => {
    assert.equal(verifies(signedRequest({})), true);
    assert.equal(verifies(signedRequest({ method: 'GET', rawQuery: 'Limit=10&SearchKey=a+b%2A' })), true);
  });

  it('signs and verifies the raw Host that tccli sends, scheme included', () => {
    assert.equal(verifies(signedRequest({ host: 'http://127.0.0.1:9000' })), true);
  });

  it('accepts the Host without its port (Node SDK) and with it (Python, Go)', () => {
    const r = signedRequest({ host: '127.0.0.1' });
    assert.equal(verifies({ ...r, headers: { ...r.headers, host: '127.0.0.1:9000' } }), true);
    const s = signedRequest({ host: 'ssl.example.test:8443' });
    assert.equal(verifies(s), true);
  });

  it('accepts service ssl or the first dot-label of the Host, and nothing else', () => {
    assert.equal(verifies(signedRequest({ service: 'ssl', host: 'anything.example:1' })), true);
    assert.equal(verifies(signedRequest({ service: '127', host: '127.0.0.1:9000' })), true);
    assert.equal(verifies(signedRequest({ service: 'localhost', host: 'localhost:9000' })), true);
    assert.equal(verifies(signedRequest({ service: 'localhost:9000', host: 'localhost:9000' })), true);
    assert.equal(verifies(signedRequest({ service: 'http://127', host: 'http://127.0.0.1:9000' })), true);
    assert.equal(verifies(signedRequest({ service: 'cvm', host: '127.0.0.1:9000' })), false);
    assert.equal(verifies(signedRequest({ service: '0', host: '127.0.0.1:9000' })), false);
  });

  it('rejects a scope date that is not the UTC date of the timestamp', () => {
    const r = signedRequest({});
    const auth = parseTc3Authorization(r.authorization);
    assert.ok(auth);
    assert.equal(verifyTc3({ ...r, auth: { ...auth, date: '2024-06-11' }, secretKey: SECRET_KEY }), false);
    // 1717977600 is 2024-06-10T00:00:00Z (08:00 in UTC+8, where a local-time client would still say the 10th).
    assert.equal(tc3Date(1717977599), '2024-06-09');
    assert.equal(tc3Date('1717977600'), '2024-06-10');
    // The last answer is kept: alternating timestamps, the same one as number and string, and '' (0) stay right.
    for (const [t, d] of [
      [1717977599, '2024-06-09'],
      ['1717977599', '2024-06-09'],
      [1717977600, '2024-06-10'],
      ['', '1970-01-01'],
      ['', '1970-01-01'],
      [1717977599, '2024-06-09'],
    ] as const) {
      assert.equal(tc3Date(t), d, String(t));
    }
  });

  it('hashes UNSIGNED-PAYLOAD instead of the body when X-TC-Content-SHA256 says so', () => {
    const r = signedRequest({ unsignedPayload: true });
    assert.equal(r.headers['x-tc-content-sha256'], UNSIGNED_PAYLOAD);
    assert.equal(verifies(r), true);
    assert.equal(verifies({ ...r, body: Buffer.from('{"CertificateId":"other"}') }), true);
    const { 'x-tc-content-sha256': _, ...without } = r.headers;
    assert.equal(verifies({ ...r, headers: without }), false);
    // A signed body does not become unsigned by adding the header afterwards.
    const s = signedRequest({});
    assert.equal(verifies({ ...s, headers: { ...s.headers, 'x-tc-content-sha256': UNSIGNED_PAYLOAD } }), false);
  });

  it('finds headers in any casing, as Go sends them (X-Tc-Content-Sha256)', () => {
    const r = signedRequest({ unsignedPayload: true });
    const headers = {
      Host: r.headers.host,
      'Content-Type': r.headers['content-type'],
      'X-Tc-Content-Sha256': UNSIGNED_PAYLOAD,
    };
    assert.equal(verifies({ ...r, headers }), true);
  });

  it('honours any signed header list, taking each value from its request header', () => {
    const r = signedRequest({
      signedHeaders: ['content-type', 'host', 'x-tc-action'],
      extraHeaders: { 'X-TC-Action': 'DescribeCertificates' },
    });
    assert.match(r.authorization, /SignedHeaders=content-type;host;x-tc-action,/);
    assert.equal(verifies(r), true);
    assert.equal(verifies({ ...r, headers: { ...r.headers, 'x-tc-action': 'DeleteCertificate' } }), false);
    const { 'x-tc-action': _, ...without } = r.headers;
    assert.equal(verifies({ ...r, headers: without }), false);
  });

  it('requires content-type and host among the signed headers, as the doc does', () => {
    const r = signedRequest({ signedHeaders: ['host'] });
    assert.equal(verifies(r), false);
    const s = signedRequest({ signedHeaders: ['content-type'] });
    assert.equal(verifies(s), false);
  });

  it('accepts header values lowercased per the doc as well as raw per the SDKs', () => {
    const raw = signedRequest({ contentType: 'Application/JSON' });
    assert.equal(verifies(raw), true);
    // A client written from the doc lowercases the value it signs but sends it unchanged.
    const doc = signedRequest({ contentType: 'application/json' });
    assert.equal(verifies({ ...doc, headers: { ...doc.headers, 'content-type': 'Application/JSON' } }), true);
  });

  it('fails when any single byte of the body, query, signature, timestamp, host or content-type changes', () => {
    const body = '{"CertificateId":"ab","Alias":"é"}';
    const post = signedRequest({ body });
    assert.equal(verifies(post), true);
    for (let n = 0; n < post.body.length; n++) {
      const tampered = Buffer.from(post.body);
      tampered[n] ^= 0x01;
      assert.equal(verifies({ ...post, body: tampered }), false, `body byte ${n}`);
    }
    assert.equal(verifies({ ...post, body: Buffer.from(`${body} `) }), false);
    assert.equal(verifies({ ...post, body: post.body.subarray(1) }), false);

    const query = 'Limit=10&SearchKey=a%20b&Ids.0=x';
    const get = signedRequest({ method: 'GET', rawQuery: query });
    assert.equal(verifies(get), true);
    for (let n = 0; n < query.length; n++) {
      const c = query.charCodeAt(n) ^ 0x01;
      const tampered = query.slice(0, n) + String.fromCharCode(c) + query.slice(n + 1);
      assert.equal(verifies({ ...get, rawQuery: tampered }), false, `query char ${n}`);
    }
    assert.equal(verifies({ ...get, rawQuery: `${query}&X=1` }), false);
    assert.equal(verifies({ ...get, method: 'POST' }), false);

    const auth = parseTc3Authorization(post.authorization);
    assert.ok(auth);
    for (let n = 0; n < auth.signature.length; n++) {
      const c = auth.signature[n] === '0' ? '1' : '0';
      const forged: string = auth.signature.slice(0, n) + c + auth.signature.slice(n + 1);
      assert.equal(
        verifyTc3({ ...post, auth: { ...auth, signature: forged }, secretKey: SECRET_KEY }),
        false,
        `sig ${n}`,
      );
    }
    assert.equal(verifies({ ...post, timestamp: String(NOW + 1) }), false);
    assert.equal(verifies({ ...post, timestamp: `0${NOW}` }), false);
    assert.equal(verifies({ ...post, headers: { ...post.headers, host: '127.0.0.2:9000' } }), false);
    assert.equal(verifies({ ...post, headers: { ...post.headers, host: '127.0.0.1:9001' } }), false);
    assert.equal(verifies({ ...post, headers: { ...post.headers, 'content-type': 'application/jsoN; x' } }), false);
    assert.equal(verifies({ ...post, headers: { ...post.headers, 'content-type': 'text/plain' } }), false);
  });

  it('never throws on hostile input', () => {
    const r = signedRequest({});
    const auth = parseTc3Authorization(r.authorization);
    assert.ok(auth);
    const hostile: unknown[] = [
      '',
      'x'.repeat(1 << 20),
      '\u0000\uffff\ud800',
      '💥'.repeat(1000),
      'TC3-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=a, Signature=b',
      `TC3-HMAC-SHA256 Credential=${'/'.repeat(2000)}, SignedHeaders=${';'.repeat(2000)}, Signature=${'f'.repeat(64)}`,
      `TC3-HMAC-SHA256 ${','.repeat(10_000)}`,
      `TC3-HMAC-SHA256 ${'='.repeat(10_000)}`,
      null,
      undefined,
      42,
      {},
    ];
    for (const h of hostile) {
      assert.doesNotThrow(() => parseTc3Authorization(h as string));
    }
    const badAuths: unknown[] = [
      { ...auth, signature: 'zz'.repeat(32) },
      { ...auth, signature: 'abc' },
      { ...auth, signature: 'é'.repeat(64) },
      { ...auth, signature: 42 },
      { ...auth, signedHeaders: 'content-type;host' },
      { ...auth, signedHeaders: ['content-type', 'host', 'Bad Header'] },
      { ...auth, signedHeaders: Array(100).fill('host') },
      { ...auth, service: undefined },
      { ...auth, date: '💥' },
      null,
      {},
    ];
    for (const a of badAuths) {
      assert.equal(verifyTc3({ ...r, auth: a as Tc3Authorization, secretKey: SECRET_KEY }), false);
    }
    const badInputs: Partial<Parameters<typeof verifyTc3>[0]>[] = [
      { timestamp: '' },
      { timestamp: '1e9' },
      { timestamp: '-1' },
      { timestamp: '99999999999999999999' },
      { timestamp: ' 1718000000' },
      { headers: {} },
      { headers: { ...r.headers, host: ['a', 'b'] } },
      { headers: { ...r.headers, 'content-type': undefined } },
      { headers: { ...r.headers, host: '💥'.repeat(100) } },
      { headers: null as unknown as IncomingHeaders },
      { body: null as unknown as Uint8Array },
      { rawQuery: null as unknown as string },
      { secretKey: null as unknown as string },
      { secretKey: '' },
    ];
    for (const b of badInputs) {
      assert.equal(verifyTc3({ ...r, auth, secretKey: SECRET_KEY, ...b }), false, JSON.stringify(b).slice(0, 100));
    }
  });
});

describe('Tc3KeyCache', () => {
  it('gives the same verification result with a cached key', () => {
    const cache = new Tc3KeyCache(4);
    const r = signedRequest({});
    assert.equal(verifies(r, SECRET_KEY, cache), true);
    assert.equal(cache.size, 1);
    assert.equal(verifies(r, SECRET_KEY, cache), true);
    assert.equal(cache.size, 1);
    assert.equal(verifies(r, 'other-secret', cache), false);
    assert.equal(cache.size, 2);
    assert.deepEqual(cache.get(SECRET_KEY, '2024-06-10', 'ssl'), deriveTc3SigningKey(SECRET_KEY, '2024-06-10', 'ssl'));
  });

  it('stays bounded and evicts the least recently used key', () => {
    const cache = new Tc3KeyCache(3);
    const a = cache.get('a', '2024-01-01', 'ssl');
    cache.get('b', '2024-01-01', 'ssl');
    cache.get('c', '2024-01-01', 'ssl');
    assert.equal(cache.get('a', '2024-01-01', 'ssl'), a); // a is now the most recent
    cache.get('d', '2024-01-01', 'ssl'); // evicts b
    assert.equal(cache.size, 3);
    assert.equal(cache.get('a', '2024-01-01', 'ssl'), a);
    for (let n = 0; n < 1000; n++) cache.get(`k${n}`, '2024-01-01', 'ssl');
    assert.equal(cache.size, 3);
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it('does not confuse triples that concatenate alike', () => {
    const cache = new Tc3KeyCache();
    const one = cache.get('ab', '2024-01-01', 'ssl');
    const two = cache.get('a', 'b2024-01-01', 'ssl');
    assert.notDeepEqual(one, two);
    assert.deepEqual(one, deriveTc3SigningKey('ab', '2024-01-01', 'ssl'));
  });
});
