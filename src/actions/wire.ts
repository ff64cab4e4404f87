// Schema pieces for wire parameters. Values that came flattened (query or form) arrive as strings, so integers
// and booleans also accept their string forms ("10", "true"/"True" as Python sends); JSON values pass as they are.

import { z } from 'zod';

const INT = /^-?\d{1,16}$/;

function toInt(v: unknown): unknown {
  return typeof v === 'string' && INT.test(v) ? Number(v) : v;
}

function toBool(v: unknown): unknown {
  if (v === 'true' || v === 'True' || v === '1') return true;
  if (v === 'false' || v === 'False' || v === '0') return false;
  return v;
}

/** Bounded string; every wire string has a length cap so no field can carry megabytes. */
export function str(max = 1024) {
  return z.string().max(max, `must be at most ${max} characters`);
}

export function int() {
  return z.preprocess(toInt, z.number().int());
}

export function intRange(min: number, max: number) {
  return z.preprocess(toInt, z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

export function bool() {
  return z.preprocess(toBool, z.boolean());
}

export function list<T extends z.ZodType>(item: T, max = 100) {
  return z.array(item).max(max, `must have at most ${max} items`);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** Tencent's Tag shape: {TagKey, TagValue}. */
export const tag = z.strictObject({ TagKey: str(127), TagValue: str(255) });

/** An optional enum where an empty string, as some clients send for "not set", also means absent. */
export function optionalOneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess((v) => (v === '' ? undefined : v), oneOf(values).optional());
}
