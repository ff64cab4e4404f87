// keptByRow: what is made from frozen rows and the language is made once for them, and made again for anything else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lang } from '../../src/actions/context.js';
import { keptByRow } from '../../src/actions/kept-answers.js';

function counted() {
  let made = 0;
  const make = (row: { v: number }, also: readonly { w: number }[] | null, lang: Lang) => {
    made++;
    return `${row.v}/${also?.map((a) => a.w).join(',') ?? '-'}/${lang}`;
  };
  return { kept: keptByRow(make), made: () => made };
}

test('made once per frozen row, rows read with it and language', () => {
  const { kept, made } = counted();
  const row = Object.freeze({ v: 1 });
  const also = Object.freeze([Object.freeze({ w: 2 })]);
  assert.equal(kept(row, also, 'en-US'), '1/2/en-US');
  assert.equal(kept(row, also, 'en-US'), '1/2/en-US');
  assert.equal(made(), 1);
  assert.equal(kept(row, also, 'zh-CN'), '1/2/zh-CN');
  assert.equal(kept(row, also, 'en-US'), '1/2/en-US');
  assert.equal(made(), 2);
});

test('other rows read with the same row make it again', () => {
  const { kept, made } = counted();
  const row = Object.freeze({ v: 1 });
  assert.equal(kept(row, Object.freeze([Object.freeze({ w: 2 })]), 'en-US'), '1/2/en-US');
  assert.equal(kept(row, Object.freeze([Object.freeze({ w: 3 })]), 'en-US'), '1/3/en-US');
  assert.equal(made(), 2);
});

test('a row or rows read with it that are not frozen are made each time', () => {
  const { kept, made } = counted();
  const open = { v: 1 };
  kept(open, null, 'en-US');
  open.v = 5;
  assert.equal(kept(open, null, 'en-US'), '5/-/en-US');
  const row = Object.freeze({ v: 1 });
  const also = [{ w: 2 }];
  kept(row, also, 'en-US');
  also[0].w = 7;
  assert.equal(kept(row, also, 'en-US'), '1/7/en-US');
  assert.equal(made(), 4);
});

test('null for nothing read with the row is kept like any other', () => {
  const { kept, made } = counted();
  const row = Object.freeze({ v: 1 });
  kept(row, null, 'zh-CN');
  kept(row, null, 'zh-CN');
  assert.equal(made(), 1);
});
