// Just enough DER encoding to build a PKCS#10 request by hand: definite lengths, OIDs, SEQUENCE and SET. Values are
// given as already-encoded children, so each helper is one TLV.

/** One TLV with `tag` around the concatenated children. */
export function tlv(tag: number, ...children: Uint8Array[]): Buffer {
  const value = Buffer.concat(children);
  const n = value.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.of(tag, n);
  else if (n < 0x100) head = Buffer.of(tag, 0x81, n);
  else if (n < 0x10000) head = Buffer.of(tag, 0x82, n >> 8, n & 0xff);
  else if (n < 0x1000000) head = Buffer.of(tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  else throw new RangeError('DER value too long');
  return Buffer.concat([head, value]);
}

export const seq = (...children: Uint8Array[]): Buffer => tlv(0x30, ...children);

/** A SET OF; DER wants its members in ascending order of their encodings. */
export const set = (...children: Buffer[]): Buffer => tlv(0x31, ...[...children].sort(Buffer.compare));

export const NULL = Buffer.of(0x05, 0x00);

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const bytes = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}
