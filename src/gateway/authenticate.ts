// Establishes who is calling: checks the timestamp, finds the key, checks a temporary key's token, and verifies
// the signature (TC3 or v1) in constant time. Answers only in AuthFailure.* and parameter codes.

import type { Caller } from '../iam/caller.js';
import { type ResolvedKey, tokenMatches } from '../iam/iam.js';
import type { DecodedRequest, RawRequest } from './decode.js';
import { header } from './decode.js';
import { WireError } from './envelope.js';
import { verifyV1 } from './signature-v1.js';
import { parseTc3Authorization, type Tc3KeyCache, verifyTc3 } from './signature-v3.js';

export interface AuthDeps {
  resolveKey(secretId: string): Promise<ResolvedKey | null>;
  now(): number;
  clockSkewSeconds: number;
  keyCache: Tc3KeyCache;
}

function checkTimestamp(raw: string, name: string, deps: AuthDeps): void {
  if (raw === '')
    throw new WireError('MissingParameter', `The parameter \`${name}\` is required.`, `缺少参数 \`${name}\`。`);
  if (!/^\d{1,12}$/.test(raw)) {
    throw new WireError(
      'InvalidParameterValue',
      `The value of \`${name}\` must be a Unix timestamp in seconds.`,
      `参数 \`${name}\` 应为以秒为单位的 Unix 时间戳。`,
    );
  }
  const skew = Math.abs(deps.now() / 1000 - Number(raw));
  if (skew > deps.clockSkewSeconds) {
    throw new WireError(
      'AuthFailure.SignatureExpire',
      `The signature has expired: ${name} ${raw} is ${Math.round(skew)} s from server time (the limit is ${deps.clockSkewSeconds} s).`,
      `签名过期：${name} ${raw} 与服务器时间相差 ${Math.round(skew)} 秒（上限 ${deps.clockSkewSeconds} 秒）。`,
    );
  }
}

async function resolve(secretId: string, token: string, deps: AuthDeps): Promise<ResolvedKey> {
  const key = await deps.resolveKey(secretId);
  if (!key) {
    throw new WireError(
      'AuthFailure.SecretIdNotFound',
      'The SecretId does not exist or is disabled.',
      '密钥不存在或已被禁用。',
    );
  }
  if (key.tokenHash !== null) {
    if (token === '') {
      throw new WireError(
        'AuthFailure.TokenFailure',
        'A temporary key must be sent with its token.',
        '临时密钥须携带 Token。',
      );
    }
    if (!tokenMatches(token, key.tokenHash)) {
      throw new WireError('AuthFailure.TokenFailure', 'The token does not belong to this key.', 'Token 与密钥不匹配。');
    }
    if (key.expiresAt !== null && key.expiresAt <= deps.now()) {
      throw new WireError(
        'AuthFailure.TokenFailure',
        'The temporary key and its token have expired.',
        '临时密钥已过期。',
      );
    }
  }
  return key;
}

const SIGNATURE_FAILURE = () =>
  new WireError(
    'AuthFailure.SignatureFailure',
    'The signature is incorrect: the request was not signed with this SecretId\u2019s SecretKey, or was changed in transit.',
    '签名错误：请求未使用该 SecretId 对应的 SecretKey 签名，或在传输中被修改。',
  );

export async function authenticate(d: DecodedRequest, raw: RawRequest, deps: AuthDeps): Promise<Caller> {
  if (d.form === 'tc3') {
    const auth = parseTc3Authorization(d.authorization ?? '');
    if (!auth) {
      throw new WireError(
        'AuthFailure.InvalidAuthorization',
        'The Authorization header is not of the form `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=<headers>, Signature=<hex>`.',
        'Authorization 头部格式不正确。',
      );
    }
    checkTimestamp(d.timestamp, 'X-TC-Timestamp', deps);
    const key = await resolve(auth.secretId, d.token, deps);
    const ok = verifyTc3({
      auth,
      method: raw.method,
      rawQuery: raw.rawQuery,
      headers: raw.headers,
      body: raw.body,
      timestamp: d.timestamp,
      secretKey: key.secretKey,
      keyCache: deps.keyCache,
      keyOwner: key,
    });
    if (!ok) throw SIGNATURE_FAILURE();
    return key.caller;
  }
  const p = d.v1Params ?? {};
  for (const name of ['SecretId', 'Signature', 'Nonce']) {
    if (!p[name])
      throw new WireError('MissingParameter', `The parameter \`${name}\` is required.`, `缺少参数 \`${name}\`。`);
  }
  const method = p.SignatureMethod ?? 'HmacSHA1';
  if (method !== 'HmacSHA1' && method !== 'HmacSHA256') {
    throw new WireError(
      'InvalidParameterValue',
      `The value of \`SignatureMethod\` must be HmacSHA1 or HmacSHA256, not ${method.slice(0, 32)}.`,
      `参数 \`SignatureMethod\` 只能为 HmacSHA1 或 HmacSHA256。`,
    );
  }
  checkTimestamp(d.timestamp, 'Timestamp', deps);
  const key = await resolve(p.SecretId, d.token, deps);
  const ok = verifyV1({
    method: raw.method,
    host: header(raw.headers, 'host') ?? '',
    path: '/',
    params: p,
    secretKey: key.secretKey,
  });
  if (!ok) throw SIGNATURE_FAILURE();
  return key.caller;
}
