// A signed API 3.0 client for `tcssl call` (and tests): builds any of the four request forms with the same
// canonical-form code the gateway verifies with.

import { signV1 } from '../gateway/signature-v1.js';
import { signTc3 } from '../gateway/signature-v3.js';
import { flattenParams } from './flatten.js';

export type SignMethod = 'TC3-HMAC-SHA256' | 'HmacSHA1' | 'HmacSHA256';

export interface CallOptions {
  endpoint: string;
  secretId: string;
  secretKey: string;
  token?: string;
  action: string;
  version?: string;
  region?: string;
  language?: 'en-US' | 'zh-CN';
  params: Record<string, unknown>;
  signMethod?: SignMethod;
  method?: 'GET' | 'POST';
  /** seconds; defaults to now */
  timestamp?: number;
}

export interface CallResult {
  status: number;
  body: unknown;
  headers: Headers;
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export async function call(o: CallOptions): Promise<CallResult> {
  const url = new URL(o.endpoint);
  const host = url.host;
  const signMethod = o.signMethod ?? 'TC3-HMAC-SHA256';
  const method = o.method ?? 'POST';
  const version = o.version ?? '2019-12-05';
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  let target = `${url.origin}/`;
  const headers: Record<string, string> = {};
  let body: string | undefined;

  if (signMethod === 'TC3-HMAC-SHA256') {
    let rawQuery = '';
    let contentType: string;
    if (method === 'GET') {
      contentType = 'application/x-www-form-urlencoded';
      rawQuery = Object.entries(flattenParams(o.params))
        .map(([k, v]) => `${encode(k)}=${encode(v)}`)
        .join('&');
      if (rawQuery) target += `?${rawQuery}`;
    } else {
      contentType = 'application/json';
      body = JSON.stringify(o.params);
    }
    const { authorization } = signTc3({
      secretId: o.secretId,
      secretKey: o.secretKey,
      service: 'ssl',
      host,
      method,
      rawQuery,
      contentType,
      payload: body ?? '',
      timestamp,
    });
    Object.assign(headers, {
      Authorization: authorization,
      'Content-Type': contentType,
      'X-TC-Action': o.action,
      'X-TC-Version': version,
      'X-TC-Timestamp': String(timestamp),
      'X-TC-Language': o.language ?? 'en-US',
      'X-TC-RequestClient': 'tcssl-cli',
    });
    if (o.region) headers['X-TC-Region'] = o.region;
    if (o.token) headers['X-TC-Token'] = o.token;
  } else {
    const params: Record<string, string> = {
      ...flattenParams(o.params),
      Action: o.action,
      Version: version,
      Timestamp: String(timestamp),
      Nonce: String(Math.floor(Math.random() * 1e9) + 1),
      SecretId: o.secretId,
      SignatureMethod: signMethod,
      Language: o.language ?? 'en-US',
      RequestClient: 'tcssl-cli',
    };
    if (o.region) params.Region = o.region;
    if (o.token) params.Token = o.token;
    params.Signature = signV1({ method, host, path: '/', params, secretKey: o.secretKey, signatureMethod: signMethod });
    const form = Object.entries(params)
      .map(([k, v]) => `${encode(k)}=${encode(v)}`)
      .join('&');
    if (method === 'GET') target += `?${form}`;
    else {
      body = form;
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
  }
  const res = await fetch(target, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
