import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import SslModule from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_client.js';
import { isV1Method, signV1, type V1Method, v1StringToSign, verifyV1 } from '../../src/gateway/signature-v1.js';

const SslClient = SslModule.Client;

// The worked example of Tencent's API 3.0 "Signature" (v1) page: CVM DescribeInstances, HmacSHA1, full example keys
// (e.g. https://www.tencentcloud.com/document/api/614/42762, which masks them in newer revisions).
const DOC = {
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  params: {
    Action: 'DescribeInstances',
    'InstanceIds.0': 'ins-09dx96dg',
    Limit: '20',
    Nonce: '11886',
    Offset: '0',
    Region: 'ap-guangzhou',
    SecretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    Timestamp: '1465185768',
    Version: '2017-03-12',
  },
  stringToSign:
    'GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886' +
    '&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12',
  signature: 'EliP9YW3pW28FpsEdkXt/+WcGeI=',
};

// The older API 2.0 page (cvm.api.qcloud.com/v2/index.php) gives both methods over the same parameters.
const LEGACY = {
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3Cozk1qA',
  params: {
    Action: 'DescribeInstances',
    'InstanceIds.0': 'ins-09dx96dg',
    Nonce: '11886',
    Region: 'ap-guangzhou',
    SecretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA',
    Timestamp: '1465185768',
  },
  sha256: '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=',
  sha1: 'nPVnY6njQmwQ8ciqbPl5Qe+Oru4=',
};

const SECRET_ID = 'AKIDtcsslTESTsecretid0000000000000000';
const SECRET_KEY = 'tcssl-test-secret-key-0123456789abcdef';

function signed(
  params: Record<string, string>,
  o: { method?: 'GET' | 'POST'; host?: string; signatureMethod?: V1Method } = {},
): Record<string, string> {
  const signatureMethod = o.signatureMethod ?? 'HmacSHA256';
  const all = signatureMethod === 'HmacSHA1' ? { ...params } : { ...params, SignatureMethod: signatureMethod };
  const Signature = signV1({
    method: o.method ?? 'POST',
    host: o.host ?? '127.0.0.1:9000',
    path: '/',
    params: all,
    secretKey: SECRET_KEY,
    signatureMethod,
  });
  return { ...all, Signature };
}

const BASE = {
  Action: 'DescribeCertificates',
  Version: '2019-12-05',
  Region: '',
  Timestamp: '1718000000',
  Nonce: '18446744073709551615',
  SecretId: SECRET_ID,
  Language: 'en-US',
  RequestClient: 'SDK_GO_1.0.0',
  SearchKey: 'a b+c 未命名',
  'CertIds.0': 'x',
  'CertIds.1': 'y',
  IsDV: 'True',
};

describe('v1 worked examples from the Tencent Cloud signature docs', () => {
  it('reproduces the API 3.0 HmacSHA1 example: string to sign and signature', () => {
    assert.equal(v1StringToSign('GET', 'cvm.tencentcloudapi.com', '/', DOC.params), DOC.stringToSign);
    const sig = signV1({
      method: 'GET',
      host: 'cvm.tencentcloudapi.com',
      path: '/',
      params: DOC.params,
      secretKey: DOC.secretKey,
      signatureMethod: 'HmacSHA1',
    });
    assert.equal(sig, DOC.signature);
  });

  it('verifies the doc request, where an absent SignatureMethod means HmacSHA1', () => {
    const params = { ...DOC.params, Signature: DOC.signature };
    const ok = verifyV1({
      method: 'GET',
      host: 'cvm.tencentcloudapi.com',
      path: '/',
      params,
      secretKey: DOC.secretKey,
    });
    assert.equal(ok, true);
    const sha256 = { ...params, SignatureMethod: 'HmacSHA256' };
    assert.equal(
      verifyV1({ method: 'GET', host: 'cvm.tencentcloudapi.com', path: '/', params: sha256, secretKey: DOC.secretKey }),
      false,
    );
  });

  it('reproduces the legacy HmacSHA256 and HmacSHA1 examples', () => {
    for (const [signatureMethod, expected] of [
      ['HmacSHA256', LEGACY.sha256],
      ['HmacSHA1', LEGACY.sha1],
    ] as const) {
      const params = { ...LEGACY.params, SignatureMethod: signatureMethod };
      const host = 'cvm.api.qcloud.com';
      const path = '/v2/index.php';
      assert.equal(
        signV1({ method: 'GET', host, path, params, secretKey: LEGACY.secretKey, signatureMethod }),
        expected,
      );
      const withSig = { ...params, Signature: expected };
      assert.equal(verifyV1({ method: 'GET', host, path, params: withSig, secretKey: LEGACY.secretKey }), true);
    }
  });
});

describe('v1StringToSign', () => {
  it('sorts names by byte order and leaves values unencoded, keeping empty ones', () => {
    const s = v1StringToSign('POST', 'h:1', '/', {
      'InstanceIds.2': 'b',
      'InstanceIds.12': 'a',
      b: '1',
      B: '2',
      _: '3',
      Region: '',
      Signature: 'dropped',
      Z: 'a b&c=d',
    });
    assert.equal(s, 'POSTh:1/?B=2&InstanceIds.12=a&InstanceIds.2=b&Region=&Z=a b&c=d&_=3&b=1');
  });
});

describe('v1StringToSign: the order of names', () => {
  it('is UTF-8 byte order for any names, those past U+FFFF among them (property)', () => {
    // Names from ASCII, other BMP characters (U+E000-U+FFFF among them) and astral ones (surrogate pairs in JS).
    const char = fc.oneof(
      fc.constantFrom('A', 'a', 'Z', '_', '.', '0', '9'),
      fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCodePoint(c)),
      fc.integer({ min: 0xe000, max: 0xffff }).map((c) => String.fromCodePoint(c)),
      fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    );
    const name = fc.array(char, { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), (names) => {
        const params = Object.fromEntries(names.map((n, i) => [n, String(i)]));
        const expected = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const s = v1StringToSign('POST', 'h', '/', params);
        assert.equal(s, `POSTh/?${expected.map((n) => `${n}=${params[n]}`).join('&')}`);
      }),
      { numRuns: 500 },
    );
  });

  it('puts a name past U+FFFF after one in U+E000-U+FFFF, as UTF-8 bytes do and UTF-16 units do not', () => {
    const astral = '\u{1F600}';
    const high = '\uFF21';
    assert.equal(v1StringToSign('GET', 'h', '/', { [astral]: '1', [high]: '2' }), `GETh/?${high}=2&${astral}=1`);
  });
});

describe('verifyV1', () => {
  it('accepts HmacSHA256 and HmacSHA1 requests signed by signV1, GET and POST', () => {
    for (const signatureMethod of ['HmacSHA256', 'HmacSHA1'] as const) {
      for (const method of ['GET', 'POST'] as const) {
        const params = signed(BASE, { method, signatureMethod });
        assert.equal(verifyV1({ method, host: '127.0.0.1:9000', path: '/', params, secretKey: SECRET_KEY }), true);
        assert.equal(verifyV1({ method, host: '127.0.0.1:9000', path: '/', params, secretKey: 'x' }), false);
      }
    }
  });

  it('accepts the Host as sent and the Host without its port', () => {
    const params = signed(BASE, { host: '127.0.0.1' });
    assert.equal(verifyV1({ method: 'POST', host: '127.0.0.1:9000', path: '/', params, secretKey: SECRET_KEY }), true);
    const tccli = signed(BASE, { host: 'http://127.0.0.1:9000' });
    const ok = verifyV1({
      method: 'POST',
      host: 'http://127.0.0.1:9000',
      path: '/',
      params: tccli,
      secretKey: SECRET_KEY,
    });
    assert.equal(ok, true);
    const withPort = signed(BASE, { host: '127.0.0.1:9000' });
    assert.equal(
      verifyV1({ method: 'POST', host: '127.0.0.1', path: '/', params: withPort, secretKey: SECRET_KEY }),
      false,
    );
  });

  it('fails when any parameter, the method, the host or the path changes', () => {
    const params = signed(BASE);
    const v = (p: Record<string, string>, o: { method?: string; host?: string; path?: string } = {}) =>
      verifyV1({ method: 'POST', host: '127.0.0.1:9000', path: '/', params: p, secretKey: SECRET_KEY, ...o });
    assert.equal(v(params), true);
    for (const [name, value] of Object.entries(params)) {
      if (name === 'Signature') continue;
      assert.equal(v({ ...params, [name]: `${value}x` }), false, `value of ${name}`);
      for (let n = 0; n < value.length; n++) {
        const c = String.fromCharCode(value.charCodeAt(n) ^ 0x01);
        assert.equal(v({ ...params, [name]: value.slice(0, n) + c + value.slice(n + 1) }), false, `${name}[${n}]`);
      }
      const { [name]: _, ...without } = params;
      assert.equal(v(without), false, `without ${name}`);
      assert.equal(v({ ...without, [`${name}x`]: value }), false, `renamed ${name}`);
    }
    assert.equal(v({ ...params, Extra: '' }), false);
    assert.equal(v(params, { method: 'GET' }), false);
    assert.equal(v(params, { host: '127.0.0.2:9000' }), false);
    assert.equal(v(params, { path: '/v2/index.php' }), false);
    const sig = params.Signature;
    for (let n = 0; n < sig.length - 1; n++) {
      const c = sig[n] === 'A' ? 'B' : 'A';
      assert.equal(v({ ...params, Signature: sig.slice(0, n) + c + sig.slice(n + 1) }), false, `sig[${n}]`);
    }
  });

  it('tolerates a signature whose + was decoded to a space, but no other malformed base64', () => {
    let params = signed(BASE);
    for (let n = 0; !params.Signature.includes('+'); n++) params = signed({ ...BASE, Nonce: String(n) });
    const v = (Signature: string) =>
      verifyV1({
        method: 'POST',
        host: '127.0.0.1:9000',
        path: '/',
        params: { ...params, Signature },
        secretKey: SECRET_KEY,
      });
    assert.equal(v(params.Signature), true);
    assert.equal(v(params.Signature.replaceAll('+', ' ')), true);
    assert.equal(v(params.Signature.replaceAll('+', '-').replaceAll('/', '_')), false);
    assert.equal(v(params.Signature.replace(/=+$/, '')), false);
    assert.equal(v(`${params.Signature}=`), false);
    assert.equal(v(`${params.Signature}AAAA`), false);
    assert.equal(v(params.Signature.slice(4)), false);
    assert.equal(v(''), false);
    assert.equal(v('!!!!'), false);
  });

  it('rejects an unknown or mis-cased SignatureMethod and a missing Signature', () => {
    const params = signed(BASE);
    for (const m of ['HmacSHA512', 'hmacsha256', 'TC3-HMAC-SHA256', '']) {
      const p = { ...params, SignatureMethod: m };
      assert.equal(
        verifyV1({ method: 'POST', host: '127.0.0.1:9000', path: '/', params: p, secretKey: SECRET_KEY }),
        false,
      );
    }
    const { Signature: _, ...unsigned } = params;
    assert.equal(
      verifyV1({ method: 'POST', host: '127.0.0.1:9000', path: '/', params: unsigned, secretKey: SECRET_KEY }),
      false,
    );
    assert.equal(isV1Method('HmacSHA1'), true);
    assert.equal(isV1Method('HmacSHA384'), false);
  });

  it('never throws on hostile input', () => {
    const params = signed(BASE);
    const hostile: unknown[] = [
      { params: null },
      { params: 'Action=x' },
      { params: { ...params, Signature: 42 } },
      { params: { ...params, Nonce: { toString: () => '1' } } },
      { params: { ...params, Signature: '💥'.repeat(100) } },
      { params: { ...params, Signature: 'A'.repeat(1 << 20) } },
      { params: Object.assign(Object.create(null), params) },
      { host: null },
      { host: '💥'.repeat(100) },
      { method: undefined },
      { secretKey: undefined },
      { path: 42 },
    ];
    for (const h of hostile) {
      const input = {
        method: 'POST',
        host: '127.0.0.1:9000',
        path: '/',
        params,
        secretKey: SECRET_KEY,
        ...(h as object),
      };
      assert.doesNotThrow(() => verifyV1(input as Parameters<typeof verifyV1>[0]));
    }
    assert.equal(
      verifyV1({
        method: 'POST',
        host: '127.0.0.1:9000',
        path: '/',
        params: { ...params, Signature: '💥' },
        secretKey: SECRET_KEY,
      }),
      false,
    );
  });
});

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A throwaway server that records one request and answers with a valid envelope, so the SDK call completes. */
async function captureSdkRequest(call: (endpoint: string) => Promise<unknown>): Promise<Captured> {
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
    await call(`127.0.0.1:${port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(captured, 'the SDK sent no request');
  return captured;
}

describe('end to end with the official Node SDK client over HTTP', () => {
  for (const signMethod of ['HmacSHA256', 'HmacSHA1'] as const) {
    for (const reqMethod of ['POST', 'GET'] as const) {
      it(`verifies a real SslClient ${reqMethod} call signed with ${signMethod}`, async () => {
        const c = await captureSdkRequest(async (endpoint) => {
          const client = new SslClient({
            credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
            region: 'ap-guangzhou',
            profile: { signMethod, language: 'en-US', httpProfile: { endpoint, protocol: 'http://', reqMethod } },
          });
          await client.DescribeCertificates({
            Limit: 10,
            SearchKey: '未命名 a+b&c=d',
            CertIds: ['x', 'y'],
            Tags: [{ TagKey: 'k', TagValue: 'v w' }],
          });
        });
        assert.equal(c.method, reqMethod);
        const q = c.url.indexOf('?');
        const raw = reqMethod === 'GET' ? c.url.slice(q + 1) : c.body.toString('utf8');
        const params = Object.fromEntries(new URLSearchParams(raw));
        assert.equal(params.SearchKey, '未命名 a+b&c=d');
        if (signMethod === 'HmacSHA256') assert.equal(params.SignatureMethod, 'HmacSHA256');
        const host = String(c.headers.host);
        assert.equal(verifyV1({ method: reqMethod, host, path: '/', params, secretKey: SECRET_KEY }), true);
        assert.equal(verifyV1({ method: reqMethod, host, path: '/', params, secretKey: 'wrong' }), false);
      });
    }
  }
});
