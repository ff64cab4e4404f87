// The only code that shapes {"Response": {...}} bodies, success or error, always for HTTP 200.
// It maps protocol-neutral DomainError kinds to wire codes: first through the action's own table, then the
// gateway defaults below. Anything untyped becomes InternalError and its detail never leaves the process.

import { JsonText } from '../actions/json-text.js';
import { type ErrorKind, isDomainError } from '../errors.js';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export type Language = 'en-US' | 'zh-CN';

/** Exactly application/json, sent with every envelope: the Python SDK takes any other type (even with a charset) for
 * a success. Sent as a Buffer body, as Fastify appends a charset to strings. */
export const JSON_CONTENT_TYPE = 'application/json';

/** RequestSizeLimitExceeded's text for a body over `max` bytes. */
export function bodyTooLargeMessage(lang: Language, max: number): string {
  return lang === 'zh-CN' ? `请求包超过限制大小（${max} 字节）。` : `The request body exceeds ${max} bytes.`;
}

/** An error already in wire terms (the gateway's own: signature, parameters, rate limit...). */
export class WireError extends Error {
  readonly code: ErrorCode;
  readonly zh: string;
  constructor(code: ErrorCode, en?: string, zh?: string) {
    super(en ?? ERROR_CODES[code].en);
    this.name = 'WireError';
    this.code = code;
    this.zh = zh ?? (en ? `${ERROR_CODES[code].zh} ${en}` : ERROR_CODES[code].zh);
  }
  text(lang: Language): string {
    return lang === 'zh-CN' ? this.zh : this.message;
  }
}

export const DEFAULT_KIND_CODES: Record<ErrorKind, ErrorCode> = {
  InvalidParam: 'InvalidParameterValue',
  NotFound: 'ResourceNotFound',
  WrongStatus: 'FailedOperation.InvalidCertificateStatusCode',
  AuthError: 'AuthFailure.UnauthorizedOperation',
  NoProjectPermission: 'FailedOperation.NoProjectPermission',
  NoRealNameAuth: 'FailedOperation.NoRealNameAuth',
  ExceedsFreeLimit: 'FailedOperation.ExceedsFreeLimit',
  Incomplete: 'FailedOperation.InvalidParam',
  Unsupported: 'UnsupportedOperation',
  Conflict: 'FailedOperation.CertificateExists',
  ParseError: 'FailedOperation.CertificateParseError',
  Mismatch: 'FailedOperation.CertificateMismatch',
  CsrInvalid: 'FailedOperation.CertificateCsrParseFailed',
  CannotDeleteIssued: 'FailedOperation.CannotBeDeletedIssued',
  NotDownloadable: 'FailedOperation.CertificateStatusNotAllowDownload',
  Unavailable: 'ServiceUnavailable',
};

export interface WireFailure {
  code: ErrorCode;
  message: string;
  /** true when the error was not an expected one: the caller must log it with the RequestId */
  internal: boolean;
}

/** Turns anything thrown while serving a request into the code and message to send. */
export function toWireFailure(
  e: unknown,
  lang: Language,
  actionCodes: Partial<Record<ErrorKind, ErrorCode>> = {},
): WireFailure {
  if (e instanceof WireError) return { code: e.code, message: e.text(lang), internal: false };
  if (isDomainError(e)) {
    const code = actionCodes[e.kind] ?? DEFAULT_KIND_CODES[e.kind];
    const base = ERROR_CODES[code];
    // The detail is English and names the field; Chinese callers get the catalogue text in front of it.
    const message = lang === 'zh-CN' ? `${base.zh}${e.message}` : e.message;
    return { code, message, internal: false };
  }
  return { code: 'InternalError', message: ERROR_CODES.InternalError[lang === 'zh-CN' ? 'zh' : 'en'], internal: true };
}

/**
 * `{"Response":{...data,"RequestId":id}}`, written around data's own JSON: a spread of an answer of forty fields into
 * a new object cost more than serialising it (Node 20). An answer already written as JSON (JsonText, without a
 * RequestId of its own) is taken as it is, in bytes: its UTF-8 is copied, not encoded again.
 */
export function successBody(requestId: string, data: Record<string, unknown> | JsonText): string | Buffer {
  const id = JSON.stringify(requestId);
  if (data instanceof JsonText) return spliced(data.bytes, id);
  const general = () => JSON.stringify({ Response: { ...data, RequestId: requestId } });
  if (Object.hasOwn(data, 'RequestId')) return general();
  const json = JSON.stringify(data);
  // data is a plain object, so its JSON is `{}` or `{...}`; a toJSON that answers otherwise gets the general form.
  if (json?.startsWith('{') !== true) return general();
  return spliced(Buffer.from(json), id);
}

const RESPONSE_OPEN = Buffer.from('{"Response":');

/** The envelope around an answer's JSON object in UTF-8, RequestId last. */
function spliced(json: Buffer, id: string): Buffer {
  // `{}` stays `{`; a longer object gives up its `}` for a comma.
  const kept = json.length === 2 ? 1 : json.length - 1;
  const tail = `${kept === 1 ? '' : ','}"RequestId":${id}}}`;
  const out = Buffer.allocUnsafe(RESPONSE_OPEN.length + kept + Buffer.byteLength(tail));
  RESPONSE_OPEN.copy(out, 0);
  json.copy(out, RESPONSE_OPEN.length, 0, kept);
  out.write(tail, RESPONSE_OPEN.length + kept);
  return out;
}

export function errorBody(requestId: string, code: string, message: string): string {
  return JSON.stringify({ Response: { Error: { Code: code, Message: message }, RequestId: requestId } });
}
