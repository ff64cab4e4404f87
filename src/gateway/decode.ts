// Decodes the four API 3.0 request forms (TC3 with a JSON body or a query; v1 HmacSHA1/HmacSHA256 with a query
// or a form body) into common parameters plus the action's own parameters as one nested object. Flattened
// names (DomainList.0, Filters.0.Values.1) become arrays and objects, so every form reaches the action's schema
// in the same shape. Knows no business rule.

import { WireError } from './envelope.js';

export type RequestForm = 'tc3' | 'v1';

export interface DecodedRequest {
  form: RequestForm;
  action: string;
  version: string;
  region: string;
  /** as sent; validated by the authenticator */
  timestamp: string;
  language: 'en-US' | 'zh-CN';
  token: string;
  /** the action's own parameters */
  params: Record<string, unknown>;
  /** true when params came flattened as strings (query or form), so scalars may need coercion */
  flat: boolean;
  /** v1 only: every decoded parameter as sent, including Signature, for the string to sign */
  v1Params?: Record<string, string>;
  /** TC3 only: the raw Authorization header */
  authorization?: string;
}

export interface RawRequest {
  method: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const V1_COMMON = new Set([
  'Action',
  'Version',
  'Region',
  'Timestamp',
  'Nonce',
  'SecretId',
  'Signature',
  'SignatureMethod',
  'Token',
  'Language',
  'RequestClient',
]);

/** Array indexes above this are refused, so `DomainList.99999999=x` cannot allocate a huge array. */
const MAX_INDEX = 9999;
const MAX_DEPTH = 8;
const NAME_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function header(h: RawRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The language a request asks for before (or without) decoding it: en-US when X-TC-Language or a Language parameter in
 * the query says so, else zh-CN. For answers given before the body is read (overload, size limits, faults).
 */
export function requestLanguage(h: RawRequest['headers'], url: string): 'en-US' | 'zh-CN' {
  if (header(h, 'x-tc-language') === 'en-US') return 'en-US';
  return /(?:^|[?&])Language=en-US(?:&|$)/.test(url) ? 'en-US' : 'zh-CN';
}

function languageOf(v: string | undefined): 'en-US' | 'zh-CN' {
  // Tencent's default language is zh-CN; anything else named en-US selects English.
  return v === 'en-US' ? 'en-US' : 'zh-CN';
}

/** Splits application/x-www-form-urlencoded text into decoded pairs; `+` is a space, as in forms. */
export function parseUrlEncoded(text: string, what: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (text === '') return pairs;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawK = eq < 0 ? part : part.slice(0, eq);
    const rawV = eq < 0 ? '' : part.slice(eq + 1);
    try {
      pairs.push([decodeURIComponent(rawK.replace(/\+/g, ' ')), decodeURIComponent(rawV.replace(/\+/g, ' '))]);
    } catch {
      throw new WireError(
        'InvalidParameter',
        `The ${what} has malformed percent-encoding near \`${rawK.slice(0, 64)}\`.`,
        `${what} 中 \`${rawK.slice(0, 64)}\` 附近的百分号编码有误。`,
      );
    }
  }
  return pairs;
}

function toRecord(pairs: Array<[string, string]>, what: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of pairs) {
    if (Object.hasOwn(out, k)) {
      throw new WireError(
        'InvalidParameter',
        `The parameter \`${k.slice(0, 128)}\` appears more than once in the ${what}.`,
        `参数 \`${k.slice(0, 128)}\` 在${what}中重复出现。`,
      );
    }
    out[k] = v;
  }
  return out;
}

/**
 * Turns flattened names into nested values: `A.0=x&A.1=y` -> {A: ['x', 'y']}, `F.0.Name=n` -> {F: [{Name: 'n'}]}.
 * Indexes are sorted and compacted (clients send 0-based; a 1-based list decodes the same way).
 */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  type Node = { kind: 'leaf'; value: string } | { kind: 'branch'; children: Map<string, Node> };
  const root: Node = { kind: 'branch', children: new Map() };
  for (const [name, value] of Object.entries(flat)) {
    const parts = name.split('.');
    if (parts.length > MAX_DEPTH) throw badName(name, 'is nested too deeply');
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const isIndex = /^\d+$/.test(part);
      const tooBig = isIndex && i > 0 && Number(part) > MAX_INDEX;
      // An index must be canonical (`A.01` would be read back as `A.1` and lose a value), and `__proto__` as a
      // name would set the prototype of the object built below, smuggling inherited values past the schema.
      const bad = isIndex ? i === 0 || tooBig || String(Number(part)) !== part : !NAME_SEGMENT.test(part);
      if (bad || part === '__proto__') {
        throw badName(name, tooBig ? `has an index above ${MAX_INDEX}` : 'is not a valid parameter name');
      }
      if (node.kind !== 'branch') throw badName(name, 'mixes a value and a list or object');
      const last = i === parts.length - 1;
      const existing = node.children.get(part);
      if (last) {
        if (existing) throw badName(name, 'mixes a value and a list or object');
        node.children.set(part, { kind: 'leaf', value });
      } else {
        if (existing && existing.kind === 'leaf') throw badName(name, 'mixes a value and a list or object');
        const next: Node = existing ?? { kind: 'branch', children: new Map() };
        node.children.set(part, next);
        node = next;
      }
    }
  }
  const build = (node: Node, path: string): unknown => {
    if (node.kind === 'leaf') return node.value;
    const keys = [...node.children.keys()];
    const indexes = keys.filter((k) => /^\d+$/.test(k));
    if (indexes.length > 0 && indexes.length !== keys.length) throw badName(path, 'mixes list indexes and names');
    if (indexes.length > 0) {
      return indexes
        .map(Number)
        .sort((a, b) => a - b)
        .map((i) => build(node.children.get(String(i))!, `${path}.${i}`));
    }
    const obj: Record<string, unknown> = {};
    for (const k of keys) obj[k] = build(node.children.get(k)!, path ? `${path}.${k}` : k);
    return obj;
  };
  return build(root, '') as Record<string, unknown>;
}

function badName(name: string, why: string): WireError {
  const shown = name.slice(0, 128);
  return new WireError('InvalidParameter', `The parameter name \`${shown}\` ${why}.`, `参数名 \`${shown}\` 不合法。`);
}

function contentTypeOf(req: RawRequest): string {
  return (header(req.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
}

export function decodeRequest(req: RawRequest): DecodedRequest {
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    throw new WireError(
      'UnsupportedProtocol',
      `The HTTP method ${method.slice(0, 16)} is not supported; use GET or POST.`,
    );
  }
  const authorization = header(req.headers, 'authorization');
  if (authorization !== undefined) return decodeTc3(req, method, authorization);
  return decodeV1(req, method);
}

function decodeTc3(req: RawRequest, method: string, authorization: string): DecodedRequest {
  const h = req.headers;
  let params: Record<string, unknown>;
  let flat = false;
  const ctype = contentTypeOf(req);
  if (method === 'GET') {
    params = unflatten(toRecord(parseUrlEncoded(req.rawQuery, 'query string'), 'query string'));
    flat = true;
  } else if (ctype === 'application/json' || (ctype === '' && req.body.length > 0)) {
    params = parseJsonBody(req.body);
  } else if (ctype === 'application/x-www-form-urlencoded') {
    params = unflatten(toRecord(parseUrlEncoded(req.body.toString('utf8'), 'request body'), 'request body'));
    flat = true;
  } else if (ctype === 'multipart/form-data') {
    params = unflatten(parseMultipart(req));
    flat = true;
  } else if (ctype === '' && req.body.length === 0) {
    params = {};
  } else {
    throw new WireError(
      'InvalidParameter',
      `The Content-Type ${ctype.slice(0, 64)} is not supported; use application/json for POST.`,
      `不支持的 Content-Type ${ctype.slice(0, 64)}，POST 请使用 application/json。`,
    );
  }
  return {
    form: 'tc3',
    action: header(h, 'x-tc-action') ?? '',
    version: header(h, 'x-tc-version') ?? '',
    region: header(h, 'x-tc-region') ?? '',
    timestamp: header(h, 'x-tc-timestamp') ?? '',
    language: languageOf(header(h, 'x-tc-language')),
    token: header(h, 'x-tc-token') ?? '',
    params,
    flat,
    authorization,
  };
}

function decodeV1(req: RawRequest, method: string): DecodedRequest {
  let text = req.rawQuery;
  let what = 'query string';
  if (method === 'POST') {
    const ctype = contentTypeOf(req);
    if (ctype === 'multipart/form-data') {
      return fromV1Record(parseMultipart(req));
    }
    if (ctype !== 'application/x-www-form-urlencoded' && req.body.length > 0) {
      throw new WireError(
        'InvalidParameter',
        'A request without an Authorization header is a v1 request; its POST body must be application/x-www-form-urlencoded.',
        '没有 Authorization 头部的请求按签名方法 v1 处理，其 POST 请求体须为 application/x-www-form-urlencoded。',
      );
    }
    text = req.body.toString('utf8');
    what = 'request body';
  }
  return fromV1Record(toRecord(parseUrlEncoded(text, what), what));
}

function fromV1Record(all: Record<string, string>): DecodedRequest {
  const own: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(all)) if (!V1_COMMON.has(k)) own[k] = v;
  return {
    form: 'v1',
    action: all.Action ?? '',
    version: all.Version ?? '',
    region: all.Region ?? '',
    timestamp: all.Timestamp ?? '',
    language: languageOf(all.Language),
    token: all.Token ?? '',
    params: unflatten(own),
    flat: true,
    v1Params: { ...all },
  };
}

function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WireError('InvalidParameter', 'The request body is not valid JSON.', '请求体不是合法的 JSON。');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WireError('InvalidParameter', 'The request body must be a JSON object.', '请求体必须是 JSON 对象。');
  }
  return parsed as Record<string, unknown>;
}

/** multipart/form-data with plain text fields, as the SDKs send for file-carrying actions. */
function parseMultipart(req: RawRequest): Record<string, string> {
  const ctype = header(req.headers, 'content-type') ?? '';
  const m = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(ctype);
  if (!m)
    throw new WireError('InvalidRequest', 'The multipart body has no boundary.', '请求 body 的 multipart 格式错误。');
  const boundary = `--${m[1] ?? m[2]}`;
  const text = req.body.toString('latin1');
  const parts = text.split(boundary);
  const fields: Array<[string, string]> = [];
  if (parts.length < 2 || !parts[parts.length - 1].startsWith('--')) {
    throw new WireError('InvalidRequest', 'The multipart body is not terminated.', '请求 body 的 multipart 格式错误。');
  }
  for (const part of parts.slice(1, -1)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0)
      throw new WireError(
        'InvalidRequest',
        'A multipart part has no header block.',
        '请求 body 的 multipart 格式错误。',
      );
    const head = part.slice(0, sep);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) {
      throw new WireError('InvalidRequest', 'A multipart part has no field name.', '请求 body 的 multipart 格式错误。');
    }
    const value = part.slice(sep + 4).replace(/\r\n$/, '');
    fields.push([Buffer.from(name, 'latin1').toString('utf8'), Buffer.from(value, 'latin1').toString('utf8')]);
  }
  return toRecord(fields, 'request body');
}
