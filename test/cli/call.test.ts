import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseActionArgs } from '../../src/cli/call.js';
import { flattenParams } from '../../src/cli/flatten.js';
import { unflatten } from '../../src/gateway/decode.js';

describe('parseActionArgs', () => {
  test('--Name value and --Name=value both give the value as a string', () => {
    assert.deepEqual(parseActionArgs(['--Limit', '5', '--Offset=10', '--SearchKey', 'a b']), {
      Limit: '5',
      Offset: '10',
      SearchKey: 'a b',
    });
  });

  test('no arguments give no parameters', () => {
    assert.deepEqual(parseActionArgs([]), {});
  });

  test('only the first = splits name from value, and an empty value is kept', () => {
    assert.deepEqual(parseActionArgs(['--Alias=a=b', '--Empty=']), { Alias: 'a=b', Empty: '' });
  });

  test('a value after a space is taken as it is, even when it starts with dashes', () => {
    assert.deepEqual(parseActionArgs(['--Offset', '-5', '--Alias', '--x']), { Offset: '-5', Alias: '--x' });
  });

  test('dotted names with indexes build arrays, and dotted names build objects', () => {
    assert.deepEqual(
      parseActionArgs([
        '--DomainList.0',
        'a.com',
        '--DomainList.1',
        'b.com',
        '--Filters.0.Name',
        'x',
        '--Filters.0.Values.0',
        'y',
        '--Info.Contact.Email',
        'e@x.com',
      ]),
      {
        DomainList: ['a.com', 'b.com'],
        Filters: [{ Name: 'x', Values: ['y'] }],
        Info: { Contact: { Email: 'e@x.com' } },
      },
    );
  });

  test('a value that looks like JSON is parsed as JSON and sent as flattened strings', () => {
    assert.deepEqual(
      parseActionArgs(['--DomainList', '["a.com","b.com"]', '--Tags', ' [{"TagKey":"k","TagValue":"v"}]']),
      {
        DomainList: ['a.com', 'b.com'],
        Tags: [{ TagKey: 'k', TagValue: 'v' }],
      },
    );
    // Scalars travel as strings, as in every flattened form; the server's schemas read "1" and "true".
    assert.deepEqual(parseActionArgs(['--Info={"A":1,"B":[true]}']), { Info: { A: '1', B: ['true'] } });
  });

  test('a value that looks like JSON but does not parse is refused naming the flag', () => {
    assert.throws(
      () => parseActionArgs(['--DomainList', '[a.com]']),
      /--DomainList: the value looks like JSON but does not parse/,
    );
    assert.throws(() => parseActionArgs(['--Info={']), /--Info: the value looks like JSON/);
  });

  test('an argument without -- is refused', () => {
    assert.throws(() => parseActionArgs(['Limit', '5']), /unexpected argument Limit: parameters are --Name value/);
    assert.throws(() => parseActionArgs(['--Limit', '5', 'extra']), /unexpected argument extra/);
  });

  test('a last flag without a value is refused naming it', () => {
    assert.throws(() => parseActionArgs(['--Limit']), /--Limit needs a value/);
  });

  test('what parseActionArgs builds flattens to the dotted names given', () => {
    const args = ['--DomainList.0', 'a', '--DomainList.1', 'b', '--Filters.0.Values.0', 'y', '--Limit=5'];
    assert.deepEqual(flattenParams(parseActionArgs(args)), {
      'DomainList.0': 'a',
      'DomainList.1': 'b',
      'Filters.0.Values.0': 'y',
      Limit: '5',
    });
  });

  test('a dotted name under a name already given a value is refused with a clear error', () => {
    assert.throws(() => parseActionArgs(['--A', 'x', '--A.0', 'y']), /^Error: .*A/);
  });

  test('a named member under a list is refused instead of silently dropped', () => {
    assert.throws(() => parseActionArgs(['--A.0', 'x', '--A.B', 'y']));
  });

  test('a __proto__ flag name pollutes nothing', () => {
    try {
      try {
        parseActionArgs(['--__proto__.polluted', 'x']);
      } catch {
        // refusing it is fine too
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});

describe('flattenParams', () => {
  test('arrays get numbered names and objects dotted names, scalars become strings', () => {
    assert.deepEqual(
      flattenParams({
        DomainList: ['a.com', 'b.com'],
        Filters: [{ Name: 'x', Values: ['y', 'z'] }, { Name: 'w' }],
        Limit: 5,
        IsDV: true,
        Renew: false,
        Alias: '别名',
      }),
      {
        'DomainList.0': 'a.com',
        'DomainList.1': 'b.com',
        'Filters.0.Name': 'x',
        'Filters.0.Values.0': 'y',
        'Filters.0.Values.1': 'z',
        'Filters.1.Name': 'w',
        Limit: '5',
        IsDV: 'true',
        Renew: 'false',
        Alias: '别名',
      },
    );
  });

  test('null and undefined values, empty arrays and empty objects send nothing', () => {
    assert.deepEqual(flattenParams({ A: null, B: undefined, C: [], D: {}, E: [null], F: '' }), { F: '' });
  });

  test('a prefix is put in front of every name', () => {
    assert.deepEqual(flattenParams({ Name: 'x', Values: ['y'] }, 'Filters.0'), {
      'Filters.0.Name': 'x',
      'Filters.0.Values.0': 'y',
    });
  });

  test('the gateway unflattens what flattenParams sends back into the same value', () => {
    const name = fc.stringMatching(/^[A-Z][A-Za-z0-9_]{0,8}$/);
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.string({ maxLength: 8 }),
        fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        fc.dictionary(name, tie('node'), { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    const depth = (v: unknown): number =>
      typeof v === 'string' ? 0 : 1 + Math.max(...Object.values(v as object).map(depth));
    fc.assert(
      fc.property(fc.dictionary(name, tree.node, { minKeys: 1, maxKeys: 4, noNullPrototype: true }), (params) => {
        fc.pre(depth(params) <= 8);
        assert.deepEqual(unflatten(flattenParams(params)), params);
      }),
      { numRuns: 500 },
    );
  });
});
