// Turns an action's zod schema verdict into Tencent's parameter errors, naming the parameter in wire form
// (DomainList.1, Filters.0.Name) and the reason, in both languages.

import type { z } from 'zod';
import { WireError } from './envelope.js';

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, [string, string]> = {
  number: ['an Integer', '整数'],
  int: ['an Integer', '整数'],
  string: ['a String', '字符串'],
  boolean: ['a Boolean', '布尔值'],
  array: ['an Array', '数组'],
  object: ['an Object', '对象'],
};

function wirePath(path: PropertyKey[]): string {
  return path.map(String).join('.');
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

/** Lower is reported first: an unknown name says more than a wrong value behind it. */
function rank(issue: Issue, raw: unknown): number {
  if (issue.code === 'unrecognized_keys') return 0;
  if (issue.code === 'invalid_type') return valueAt(raw, issue.path) === undefined ? 1 : 2;
  return 3;
}

export function issueToWireError(issue: Issue, raw: unknown): WireError {
  const name = wirePath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = [name, issue.keys[0]].filter(Boolean).join('.').slice(0, 128);
    return new WireError('UnknownParameter', `The parameter \`${key}\` is not recognized.`, `未知参数 \`${key}\`。`);
  }
  if (issue.code === 'invalid_type') {
    if (valueAt(raw, issue.path) === undefined) {
      return new WireError('MissingParameter', `The parameter \`${name}\` is required.`, `缺少必填参数 \`${name}\`。`);
    }
    const [en, zh] = TYPE_NAMES[issue.expected] ?? [issue.expected, issue.expected];
    return new WireError(
      'InvalidParameter',
      `The parameter \`${name}\` must be ${en}.`,
      `参数 \`${name}\` 应为${zh}。`,
    );
  }
  return new WireError(
    'InvalidParameterValue',
    `The value of \`${name}\` is invalid: ${issue.message}.`,
    `参数 \`${name}\` 的取值无效：${issue.message}。`,
  );
}

/** The path of the first string holding a NUL character: no parameter needs one, and PostgreSQL cannot store it. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nulPath(v, path ? `${path}.${k}` : k);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Parses raw parameters with the action's schema, or throws the WireError for the most telling issue. */
export function parseParams<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const nul = nulPath(raw, '');
  if (nul !== undefined) {
    throw new WireError(
      'InvalidParameterValue',
      `The value of \`${nul}\` must not contain NUL characters.`,
      `参数 \`${nul}\` 的取值不能包含 NUL 字符。`,
    );
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = [...r.error.issues].sort((a, b) => rank(a, raw) - rank(b, raw));
  throw issueToWireError(issues[0], raw);
}
