// PEM as OpenSSL and node write it: the DER's base64 in lines of 64 characters between BEGIN and END lines, and a
// final newline. One writer for keys, CSRs, certificates and exports.

const LINE = 64;

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  // Slices rather than a /.{64}/g replace: a third of the time, and no regular expression on a key's way out.
  let body = b64.slice(0, LINE);
  for (let i = LINE; i < b64.length; i += LINE) body += `\n${b64.slice(i, i + LINE)}`;
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
