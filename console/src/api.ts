// The console's API client: every call is a TC3-signed POST of JSON to `/`, with the headers the official Node SDK
// sends, so the console can do exactly what the API lets its key do. The key lives in sessionStorage only (gone when
// the tab closes) and leaves the page only as signatures.

import type { Lang } from './i18n.js';
import { tc3Authorization } from './tc3.js';

export const API_VERSION = '2019-12-05';
const STORAGE_KEY = 'tcssl.console.credentials';

export interface Credentials {
  secretId: string;
  secretKey: string;
}

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    const c = raw ? (JSON.parse(raw) as Partial<Credentials>) : null;
    return c && typeof c.secretId === 'string' && typeof c.secretKey === 'string'
      ? { secretId: c.secretId, secretKey: c.secretKey }
      : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c: Credentials): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** An error answer of the API: its code, its message (in the language asked for) and the RequestId. */
export class ApiError extends Error {
  readonly code: string;
  readonly requestId: string;
  constructor(code: string, message: string, requestId = '') {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.requestId = requestId;
  }
}

/** Server time minus browser time, learnt from the Date header when a signature was refused as expired. */
let clockOffsetMs = 0;

// biome-ignore lint/suspicious/noExplicitAny: each action answers its own model; callers name the fields they read.
export type ApiResponse = Record<string, any>;

export async function callApi(
  creds: Credentials,
  action: string,
  params: Record<string, unknown>,
  lang: Lang,
): Promise<ApiResponse> {
  const payload = JSON.stringify(params);
  for (let attempt = 0; ; attempt++) {
    const timestamp = Math.floor((Date.now() + clockOffsetMs) / 1000);
    const authorization = await tc3Authorization({
      secretId: creds.secretId,
      secretKey: creds.secretKey,
      service: 'ssl',
      host: location.host,
      method: 'POST',
      rawQuery: '',
      contentType: 'application/json',
      payload,
      timestamp,
    });
    let res: Response;
    try {
      res = await fetch('/', {
        method: 'POST',
        headers: {
          Authorization: authorization,
          'Content-Type': 'application/json',
          'X-TC-Action': action,
          'X-TC-Version': API_VERSION,
          'X-TC-Timestamp': String(timestamp),
          'X-TC-Language': lang === 'zh' ? 'zh-CN' : 'en-US',
          'X-TC-RequestClient': 'tcssl-console',
        },
        body: payload,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('NetworkError', lang === 'zh' ? '无法连接服务器。' : 'The server cannot be reached.');
    }
    const body = (await res.json().catch(() => null)) as { Response?: ApiResponse } | null;
    const r = body?.Response;
    if (!r) throw new ApiError('InvalidResponse', `HTTP ${res.status}`);
    if (r.Error) {
      // A browser clock off by more than 300 s: sign again once with the server's clock.
      const date = res.headers.get('date');
      if (r.Error.Code === 'AuthFailure.SignatureExpire' && attempt === 0 && date && !Number.isNaN(Date.parse(date))) {
        clockOffsetMs = Date.parse(date) - Date.now();
        continue;
      }
      throw new ApiError(String(r.Error.Code), String(r.Error.Message), String(r.RequestId ?? ''));
    }
    return r;
  }
}
