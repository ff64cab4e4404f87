import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeRequest, parseUrlEncoded, type RawRequest, unflatten } from '../../src/gateway/decode.js';
import { WireError } from '../../src/gateway/envelope.js';
import type { ErrorCode } from '../../src/gateway/error-codes.js';

const AUTH =
  'TC3-HMAC-SHA256 Credential=AKIDx/2025-01-15/ssl/tc3_request, SignedHeaders=content-type;host, Signature=00';

const wire = (code: ErrorCode, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof WireError, `expected a WireError, got ${e}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

function tc3(method: string, opts: { query?: string; ctype?: string; body?: string | Buffer } = {}): RawRequest {
  return {
    method,
    rawQuery: opts.query ?? '',
    headers: {
      authorization: AUTH,
      'x-tc-action': 'DescribeCertificates',
      'x-tc-version': '2019-12-05',
      'x-tc-timestamp': '1736942400',
      ...(opts.ctype === undefined ? {} : { 'content-type': opts.ctype }),
    },
    body: Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body ?? '', 'utf8'),
  };
}

function v1(method: string, opts: { query?: string; ctype?: string; body?: string | Buffer } = {}): RawRequest {
  return {
    method,
    rawQuery: opts.query ?? '',
    headers: opts.ctype === undefined ? {} : { 'content-type': opts.ctype },
    body: Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body ?? '', 'utf8'),
  };
}

function multipart(fields: Array<[string, string]>, boundary = 'tcsslBoundary7MA4YWxk'): Buffer {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

/** Sends one real HTTP request and hands back what a Node server sees, as the gateway builds its RawRequest. */
async function throughNode(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<RawRequest> {
  let seen: RawRequest | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      seen = {
        method: req.method ?? '',
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers: req.headers as IncomingHttpHeaders,
        body: Buffer.concat(chunks),
      };
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.ok(seen);
  return seen;
}

describe('decodeRequest: TC3', () => {
  test('a POST with a JSON body gives the nested params and the common parameters from the headers', () => {
    const raw = tc3('POST', { ctype: 'application/json', body: '{"Limit": 5, "CertIds": ["a", "b"], "IsDV": true}' });
    raw.headers['x-tc-region'] = 'ap-guangzhou';
    raw.headers['x-tc-token'] = 'tok';
    raw.headers['x-tc-language'] = 'en-US';
    const d = decodeRequest(raw);
    assert.deepEqual(d, {
      form: 'tc3',
      action: 'DescribeCertificates',
      version: '2019-12-05',
      region: 'ap-guangzhou',
      timestamp: '1736942400',
      language: 'en-US',
      token: 'tok',
      params: { Limit: 5, CertIds: ['a', 'b'], IsDV: true },
      flat: false,
      authorization: AUTH,
    });
  });

  test('a JSON content type with a charset, or a body without content type, is read as JSON', () => {
    assert.deepEqual(decodeRequest(tc3('POST', { ctype: 'application/json; charset=utf-8', body: '{"A":1}' })).params, {
      A: 1,
    });
    assert.deepEqual(decodeRequest(tc3('POST', { body: '{"A":"x"}' })).params, { A: 'x' });
    assert.equal(decodeRequest(tc3('POST', { body: '{"A":"x"}' })).flat, false);
  });

  test('a POST without a body decodes to no params, with or without a JSON content type', () => {
    assert.deepEqual(decodeRequest(tc3('POST', { ctype: 'application/json' })).params, {});
    assert.deepEqual(decodeRequest(tc3('POST')).params, {});
  });

  test('the JSON body keeps Python-style separators and \\u escapes as values', () => {
    const d = decodeRequest(
      tc3('POST', { ctype: 'application/json', body: '{"Alias": "\\u672a\\u547d\\u540d", "N": 1}' }),
    );
    assert.deepEqual(d.params, { Alias: '未命名', N: 1 });
  });

  test('a GET carries flattened params in the query, decoded and unflattened, and marked flat', () => {
    const d = decodeRequest(
      tc3('GET', {
        ctype: 'application/x-www-form-urlencoded',
        query: 'Limit=10&CertIds.0=a&CertIds.1=b&SearchKey=a+b%2Cc&Filters.0.Name=x&Filters.0.Values.0=y',
        body: '{"ignored": true}',
      }),
    );
    assert.equal(d.flat, true);
    assert.deepEqual(d.params, {
      Limit: '10',
      CertIds: ['a', 'b'],
      SearchKey: 'a b,c',
      Filters: [{ Name: 'x', Values: ['y'] }],
    });
  });

  test('a POST with a form body is unflattened and marked flat', () => {
    const d = decodeRequest(
      tc3('POST', { ctype: 'application/x-www-form-urlencoded; charset=utf-8', body: 'A.0=1&A.1=2&IsDV=True' }),
    );
    assert.equal(d.flat, true);
    assert.deepEqual(d.params, { A: ['1', '2'], IsDV: 'True' });
  });

  test('a multipart body gives its text fields, UTF-8 included, unflattened and marked flat', () => {
    const body = multipart([
      ['CertificatePublicKey', '-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----'],
      ['Alias', '测试证书'],
      ['Tags.0.TagKey', 'env'],
      ['Tags.0.TagValue', 'prod'],
    ]);
    const d = decodeRequest(tc3('POST', { ctype: 'multipart/form-data; boundary=tcsslBoundary7MA4YWxk', body }));
    assert.equal(d.flat, true);
    assert.deepEqual(d.params, {
      CertificatePublicKey: '-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----',
      Alias: '测试证书',
      Tags: [{ TagKey: 'env', TagValue: 'prod' }],
    });
  });

  test('a multipart boundary may be quoted', () => {
    const body = multipart([['A', 'x']], 'quoted boundary');
    const d = decodeRequest(tc3('POST', { ctype: 'multipart/form-data; boundary="quoted boundary"', body }));
    assert.deepEqual(d.params, { A: 'x' });
  });

  test('a malformed multipart body is refused with InvalidRequest', () => {
    const ok = multipart([['A', 'x']]);
    const ctype = 'multipart/form-data; boundary=tcsslBoundary7MA4YWxk';
    assert.throws(() => decodeRequest(tc3('POST', { ctype: 'multipart/form-data', body: ok })), wire('InvalidRequest'));
    assert.throws(
      () => decodeRequest(tc3('POST', { ctype, body: ok.subarray(0, ok.length - 8) })),
      wire('InvalidRequest', /not terminated/),
    );
    const noHead = Buffer.from('--tcsslBoundary7MA4YWxk\r\nno header block--tcsslBoundary7MA4YWxk--\r\n');
    assert.throws(() => decodeRequest(tc3('POST', { ctype, body: noHead })), wire('InvalidRequest', /header block/));
    const noName = Buffer.from(
      '--tcsslBoundary7MA4YWxk\r\nContent-Type: text/plain\r\n\r\nx\r\n--tcsslBoundary7MA4YWxk--',
    );
    assert.throws(() => decodeRequest(tc3('POST', { ctype, body: noName })), wire('InvalidRequest', /field name/));
  });

  test('a multipart field sent twice is refused with InvalidParameter', () => {
    const body = multipart([
      ['A', 'x'],
      ['A', 'y'],
    ]);
    assert.throws(
      () => decodeRequest(tc3('POST', { ctype: 'multipart/form-data; boundary=tcsslBoundary7MA4YWxk', body })),
      wire('InvalidParameter', /more than once/),
    );
  });

  test('a body that is not JSON is refused with InvalidParameter', () => {
    for (const body of ['{', '{"A":1,}', "{'A':1}", 'A=1']) {
      assert.throws(
        () => decodeRequest(tc3('POST', { ctype: 'application/json', body })),
        wire('InvalidParameter', /not valid JSON/),
      );
    }
  });

  test('a JSON body that is not an object is refused with InvalidParameter', () => {
    for (const body of ['[]', '[{"A":1}]', '"x"', '1', 'null', 'true']) {
      assert.throws(
        () => decodeRequest(tc3('POST', { ctype: 'application/json', body })),
        wire('InvalidParameter', /must be a JSON object/),
        body,
      );
    }
  });

  test('a POST with an unsupported content type is refused with InvalidParameter', () => {
    assert.throws(
      () => decodeRequest(tc3('POST', { ctype: 'text/plain', body: '{}' })),
      wire('InvalidParameter', /Content-Type text\/plain/),
    );
  });

  test('a method other than GET or POST is refused with UnsupportedProtocol', () => {
    for (const method of ['PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
      assert.throws(() => decodeRequest(tc3(method)), wire('UnsupportedProtocol'));
      assert.throws(() => decodeRequest(v1(method)), wire('UnsupportedProtocol'));
    }
  });

  test('a lower-case method name is accepted as its upper-case form', () => {
    assert.deepEqual(decodeRequest(tc3('post', { ctype: 'application/json', body: '{"A":1}' })).params, { A: 1 });
  });

  test('the language is en-US only when asked for exactly, and zh-CN otherwise', () => {
    const lang = (v?: string) => {
      const raw = tc3('POST');
      if (v !== undefined) raw.headers['x-tc-language'] = v;
      return decodeRequest(raw).language;
    };
    assert.equal(lang(), 'zh-CN');
    assert.equal(lang('zh-CN'), 'zh-CN');
    assert.equal(lang('en-US'), 'en-US');
    assert.equal(lang('fr-FR'), 'zh-CN');
  });

  test('missing common headers decode to empty strings for the authenticator to refuse', () => {
    const d = decodeRequest({ method: 'POST', rawQuery: '', headers: { authorization: 'x' }, body: Buffer.alloc(0) });
    assert.deepEqual([d.action, d.version, d.region, d.timestamp, d.token, d.authorization], ['', '', '', '', '', 'x']);
  });

  test('a header sent twice counts by its first value', () => {
    const raw = tc3('POST');
    raw.headers['x-tc-action'] = ['First', 'Second'];
    assert.equal(decodeRequest(raw).action, 'First');
  });

  test('header names in Go casing (X-Tc-Action) reach the decoder through Node and are read', async () => {
    const raw = await throughNode(
      'POST',
      '/',
      {
        Authorization: AUTH,
        'X-Tc-Action': 'DescribeCertificates',
        'X-Tc-Version': '2019-12-05',
        'X-Tc-Timestamp': '1736942400',
        'X-Tc-Region': 'ap-beijing',
        'X-Tc-Language': 'en-US',
        'X-Tc-Token': 'tok',
        'X-Tc-Content-Sha256': 'UNSIGNED-PAYLOAD',
        'CONTENT-TYPE': 'Application/JSON',
      },
      '{"Limit":1}',
    );
    const d = decodeRequest(raw);
    assert.equal(d.form, 'tc3');
    assert.deepEqual(
      [d.action, d.version, d.timestamp, d.region, d.language, d.token],
      ['DescribeCertificates', '2019-12-05', '1736942400', 'ap-beijing', 'en-US', 'tok'],
    );
    assert.deepEqual(d.params, { Limit: 1 });
  });
});

describe('decodeRequest: v1', () => {
  const common =
    'Action=DescribeCertificates&Version=2019-12-05&Region=&Timestamp=1736942400&Nonce=18446744073709551615' +
    '&SecretId=AKIDx&Signature=ab%2Bc%2F%3D&SignatureMethod=HmacSHA256&Token=t&Language=en-US&RequestClient=SDK_GO_1.0';

  test('a GET query gives the common parameters apart from the action params, and every pair for signing', () => {
    const d = decodeRequest(v1('GET', { query: `${common}&Limit=5&CertIds.0=a&SearchKey=a+b` }));
    assert.equal(d.form, 'v1');
    assert.equal(d.flat, true);
    assert.deepEqual(
      [d.action, d.version, d.region, d.timestamp, d.language, d.token],
      ['DescribeCertificates', '2019-12-05', '', '1736942400', 'en-US', 't'],
    );
    assert.deepEqual(d.params, { Limit: '5', CertIds: ['a'], SearchKey: 'a b' });
    assert.equal(d.authorization, undefined);
    assert.deepEqual(d.v1Params, {
      Action: 'DescribeCertificates',
      Version: '2019-12-05',
      Region: '',
      Timestamp: '1736942400',
      Nonce: '18446744073709551615',
      SecretId: 'AKIDx',
      Signature: 'ab+c/=',
      SignatureMethod: 'HmacSHA256',
      Token: 't',
      Language: 'en-US',
      RequestClient: 'SDK_GO_1.0',
      Limit: '5',
      'CertIds.0': 'a',
      SearchKey: 'a b',
    });
  });

  test('a POST form body is read instead of the query', () => {
    const d = decodeRequest(
      v1('POST', {
        query: 'Ignored=1',
        ctype: 'application/x-www-form-urlencoded; charset=utf-8',
        body: `${common}&Limit=7`,
      }),
    );
    assert.deepEqual(d.params, { Limit: '7' });
    assert.equal(d.v1Params?.Signature, 'ab+c/=');
    assert.equal(d.v1Params?.Ignored, undefined);
  });

  test('a GET with a form content type and no body (as Go sends) reads the query', () => {
    const d = decodeRequest(v1('GET', { ctype: 'application/x-www-form-urlencoded', query: `${common}&Limit=1` }));
    assert.deepEqual(d.params, { Limit: '1' });
  });

  test('a POST multipart body carries v1 parameters too', () => {
    const body = multipart([
      ['Action', 'UploadCertificate'],
      ['Signature', 'sig'],
      ['Alias', 'x'],
    ]);
    const d = decodeRequest(v1('POST', { ctype: 'multipart/form-data; boundary=tcsslBoundary7MA4YWxk', body }));
    assert.equal(d.action, 'UploadCertificate');
    assert.deepEqual(d.params, { Alias: 'x' });
    assert.equal(d.v1Params?.Signature, 'sig');
  });

  test('a v1 POST with a JSON body is refused with InvalidParameter', () => {
    assert.throws(
      () => decodeRequest(v1('POST', { ctype: 'application/json', body: '{"Action":"X"}' })),
      wire('InvalidParameter', /v1 request/),
    );
  });

  test('a v1 request without Language is zh-CN', () => {
    assert.equal(decodeRequest(v1('GET', { query: 'Action=X' })).language, 'zh-CN');
  });

  test('a parameter sent twice is refused with InvalidParameter naming it', () => {
    assert.throws(
      () => decodeRequest(v1('GET', { query: 'Action=X&Limit=1&Limit=2' })),
      wire('InvalidParameter', /`Limit` appears more than once in the query string/),
    );
    assert.throws(
      () => decodeRequest(tc3('POST', { ctype: 'application/x-www-form-urlencoded', body: 'A=1&A=1' })),
      wire('InvalidParameter', /more than once in the request body/),
    );
    // The same name once encoded and once not is still the same name.
    assert.throws(() => decodeRequest(v1('GET', { query: 'A=1&%41=2' })), wire('InvalidParameter', /more than once/));
  });

  test('malformed percent-encoding is refused with InvalidParameter in both languages', () => {
    for (const query of ['A=%', 'A=%zz', 'A%=1', 'A=%E4%B8', 'A=%ED%A0%80']) {
      assert.throws(
        () => decodeRequest(v1('GET', { query })),
        (e: unknown) => {
          wire('InvalidParameter', /malformed percent-encoding near `A/)(e);
          assert.match((e as WireError).text('zh-CN'), /百分号编码有误/);
          return true;
        },
        query,
      );
    }
    assert.throws(
      () => decodeRequest(tc3('POST', { ctype: 'application/x-www-form-urlencoded', body: 'B=%G0' })),
      wire('InvalidParameter', /request body/),
    );
  });

  test('a flattened name the decoder refuses in a request is InvalidParameter', () => {
    assert.throws(() => decodeRequest(v1('GET', { query: 'Action=X&A.10000=x' })), wire('InvalidParameter'));
    assert.throws(() => decodeRequest(tc3('GET', { query: 'A=1&A.0=2' })), wire('InvalidParameter'));
  });
});

describe('parseUrlEncoded', () => {
  test('splits pairs, decodes + as a space, keeps = inside values and skips empty pieces', () => {
    assert.deepEqual(parseUrlEncoded('a=1&&b=x+y%2By&c&d=e=f&', 'q'), [
      ['a', '1'],
      ['b', 'x y+y'],
      ['c', ''],
      ['d', 'e=f'],
    ]);
    assert.deepEqual(parseUrlEncoded('', 'q'), []);
  });
});

describe('unflatten', () => {
  test('numbered names become arrays and dotted names objects', () => {
    assert.deepEqual(
      unflatten({
        'DomainList.0': 'a.com',
        'DomainList.1': 'b.com',
        'Filters.0.Name': 'x',
        'Filters.0.Values.0': 'y',
        'Filters.0.Values.1': 'z',
        'Filters.1.Name': 'w',
        'Info.Contact.Email': 'e@x.com',
        Plain: 'p',
      }),
      {
        DomainList: ['a.com', 'b.com'],
        Filters: [{ Name: 'x', Values: ['y', 'z'] }, { Name: 'w' }],
        Info: { Contact: { Email: 'e@x.com' } },
        Plain: 'p',
      },
    );
  });

  test('a 1-based or sparse list compacts in numeric order', () => {
    assert.deepEqual(unflatten({ 'A.1': 'x', 'A.2': 'y' }), { A: ['x', 'y'] });
    assert.deepEqual(unflatten({ 'A.0': 'x', 'A.5': 'y' }), { A: ['x', 'y'] });
    assert.deepEqual(unflatten({ 'A.10': 'c', 'A.2': 'a', 'A.9': 'b' }), { A: ['a', 'b', 'c'] });
  });

  test('index 9999 is accepted and 10000 refused with InvalidParameter', () => {
    assert.deepEqual(unflatten({ 'A.9999': 'x' }), { A: ['x'] });
    assert.throws(() => unflatten({ 'A.10000': 'x' }), wire('InvalidParameter', /index above 9999/));
    assert.throws(() => unflatten({ 'A.99999999999999999999': 'x' }), wire('InvalidParameter', /index above 9999/));
  });

  test('an index with a leading zero is refused with InvalidParameter instead of losing a value', () => {
    assert.throws(() => unflatten({ 'A.01': 'x' }), wire('InvalidParameter', /not a valid parameter name/));
    assert.throws(() => unflatten({ 'A.01': 'x', 'A.1': 'y' }), wire('InvalidParameter'));
    assert.throws(() => unflatten({ 'A.00': 'x' }), wire('InvalidParameter'));
    assert.deepEqual(unflatten({ 'A.0': 'x', 'A.10': 'y' }), { A: ['x', 'y'] });
  });

  test('a name that starts with an index is refused with InvalidParameter', () => {
    assert.throws(() => unflatten({ '0': 'x' }), wire('InvalidParameter', /not a valid parameter name/));
    assert.throws(() => unflatten({ '0.A': 'x' }), wire('InvalidParameter'));
  });

  test('malformed names are refused with InvalidParameter', () => {
    for (const name of ['', '.', 'A.', '.A', 'A..B', 'A-B', '1A', 'A B', 'A.-1', 'Ä', 'x'.repeat(129)]) {
      assert.throws(() => unflatten({ [name]: 'x' }), wire('InvalidParameter'), JSON.stringify(name));
    }
    assert.deepEqual(unflatten({ ['x'.repeat(128)]: 'ok', _a1: 'ok' }), { ['x'.repeat(128)]: 'ok', _a1: 'ok' });
  });

  test('names nested deeper than 8 levels are refused with InvalidParameter', () => {
    assert.deepEqual(unflatten({ 'A.B.C.D.E.F.G.H': 'x' }), {
      A: { B: { C: { D: { E: { F: { G: { H: 'x' } } } } } } },
    });
    assert.throws(() => unflatten({ 'A.B.C.D.E.F.G.H.I': 'x' }), wire('InvalidParameter', /nested too deeply/));
  });

  test('a name used both as a value and as a list or object is refused with InvalidParameter', () => {
    const cases: Array<Record<string, string>> = [
      { A: '1', 'A.0': '2' },
      { 'A.0': '2', A: '1' },
      { 'A.B': '1', A: '1' },
      { 'A.0': 'x', 'A.0.B': 'y' },
      { 'A.0.B': 'y', 'A.0': 'x' },
    ];
    for (const flat of cases) {
      assert.throws(() => unflatten(flat), wire('InvalidParameter', /mixes a value and a list or object/));
    }
  });

  test('a list that also has named members is refused with InvalidParameter', () => {
    assert.throws(() => unflatten({ 'A.0': 'x', 'A.Name': 'y' }), wire('InvalidParameter', /mixes list indexes/));
  });

  test('__proto__ in a name is refused with InvalidParameter and pollutes nothing', () => {
    for (const name of ['__proto__.polluted', '__proto__', 'A.__proto__.polluted', 'A.0.__proto__']) {
      assert.throws(() => unflatten({ [name]: '1' }), wire('InvalidParameter'), name);
    }
    assert.throws(() => decodeRequest(v1('GET', { query: '__proto__.polluted=1' })), wire('InvalidParameter'));
    assert.throws(() => decodeRequest(tc3('GET', { query: '__proto__.polluted=1' })), wire('InvalidParameter'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  });

  test('constructor and prototype as names stay harmless own properties', () => {
    const out = unflatten({ constructor: '1', 'prototype.polluted': '2', 'A.constructor.prototype.polluted': '3' });
    assert.deepEqual(Object.keys(out).sort(), ['A', 'constructor', 'prototype']);
    assert.equal(out.constructor, '1');
    assert.deepEqual(out.prototype, { polluted: '2' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal({}.constructor, Object);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  test('a JSON body with a __proto__ key keeps it as an own property and pollutes nothing', () => {
    const d = decodeRequest(tc3('POST', { ctype: 'application/json', body: '{"__proto__": {"polluted": 1}}' }));
    assert.deepEqual(Object.keys(d.params), ['__proto__']);
    assert.equal((d.params as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('decodeRequest: properties', () => {
  const segment = fc.constantFrom('A', 'Name', '0', '1', '01', '9999', '10000', '__proto__', 'constructor', '', 'a-b');
  const flatName = fc.array(segment, { minLength: 1, maxLength: 10 }).map((s) => s.join('.'));
  const encodedText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('%', '%2', '%zz', '%E4%B8', '+', '=', '&&', '%C0%AF'),
  );
  const pair = fc.tuple(fc.oneof(flatName, encodedText), encodedText).map(([k, v]) => `${k}=${v}`);
  const urlEncoded = fc.oneof(
    fc.array(pair, { maxLength: 12 }).map((p) => p.join('&')),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
  const jsonish = fc.oneof(
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 50 }),
    fc.constant('{"__proto__": {"x": 1}}'),
  );
  const multipartBody = fc
    .array(fc.tuple(fc.oneof(flatName, fc.string({ maxLength: 10 })), fc.string({ maxLength: 20 })), { maxLength: 5 })
    .map((fields) => multipart(fields).toString('latin1'));
  const body = fc.oneof(urlEncoded, jsonish, multipartBody, fc.uint8Array({ maxLength: 200 }));
  const ctype = fc.constantFrom(
    undefined,
    'application/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=tcsslBoundary7MA4YWxk',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'text/plain',
    '',
    ';;',
  );

  test('arbitrary query strings and bodies either decode or throw a WireError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'get', 'PUT'),
        fc.boolean(),
        urlEncoded,
        ctype,
        body,
        fc.option(fc.constantFrom('en-US', 'zh-CN', ''), { nil: undefined }),
        (method, signedTc3, query, contentType, payload, language) => {
          const headers: RawRequest['headers'] = {};
          if (signedTc3) headers.authorization = AUTH;
          if (contentType !== undefined) headers['content-type'] = contentType;
          if (language !== undefined) headers['x-tc-language'] = language;
          const raw: RawRequest = {
            method,
            rawQuery: query,
            headers,
            body: typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload),
          };
          try {
            const d = decodeRequest(raw);
            assert.equal(typeof d.params, 'object');
            assert.notEqual(d.params, null);
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
          assert.equal(({} as Record<string, unknown>).x, undefined);
          assert.equal(({} as Record<string, unknown>).polluted, undefined);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('any flat record either unflattens to a value for every name or throws a WireError', () => {
    fc.assert(
      fc.property(fc.dictionary(flatName, fc.string({ maxLength: 5 }), { maxKeys: 8 }), (flat) => {
        let out: Record<string, unknown>;
        try {
          out = unflatten(flat);
        } catch (e) {
          if (e instanceof WireError) return;
          throw e;
        }
        // Nothing is lost: the leaves of the result are exactly the values sent.
        const leaves: string[] = [];
        const walk = (v: unknown) => {
          if (typeof v === 'string') leaves.push(v);
          else for (const c of Object.values(v as object)) walk(c);
        };
        walk(out);
        assert.deepEqual(leaves.sort(), Object.values(flat).sort());
      }),
      { numRuns: 2000 },
    );
  });
});
