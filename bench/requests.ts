// Pre-signs the benchmark's API requests (TC3-HMAC-SHA256 or signature v1) for one server's host:port, and writes
// them where the load generators read them. Signatures use the gateway's own signers and stay valid for 5 minutes.

import { readFileSync, writeFileSync } from 'node:fs';
import { flattenParams } from '../src/cli/flatten.js';
import { signV1 } from '../src/gateway/signature-v1.js';
import { signTc3 } from '../src/gateway/signature-v3.js';

export interface Credentials {
  Uin: string;
  SecretId: string;
  SecretKey: string;
}

export type SignMethod = 'TC3-HMAC-SHA256' | 'HmacSHA256';

/** One HTTP request, replayed byte for byte by wrk, autocannon or the burst driver. */
export interface PresignedRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Target {
  host: string;
  port: number;
  creds: Credentials;
}

/** A fixed RSA-2048 CSR for www.example.com (CN and SAN), made once with openssl. */
export const PARSE_CSR = readFileSync(new URL('./fixtures/www.example.com.csr.pem', import.meta.url), 'utf8');
export const PARSE_DOMAIN = 'www.example.com';

/** The SDKs' percent-encoding (RFC 3986 unreserved set), as src/cli/client.ts writes it. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** POST, as the Node SDK sends TC3 (JSON body) and v1 (form body); the timestamp is now. */
export function presign(
  t: Target,
  action: string,
  params: Record<string, unknown>,
  signMethod: SignMethod = 'TC3-HMAC-SHA256',
): PresignedRequest {
  const host = `${t.host}:${t.port}`;
  const timestamp = Math.floor(Date.now() / 1000);
  if (signMethod === 'TC3-HMAC-SHA256') {
    const body = JSON.stringify(params);
    const contentType = 'application/json';
    const { authorization } = signTc3({
      secretId: t.creds.SecretId,
      secretKey: t.creds.SecretKey,
      service: 'ssl',
      host,
      method: 'POST',
      rawQuery: '',
      contentType,
      payload: body,
      timestamp,
    });
    const headers = {
      Host: host,
      Authorization: authorization,
      'Content-Type': contentType,
      'X-TC-Action': action,
      'X-TC-Version': '2019-12-05',
      'X-TC-Timestamp': String(timestamp),
      'X-TC-Language': 'en-US',
    };
    return { method: 'POST', path: '/', headers, body };
  }
  const form: Record<string, string> = {
    ...flattenParams(params),
    Action: action,
    Version: '2019-12-05',
    Timestamp: String(timestamp),
    Nonce: String(Math.floor(Math.random() * 1e9) + 1),
    SecretId: t.creds.SecretId,
    SignatureMethod: signMethod,
    Language: 'en-US',
  };
  form.Signature = signV1({
    method: 'POST',
    host,
    path: '/',
    params: form,
    secretKey: t.creds.SecretKey,
    signatureMethod: signMethod,
  });
  const body = Object.entries(form)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');
  return {
    method: 'POST',
    path: '/',
    headers: { Host: host, 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  };
}

/** DescribeCertificate of each order, round-robin. */
export function describeRequests(t: Target, ids: string[]): PresignedRequest[] {
  return ids.map((id) => presign(t, 'DescribeCertificate', { CertificateId: id }));
}

/** Submit with the fixed CSR; Submit may repeat on an order while it waits for its information (status 5). */
export function submitParseRequests(t: Target, ids: string[], signMethod: SignMethod): PresignedRequest[] {
  return ids.map((id) =>
    presign(
      t,
      'SubmitCertificateInformation',
      {
        CertificateId: id,
        CsrType: 'parse',
        CsrContent: PARSE_CSR,
        CertificateDomain: PARSE_DOMAIN,
        ContactEmail: 'ops@example.com',
        VerifyType: 'DNS',
      },
      signMethod,
    ),
  );
}

/** Submit with CsrType=online: the server takes a key of the order's key spec from its pool and makes the CSR. */
export function submitOnlineRequests(t: Target, ids: string[]): PresignedRequest[] {
  return ids.map((id) =>
    presign(t, 'SubmitCertificateInformation', {
      CertificateId: id,
      CsrType: 'online',
      CertificateDomain: PARSE_DOMAIN,
      ContactEmail: 'ops@example.com',
      VerifyType: 'DNS',
    }),
  );
}

/** A paid DV order (DNSPod DV, product 48), one per request. */
export function createRequests(t: Target): PresignedRequest[] {
  return [presign(t, 'CreateCertificate', { ProductId: 48, DomainNum: 1, TimeSpan: 1 })];
}

/** The first page (10 rows, newest first), as the console opens the list. */
export function listRequests(t: Target): PresignedRequest[] {
  return [presign(t, 'DescribeCertificates', { Offset: 0, Limit: 10 })];
}

/**
 * For wrk.lua, which has no JSON parser: each request is its method, path, header count, each header's name and
 * value, then its body, every item written as `<byte length>:<bytes>`.
 */
export function writeRequestsFile(file: string, requests: PresignedRequest[]): void {
  const item = (s: string) => `${Buffer.byteLength(s)}:${s}`;
  const parts: string[] = [item(String(requests.length))];
  for (const r of requests) {
    const headers = Object.entries(r.headers);
    parts.push(item(r.method), item(r.path), item(String(headers.length)));
    for (const [k, v] of headers) parts.push(item(k), item(v));
    parts.push(item(r.body));
  }
  writeFileSync(file, parts.join(''));
}
