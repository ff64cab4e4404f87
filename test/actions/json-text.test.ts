import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { asciiJson, asciiJsonString, asciiJsonStrings } from '../../src/actions/json-text.js';

const ASCII = /^[\x20-\x7e]*$/;
// Every UTF-16 unit, lone surrogates included, and the characters JSON must or may escape.
const anyText = fc.string({ unit: 'binary' });
const HOSTILE = [
  '',
  '"',
  '\\',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  '😀',
  '证书',
  '</script>',
];

describe('ASCII JSON', () => {
  test('a string reads back as itself, in ASCII only', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.constantFrom(...HOSTILE)), (s) => {
        const json = asciiJsonString(s);
        assert.match(json, ASCII);
        assert.equal(JSON.parse(json), s);
      }),
      { numRuns: 3000 },
    );
    assert.equal(asciiJsonString('plain text'), '"plain text"');
    assert.equal(asciiJsonString('证书'), '"\\u8bc1\\u4e66"');
  });

  test('any JSON value reads back as JSON.stringify would give it, in ASCII only', () => {
    fc.assert(
      fc.property(fc.jsonValue({ depthSize: 'small' }), fc.array(anyText, { maxLength: 4 }), (value, strings) => {
        for (const v of [value, strings, { k: strings }]) {
          const json = asciiJson(v);
          assert.match(json, ASCII);
          assert.deepStrictEqual(JSON.parse(json), JSON.parse(JSON.stringify(v)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('a list of strings is the JSON array of them', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyText, fc.constantFrom(...HOSTILE)), { maxLength: 5 }), (list) => {
        const json = asciiJsonStrings(list);
        assert.match(json, ASCII);
        assert.deepStrictEqual(JSON.parse(json), list);
      }),
      { numRuns: 1000 },
    );
    assert.equal(asciiJsonStrings([]), '[]');
  });
});
