// TC3-HMAC-SHA256 in the browser, on WebCrypto: the console signs every API call itself, exactly as the official
// Node SDK does, so the SecretKey never leaves the page. The canonical forms are those of src/gateway/signature-v3.ts
// (test/console/tc3.test.ts checks that both produce the same Authorization byte for byte). No DOM, no node: it
// runs wherever globalThis.crypto.subtle exists (a browser's secure context, node 20).

const ALGORITHM = 'TC3-HMAC-SHA256';
const TERMINATOR = 'tc3_request';
const encoder = new TextEncoder();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** `ssl`: the Python and Go SDKs always sign that service, and tcssl accepts it whatever the host. */
  service: string;
  /** The Host header the browser will send (location.host, port included), as the Python and Go SDKs sign it. */
  host: string;
  method: 'GET' | 'POST';
  /** The query exactly as sent, without '?' ('' for a POST). */
  rawQuery: string;
  contentType: string;
  payload: string;
  /** Unix seconds. */
  timestamp: number;
}

type Subtle = NonNullable<typeof globalThis.crypto>['subtle'];

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  // Browsers expose crypto.subtle only in a secure context: HTTPS, or http://localhost / 127.0.0.1.
  if (!s) throw new Error('WebCrypto is not available: open the console over HTTPS or on localhost');
  return s;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  let out = '';
  for (const b of new Uint8Array(bytes)) out += b.toString(16).padStart(2, '0');
  return out;
}

export async function sha256Hex(data: string): Promise<string> {
  return hex(await subtle().digest('SHA-256', encoder.encode(data)));
}

async function hmac(key: Uint8Array<ArrayBuffer>, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, encoder.encode(message)));
}

/** The scope date: the UTC calendar date of the timestamp, as the server computes it. */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** The Authorization header value for one request, signing `content-type;host` as every official SDK does. */
export async function tc3Authorization(i: Tc3Input): Promise<string> {
  const signedHeaders = 'content-type;host';
  const canonicalRequest = [
    i.method,
    '/',
    i.rawQuery,
    `content-type:${i.contentType}\nhost:${i.host}\n`,
    signedHeaders,
    await sha256Hex(i.payload),
  ].join('\n');
  const date = tc3Date(i.timestamp);
  const scope = `${date}/${i.service}/${TERMINATOR}`;
  const stringToSign = [ALGORITHM, String(i.timestamp), scope, await sha256Hex(canonicalRequest)].join('\n');
  const kDate = await hmac(encoder.encode(`TC3${i.secretKey}`), date);
  const kService = await hmac(kDate, i.service);
  const kSigning = await hmac(kService, TERMINATOR);
  const signature = hex(await hmac(kSigning, stringToSign));
  return `${ALGORITHM} Credential=${i.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
