// Headers of a TC3-signed POST for app.inject (host localhost:80) or a real socket, as the official SDKs build them.

import { signTc3 } from '../../src/gateway/signature-v3.js';

export function injectHeaders(o: {
  secretId: string;
  secretKey: string;
  action: string;
  payload: string;
  token?: string;
  /** epoch ms the signature claims; now by default */
  at?: number;
  /** the Host signed and sent: localhost:80 (app.inject's) by default */
  host?: string;
  language?: 'en-US' | 'zh-CN';
}): Record<string, string> {
  const host = o.host ?? 'localhost:80';
  const timestamp = Math.floor((o.at ?? Date.now()) / 1000);
  const { authorization } = signTc3({
    secretId: o.secretId,
    secretKey: o.secretKey,
    service: 'ssl',
    host,
    method: 'POST',
    rawQuery: '',
    contentType: 'application/json',
    payload: o.payload,
    timestamp,
  });
  return {
    host,
    authorization,
    'content-type': 'application/json',
    'x-tc-action': o.action,
    'x-tc-version': '2019-12-05',
    'x-tc-timestamp': String(timestamp),
    ...(o.token ? { 'x-tc-token': o.token } : {}),
    ...(o.language ? { 'x-tc-language': o.language } : {}),
  };
}
