import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { bool, int, intRange, list, oneOf, str, tag } from '../../src/actions/wire.js';
import { WireError } from '../../src/gateway/envelope.js';
import type { ErrorCode } from '../../src/gateway/error-codes.js';
import { parseParams } from '../../src/gateway/params.js';

const schema = z.strictObject({
  CertificateId: str(16),
  Limit: int().optional(),
  Offset: intRange(0, 100).optional(),
  IsDV: bool().optional(),
  CsrType: oneOf(['online', 'parse']).optional(),
  DomainList: list(str(8), 3).optional(),
  Tags: list(tag, 5).optional(),
  Contact: z.strictObject({ Email: str(64), Phone: str(20).optional() }).optional(),
});

function fails(raw: Record<string, unknown>, code: ErrorCode, en: RegExp, zh?: RegExp): void {
  assert.throws(
    () => parseParams(schema, raw),
    (e: unknown) => {
      assert.ok(e instanceof WireError, `expected a WireError, got ${e}`);
      assert.equal(e.code, code);
      assert.match(e.text('en-US'), en);
      assert.equal(e.text('en-US'), e.message);
      if (zh) assert.match(e.text('zh-CN'), zh);
      return true;
    },
    JSON.stringify(raw),
  );
}

describe('parseParams', () => {
  test('valid JSON parameters pass through typed', () => {
    const p = parseParams(schema, {
      CertificateId: 'abc',
      Limit: 10,
      IsDV: false,
      DomainList: ['a.com'],
      Tags: [{ TagKey: 'k', TagValue: 'v' }],
    });
    assert.deepEqual(p, {
      CertificateId: 'abc',
      Limit: 10,
      IsDV: false,
      DomainList: ['a.com'],
      Tags: [{ TagKey: 'k', TagValue: 'v' }],
    });
  });

  test('flattened strings are coerced: "10" to 10, "-3" to -3, True/true/1 and False/false/0 to booleans', () => {
    assert.equal(parseParams(schema, { CertificateId: 'a', Limit: '10' }).Limit, 10);
    assert.equal(parseParams(schema, { CertificateId: 'a', Limit: '-3' }).Limit, -3);
    assert.equal(parseParams(schema, { CertificateId: 'a', Offset: '100' }).Offset, 100);
    for (const v of ['True', 'true', '1', true])
      assert.equal(parseParams(schema, { CertificateId: 'a', IsDV: v }).IsDV, true);
    for (const v of ['False', 'false', '0', false]) {
      assert.equal(parseParams(schema, { CertificateId: 'a', IsDV: v }).IsDV, false);
    }
  });

  test('a missing required parameter fails with MissingParameter naming it', () => {
    fails({}, 'MissingParameter', /^The parameter `CertificateId` is required\.$/, /缺少必填参数 `CertificateId`/);
  });

  test('a missing parameter inside a list fails with MissingParameter naming its flattened path', () => {
    fails(
      { CertificateId: 'a', Tags: [{ TagKey: 'k', TagValue: 'v' }, { TagKey: 'k' }] },
      'MissingParameter',
      /`Tags\.1\.TagValue`/,
    );
    fails({ CertificateId: 'a', Contact: {} }, 'MissingParameter', /`Contact\.Email`/);
  });

  test('a wrong type fails with InvalidParameter saying which type is expected', () => {
    fails(
      { CertificateId: 'a', Limit: 'ten' },
      'InvalidParameter',
      /^The parameter `Limit` must be an Integer\.$/,
      /参数 `Limit` 应为整数/,
    );
    fails({ CertificateId: 'a', Limit: 1.5 }, 'InvalidParameter', /`Limit` must be an Integer/);
    fails({ CertificateId: 'a', Limit: '1.5' }, 'InvalidParameter', /`Limit` must be an Integer/);
    fails({ CertificateId: 'a', Limit: '1e3' }, 'InvalidParameter', /`Limit` must be an Integer/);
    fails({ CertificateId: 7 }, 'InvalidParameter', /`CertificateId` must be a String/, /应为字符串/);
    fails({ CertificateId: 'a', IsDV: 'yes' }, 'InvalidParameter', /`IsDV` must be a Boolean/, /应为布尔值/);
    fails({ CertificateId: 'a', DomainList: 'a.com' }, 'InvalidParameter', /`DomainList` must be an Array/, /应为数组/);
    fails({ CertificateId: 'a', Contact: 'x' }, 'InvalidParameter', /`Contact` must be an Object/, /应为对象/);
    fails({ CertificateId: 'a', DomainList: ['a', 5] }, 'InvalidParameter', /`DomainList\.1` must be a String/);
  });

  test('a JSON null is a wrong type, not a missing parameter, with InvalidParameter', () => {
    fails({ CertificateId: null }, 'InvalidParameter', /`CertificateId` must be a String/);
  });

  test('a value out of range fails with InvalidParameterValue naming the bound', () => {
    fails({ CertificateId: 'a', Offset: 101 }, 'InvalidParameterValue', /`Offset` is invalid: must be at most 100/);
    fails(
      { CertificateId: 'a', Offset: '-1' },
      'InvalidParameterValue',
      /`Offset` is invalid: must be at least 0/,
      /参数 `Offset` 的取值无效/,
    );
    fails(
      { CertificateId: 'x'.repeat(17) },
      'InvalidParameterValue',
      /`CertificateId` is invalid: must be at most 16 characters/,
    );
    fails(
      { CertificateId: 'a', DomainList: ['a', 'b', 'c', 'd'] },
      'InvalidParameterValue',
      /`DomainList` is invalid: must have at most 3 items/,
    );
    fails(
      { CertificateId: 'a', CsrType: 'upload' },
      'InvalidParameterValue',
      /`CsrType` is invalid: must be one of online, parse/,
    );
  });

  test('an unknown parameter fails with UnknownParameter naming it', () => {
    fails(
      { CertificateId: 'a', Foo: 1 },
      'UnknownParameter',
      /^The parameter `Foo` is not recognized\.$/,
      /未知参数 `Foo`/,
    );
  });

  test('an unknown parameter nested in a list fails with UnknownParameter naming Tags.0.Foo', () => {
    fails(
      { CertificateId: 'a', Tags: [{ TagKey: 'k', TagValue: 'v', Foo: 'x' }] },
      'UnknownParameter',
      /`Tags\.0\.Foo`/,
    );
    fails({ CertificateId: 'a', Contact: { Email: 'e', Fax: '1' } }, 'UnknownParameter', /`Contact\.Fax`/);
  });

  test('an unknown name is reported before a missing one, and a missing one before a wrong value', () => {
    fails({ Foo: 1, Limit: 'x' }, 'UnknownParameter', /`Foo`/);
    fails({ Limit: 'x', Offset: 1000 }, 'MissingParameter', /`CertificateId`/);
    fails({ CertificateId: 'a', Offset: 1000, Limit: 'x' }, 'InvalidParameter', /`Limit`/);
  });

  test('the English and Chinese texts differ and each names the parameter', () => {
    try {
      parseParams(schema, { CertificateId: 'a', Limit: 'x' });
      assert.fail('expected a WireError');
    } catch (e) {
      assert.ok(e instanceof WireError);
      assert.notEqual(e.text('zh-CN'), e.text('en-US'));
      assert.match(e.text('zh-CN'), /`Limit`/);
      assert.match(e.text('en-US'), /`Limit`/);
    }
  });
});
