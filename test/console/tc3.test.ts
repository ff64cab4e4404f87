// The console's WebCrypto signer against the server's own: for fixed inputs both must write the same Authorization
// header byte for byte, and a request it signs must verify on the server's verifier.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { tc3Authorization, tc3Date } from '../../console/src/tc3.js';
import { parseTc3Authorization, tc3Date as serverDate, signTc3, verifyTc3 } from '../../src/gateway/signature-v3.js';

const FIXED = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  service: 'ssl',
  host: '127.0.0.1:9000',
  method: 'POST' as const,
  rawQuery: '',
  contentType: 'application/json',
  payload: '{"Limit":10,"SearchKey":"例子.测试"}',
  timestamp: 1_700_000_000,
};

describe('console TC3 signer', () => {
  test("writes the server signer's Authorization byte for byte for a fixed POST", async () => {
    const expected = signTc3(FIXED).authorization;
    assert.equal(await tc3Authorization(FIXED), expected);
    assert.match(expected, /^TC3-HMAC-SHA256 Credential=AKID\S+\/2023-11-14\/ssl\/tc3_request, SignedHeaders=/);
  });

  test('matches for a GET with a raw query, another service label and an empty body', async () => {
    const get = {
      ...FIXED,
      method: 'GET' as const,
      rawQuery: 'Limit=10&SearchKey=a%2Cb',
      contentType: 'application/x-www-form-urlencoded',
      payload: '',
      service: '127',
      host: 'localhost',
    };
    assert.equal(await tc3Authorization(get), signTc3(get).authorization);
  });

  test('computes the same UTC scope date as the server around midnight', () => {
    for (const ts of [0, 86_399, 86_400, 1_700_006_399, 1_700_006_400, 4_102_444_800]) {
      assert.equal(tc3Date(ts), serverDate(ts));
    }
  });

  test('matches the server for arbitrary keys, hosts and JSON payloads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.jsonValue(),
        fc.integer({ min: 1, max: 4_000_000_000 }),
        async (secretKey, host, value, timestamp) => {
          const input = { ...FIXED, secretKey, host: host.trim() || 'h', payload: JSON.stringify(value), timestamp };
          assert.equal(await tc3Authorization(input), signTc3(input).authorization);
        },
      ),
      { numRuns: 100 },
    );
  });

  test("a request it signs verifies on the server's verifier", async () => {
    const authorization = await tc3Authorization(FIXED);
    const auth = parseTc3Authorization(authorization);
    assert.ok(auth);
    const ok = verifyTc3({
      auth,
      method: 'POST',
      rawQuery: '',
      headers: { host: FIXED.host, 'content-type': FIXED.contentType },
      body: new TextEncoder().encode(FIXED.payload),
      timestamp: String(FIXED.timestamp),
      secretKey: FIXED.secretKey,
    });
    assert.equal(ok, true);
  });
});
