// An answer whose JSON a handler has already written, for the envelope to splice in as it is, and the ASCII-only JSON
// writing that DescribeCertificates' items use. V8 writes JSON.stringify's output as a two-byte string as soon as one
// character is beyond Latin-1, and every item carries the Chinese ProductZhName: a page of twenty items then cost
// about 70-110 µs to stringify and encode on the benchmark's VM. Items written by hand, with non-ASCII characters as
// \u escapes (the same JSON value for any parser), stay one-byte strings and cost about half.

/** A handler's answer as JSON text: an object's JSON (`{...}`), without the envelope's RequestId. */
export class JsonText {
  private utf8: Buffer | undefined;
  constructor(readonly json: string) {}

  /** The text in UTF-8, encoded once: an answer kept for many requests (kept-answers.ts) is not encoded again. */
  get bytes(): Buffer {
    this.utf8 ??= Buffer.from(this.json);
    return this.utf8;
  }
}

/** Characters a JSON string may hold as they are, in the ASCII range. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const BEYOND_ASCII = /[\u007f-\uffff]/g;
const escapeUnit = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON of any value (as JSON.stringify), in ASCII: each UTF-16 unit beyond it as a \u escape. */
export function asciiJson(value: unknown): string {
  // Beyond ASCII, JSON.stringify leaves characters raw only inside strings, where an escape means the same.
  const json = JSON.stringify(value);
  return json === undefined ? 'null' : json.replace(BEYOND_ASCII, escapeUnit);
}

/** JSON of a string, in ASCII. */
export function asciiJsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : asciiJson(s);
}

/** JSON of a list of strings, in ASCII. */
export function asciiJsonStrings(list: readonly string[]): string {
  if (list.length === 0) return '[]';
  let out = `[${asciiJsonString(list[0])}`;
  for (let i = 1; i < list.length; i++) out += `,${asciiJsonString(list[i])}`;
  return `${out}]`;
}
