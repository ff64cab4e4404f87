import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ACTIONS } from '../../src/actions/index.js';
import { DEFAULT_KIND_CODES, toWireFailure, WireError } from '../../src/gateway/envelope.js';
import { ERROR_CODES, isErrorCode } from '../../src/gateway/error-codes.js';

// The repo and shared/ sit side by side (/work/main and /work/shared here; CI keeps the same layout).
const FACTS = readFileSync(new URL('../../../shared/docs/API-FACTS.md', import.meta.url), 'utf8');
const CODES = Object.keys(ERROR_CODES);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The code as a whole word: `FailedOperation` must not count as found inside `FailedOperation.AuthError`. */
const mentions = (text: string, code: string) =>
  new RegExp(`(?<![\\w.])${escapeRegExp(code)}(?![\\w]|\\.[A-Za-z])`).test(text);

/** The codes a section of API-FACTS.md lists, written in backticks or in the first cell of a table row. */
function codesInSection(heading: string): string[] {
  const start = FACTS.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `API-FACTS.md has a section "${heading}"`);
  const end = FACTS.indexOf('\n## ', start + 3);
  const section = FACTS.slice(start, end < 0 ? undefined : end);
  const found = new Set<string>();
  for (const m of section.matchAll(/`([A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)?)`/g)) found.add(m[1]);
  for (const m of section.matchAll(/^\| *([A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)?) *\|/gm)) found.add(m[1]);
  return [...found];
}

describe('error catalogue', () => {
  test('the catalogue holds codes, each named once and in Tencent form', () => {
    assert.ok(CODES.length >= 35 + 8, `${CODES.length} codes`);
    assert.equal(new Set(CODES).size, CODES.length);
    for (const code of CODES) assert.match(code, /^[A-Z][A-Za-z]+(\.[A-Z][A-Za-z0-9]+)?$/, code);
  });

  test('every catalogued code appears in API-FACTS.md', () => {
    const missing = CODES.filter((code) => !mentions(FACTS, code));
    assert.deepEqual(missing, []);
  });

  test('every common code API-FACTS.md lists is catalogued', () => {
    const listed = codesInSection('Common error codes (all actions)');
    assert.equal(listed.length, 35);
    assert.deepEqual(
      listed.filter((c) => !isErrorCode(c)),
      [],
    );
  });

  test('every SubmitCertificateInformation code API-FACTS.md lists is catalogued', () => {
    const listed = codesInSection('SubmitCertificateInformation business errors (from the seed)').filter(
      (c) => c.includes('.') || c === 'InternalError',
    );
    assert.ok(listed.length >= 8 + 9, `${listed.length} codes`);
    assert.deepEqual(
      listed.filter((c) => !isErrorCode(c)),
      [],
    );
  });

  test('every code has a non-empty English and Chinese text, and they differ', () => {
    for (const [code, text] of Object.entries(ERROR_CODES)) {
      assert.ok(text.en.trim().length > 0, `${code} en`);
      assert.ok(text.zh.trim().length > 0, `${code} zh`);
      assert.notEqual(text.en, text.zh, code);
      assert.match(text.zh, /[\u4e00-\u9fff]/, `${code} zh has Chinese`);
      assert.doesNotMatch(text.en, /[\u4e00-\u9fff]/, `${code} en has no Chinese`);
    }
  });

  test('isErrorCode accepts catalogued codes only, and no inherited name', () => {
    assert.equal(isErrorCode('InternalError'), true);
    assert.equal(isErrorCode('FailedOperation.NoRealNameAuth'), true);
    for (const code of ['Nope', 'failedoperation', 'toString', 'constructor', '__proto__', '']) {
      assert.equal(isErrorCode(code), false, code);
    }
  });

  test('every code DEFAULT_KIND_CODES maps a domain kind to is catalogued', () => {
    for (const [kind, code] of Object.entries(DEFAULT_KIND_CODES)) assert.ok(isErrorCode(code), `${kind} -> ${code}`);
  });

  test("every code in a registered action's errors map is catalogued", () => {
    assert.ok(ACTIONS.size > 0);
    for (const [name, def] of ACTIONS) {
      assert.equal(def.name, name);
      for (const [kind, code] of Object.entries(def.errors))
        assert.ok(isErrorCode(code!), `${name}: ${kind} -> ${code}`);
    }
  });

  test('a WireError without a text of its own carries the catalogue texts', () => {
    const e = new WireError('RequestLimitExceeded');
    assert.equal(e.text('en-US'), ERROR_CODES.RequestLimitExceeded.en);
    assert.equal(e.text('zh-CN'), ERROR_CODES.RequestLimitExceeded.zh);
    assert.deepEqual(toWireFailure(e, 'zh-CN'), {
      code: 'RequestLimitExceeded',
      message: ERROR_CODES.RequestLimitExceeded.zh,
      internal: false,
    });
  });
});
