import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { asciiJson, JsonText } from '../../src/actions/json-text.js';
import { successBody } from '../../src/gateway/envelope.js';

/** What successBody promises: the answer's fields, then RequestId, under Response. */
const reference = (id: string, data: Record<string, unknown>) =>
  JSON.stringify({ Response: { ...data, RequestId: id } });

describe('successBody', () => {
  test('is the answer with RequestId last, for any JSON-able answer', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (id, data) => {
        assert.equal(String(successBody(id, data)), reference(id, data));
      }),
      { numRuns: 500 },
    );
  });

  test('an empty answer, undefined fields, and an id that needs escaping', () => {
    for (const data of [{}, { A: undefined }, { A: undefined, B: 1 }, { B: 1, A: undefined }]) {
      const id = 'a"b\\c\u2028';
      assert.equal(String(successBody(id, data)), reference(id, data));
      assert.deepEqual(JSON.parse(String(successBody(id, data))).Response.RequestId, id);
    }
  });

  test("the request's RequestId wins over one in the answer, in the answer's place", () => {
    const body = successBody('req-1', { RequestId: 'stale', X: 1 });
    assert.equal(body, '{"Response":{"RequestId":"req-1","X":1}}');
  });

  test('an answer whose toJSON is not an object still gets the general form', () => {
    const data = { toJSON: () => 'text' } as unknown as Record<string, unknown>;
    assert.equal(String(successBody('r', data)), reference('r', data));
  });

  test('an answer already written as JSON is spliced in as it is, in UTF-8, RequestId last', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (id, data) => {
        const ascii = successBody(id, new JsonText(asciiJson(data)));
        assert.ok(Buffer.isBuffer(ascii));
        assert.equal(ascii.toString('utf8'), reference(id, JSON.parse(asciiJson(data))));
        // Text beyond ASCII, as JSON.stringify writes it, is copied in UTF-8.
        const text = new JsonText(JSON.stringify(data));
        assert.equal(String(successBody(id, text)), reference(id, data));
        assert.equal(String(successBody(`${id}-again`, text)), reference(`${id}-again`, data), 'its bytes reused');
      }),
      { numRuns: 300 },
    );
    assert.equal(String(successBody('r', new JsonText('{}'))), '{"Response":{"RequestId":"r"}}');
    assert.equal(String(successBody('r"é', new JsonText('{"A":"证"}'))), '{"Response":{"A":"证","RequestId":"r\\"é"}}');
  });
});
