// Renders docs/api.md (every action: parameters, limits, error codes) from the same zod schemas the gateway validates
// with, and docs/products.md from the product catalogue. Pure and deterministic; scripts/gen-docs.ts writes the files.

import { z } from 'zod';
import { configSchema } from '../config.js';
import type { ErrorKind } from '../errors.js';
import { DEFAULT_KIND_CODES } from '../gateway/envelope.js';
import { ERROR_CODES, type ErrorCode } from '../gateway/error-codes.js';
import {
  catalogueMarkdown,
  freeProduct,
  MAX_DOMAIN_NUM,
  MAX_MULTI_YEAR_TIME_SPAN,
  PRODUCTS,
} from '../orders/products.js';
import { STATUS_NAMES, Status } from '../orders/status.js';
import type { ActionDefinition } from './define-action.js';
import { ACTIONS } from './index.js';
import { tag } from './wire.js';

/** The version the gateway serves (API_VERSION in gateway/pipeline.ts); not imported, so the reference does not load Fastify. */
const API_VERSION = '2019-12-05';
const DEFAULTS = configSchema.parse({});

export interface ParamRow {
  /** wire form: DomainList.N, Tags.N.TagKey */
  name: string;
  /** Tencent's vocabulary: String, Integer, Boolean, Array of String, Array of Tags */
  type: string;
  required: boolean;
  constraints: string[];
}

// zod 4 keeps each schema's definition at `_zod.def` (the classic `.def` is the same object); these are the fields
// the walk reads. A check's own definition sits at `check._zod.def`.
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
interface Def {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string | number>;
  values?: unknown[];
  options?: z.ZodType[];
  getter?: () => z.ZodType;
  defaultValue?: unknown;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Tencent's names for shared structures, where the SDK's name is not the field's singular (ssl's is `Tags`). */
const STRUCT_NAMES = new Map<z.ZodType, string>([[tag, 'Tags']]);

type Warn = (what: string) => void;

/** Strips wrappers down to the schema that judges the wire value, noting defaults and nullability on the way. */
function unwrap(schema: z.ZodType, notes: string[], warn: Warn): z.ZodType {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'default' || d.type === 'prefault') notes.push(`default ${JSON.stringify(d.defaultValue)}`);
    if (d.type === 'nullable') notes.push('may be null');
    if (d.innerType) s = d.innerType;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else if (d.type === 'pipe' && d.in && d.out) {
      // z.preprocess is pipe(transform, schema): the schema is `out`. `.transform()` is pipe(schema, transform).
      const inType = defOf(d.in).type;
      if (inType !== 'transform' && defOf(d.out).type !== 'transform') warn('the checks after a .pipe() are not shown');
      s = inType === 'transform' ? d.out : d.in;
    } else return s;
  }
}

function code(v: unknown): string {
  return `\`${String(v)}\``;
}

function bound(v: number, inclusive: boolean | undefined, integer: boolean, step: 1 | -1): [number, boolean] {
  // An exclusive integer bound is the next integer in: > 0 is at least 1.
  return inclusive || !integer ? [v, inclusive ?? false] : [v + step, true];
}

function rangeText(lo?: [number, boolean], hi?: [number, boolean]): string[] {
  if (lo?.[1] && hi?.[1]) return [`${lo[0]} to ${hi[0]}`];
  const out: string[] = [];
  if (lo) out.push(lo[1] ? `at least ${lo[0]}` : `greater than ${lo[0]}`);
  if (hi) out.push(hi[1] ? `at most ${hi[0]}` : `less than ${hi[0]}`);
  return out;
}

/** The checks zod keeps in `def.checks` (`.max()`, `.min()`, `.regex()`...), as table text. */
function checkTexts(d: Def, unit: string, integer: boolean, warn: Warn): string[] {
  const out: string[] = [];
  let lo: [number, boolean] | undefined;
  let hi: [number, boolean] | undefined;
  for (const { _zod } of d.checks ?? []) {
    const c = _zod.def;
    if (c.check === 'max_length') out.push(`at most ${c.maximum} ${unit}`);
    else if (c.check === 'min_length')
      out.push(`at least ${c.minimum} ${c.minimum === 1 ? unit.replace(/s$/, '') : unit}`);
    else if (c.check === 'length_equals') out.push(`exactly ${c.length} ${unit}`);
    else if (c.check === 'greater_than') lo = bound(Number(c.value), c.inclusive, integer, 1);
    else if (c.check === 'less_than') hi = bound(Number(c.value), c.inclusive, integer, -1);
    else if (c.check === 'multiple_of') out.push(`a multiple of ${c.value}`);
    else if (c.check === 'string_format' && c.format === 'regex') out.push(`matches ${code(c.pattern?.source)}`);
    else if (c.check === 'string_format') out.push(`format ${c.format}`);
    else if (c.check !== 'number_format') {
      out.push('further checks (not shown)');
      warn(`a ${c.check} check cannot be rendered`);
    }
  }
  return [...rangeText(lo, hi), ...out];
}

interface Described {
  /** the row's name: the field's, plus `.N` per array level */
  name: string;
  type: string;
  constraints: string[];
  children: ParamRow[];
}

/** Type, constraints and nested rows of one field, whose wire name is `name`. */
function describe(schema: z.ZodType, name: string, warn: Warn): Described {
  const here: Warn = (what) => warn(`${name}: ${what}`);
  const constraints: string[] = [];
  const core = unwrap(schema, constraints, here);
  const d = defOf(core);
  const leaf = (type: string, more: string[] = []) => ({
    name,
    type,
    constraints: [...more, ...constraints],
    children: [],
  });
  switch (d.type) {
    case 'string':
      return leaf('String', checkTexts(d, 'characters', false, here));
    case 'number': {
      const integer = (d.checks ?? []).some((c) => /int/.test(c._zod.def.format ?? ''));
      return leaf(integer ? 'Integer' : 'Float', checkTexts(d, '', integer, here));
    }
    case 'bigint':
      return leaf('Integer', checkTexts(d, '', true, here));
    case 'boolean':
      return leaf('Boolean');
    case 'enum':
    case 'literal': {
      const values = d.type === 'enum' ? Object.values(d.entries ?? {}) : (d.values ?? []);
      const more = [`one of ${values.map(code).join(', ')}`];
      // optionalOneOf: clients that send "" for "not set" are accepted; only a probe can see the preprocess.
      if (!values.includes('') && schema.safeParse('').success) more.push('an empty string counts as absent');
      return leaf(values.every((v) => typeof v === 'string') ? 'String' : 'Integer', more);
    }
    case 'array': {
      const item = describe(d.element as z.ZodType, `${name}.N`, warn);
      const each = item.children.length ? item.constraints : item.constraints.map((c) => `each ${c}`);
      return {
        name: item.name,
        type: `Array of ${item.type}`,
        constraints: [...checkTexts(d, 'items', true, here), ...each, ...constraints],
        children: item.children,
      };
    }
    case 'object': {
      const base = name.split('.').filter((p) => p !== 'N');
      const fallback = name.endsWith('.N') ? base[base.length - 1].replace(/s$/, '') : base[base.length - 1];
      const meta = z.globalRegistry.get(core);
      const type = STRUCT_NAMES.get(core) ?? meta?.id ?? meta?.title ?? fallback;
      return { name, type, constraints, children: objectRows(core, `${name}.`, warn) };
    }
    case 'union': {
      const options = (d.options ?? []).map((o) => describe(o, name, warn));
      here('a union is shown as its options’ types only');
      return leaf([...new Set(options.map((o) => o.type))].join(' or '));
    }
    default:
      here(`a ${d.type} schema has no Tencent type`);
      return leaf(code(d.type));
  }
}

function objectRows(schema: z.ZodType, prefix: string, warn: Warn): ParamRow[] {
  const rows: ParamRow[] = [];
  for (const [key, field] of Object.entries(defOf(schema).shape ?? {})) {
    const d = describe(field, `${prefix}${key}`, warn);
    // Probed, not read: a z.preprocess pipe reports `optin: 'optional'` even when its schema rejects undefined.
    rows.push({
      name: d.name,
      type: d.type,
      required: !field.safeParse(undefined).success,
      constraints: d.constraints,
    });
    rows.push(...d.children);
  }
  return rows;
}

/** The parameter rows of an action's schema, top-level fields in schema order, each followed by its nested fields. */
export function paramRows(schema: z.ZodType, warn: Warn = () => {}): ParamRow[] {
  const root = unwrap(schema, [], warn);
  if (defOf(root).type !== 'object') {
    warn('the params schema is not an object');
    return [];
  }
  return objectRows(root, '', warn);
}

/** What the reference cannot show, per action: for scripts/gen-docs.ts to print. */
export function schemaWarnings(actions: ReadonlyMap<string, ActionDefinition> = ACTIONS): string[] {
  const out: string[] = [];
  for (const def of sorted(actions)) paramRows(def.params, (w) => out.push(`${def.name}: ${w}`));
  return [...new Set(out)];
}

/** Why each DomainError kind is thrown, for the error tables; Record keeps it in step with ErrorKind. */
const KIND_TEXT: Record<ErrorKind, string> = {
  InvalidParam: 'a parameter fails a business rule after decoding',
  NotFound: 'the resource does not exist or belongs to another account',
  WrongStatus: 'the certificate’s status does not allow the operation',
  AuthError: 'the caller’s policies do not allow the action',
  NoProjectPermission: 'the caller may not act on the certificate’s project',
  NoRealNameAuth: 'the account has not completed identity verification',
  ExceedsFreeLimit: 'the account’s free-certificate quota is used up',
  Incomplete: 'the order’s information is incomplete for this step',
  Unsupported: 'the request asks for something the service does not support',
  Conflict: 'the resource already exists',
  ParseError: 'a certificate or key cannot be parsed',
  Mismatch: 'a certificate and key do not belong together',
  CsrInvalid: 'the CSR cannot be parsed or verified',
  CannotDeleteIssued: 'an issued certificate cannot be deleted',
  NotDownloadable: 'the certificate’s status does not allow download',
  Unavailable: 'a dependency is unavailable or the record changed concurrently; retry',
};

/** Codes the gateway itself answers for any action, once the action is known (gateway/*.ts). */
const GATEWAY_CODES: ReadonlyArray<[ErrorCode, string]> = [
  ['MissingParameter', 'a required parameter, or a common one such as `Timestamp`, is absent'],
  ['InvalidParameter', 'a parameter has the wrong type or a malformed name, or the body is not a JSON object'],
  ['InvalidParameterValue', 'a value breaks a constraint of the parameter table'],
  ['UnknownParameter', 'a parameter that is not in the parameter table was sent'],
  ['InvalidRequest', 'the HTTP request or its multipart body is malformed'],
  [
    'RequestSizeLimitExceeded',
    `the body exceeds \`limits.maxBodyBytes\` (${DEFAULTS.limits.maxBodyBytes}) or the query \`limits.maxQueryBytes\` (${DEFAULTS.limits.maxQueryBytes}) bytes`,
  ],
  ['AuthFailure.InvalidAuthorization', 'the TC3 `Authorization` header is malformed'],
  ['AuthFailure.SecretIdNotFound', 'the SecretId does not exist or is disabled'],
  [
    'AuthFailure.SignatureExpire',
    `the timestamp is more than \`limits.clockSkewSeconds\` (${DEFAULTS.limits.clockSkewSeconds} s) from server time`,
  ],
  ['AuthFailure.SignatureFailure', 'the signature does not match the request'],
  ['AuthFailure.TokenFailure', 'a temporary key’s token is missing, wrong or expired'],
  ['RequestLimitExceeded', 'the account sent more requests per second than the rate limit'],
  ['InternalError', 'an unexpected error; its detail is logged with the RequestId, never sent'],
];

function sorted(actions: ReadonlyMap<string, ActionDefinition>): ActionDefinition[] {
  return [...actions.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
const anchor = (heading: string) =>
  `#${heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replaceAll(' ', '-')}`;

function rateText(def: ActionDefinition): string {
  const d = DEFAULTS.rateLimit.defaultPerSecond;
  if (def.ratePerSecond === undefined)
    return `the default, ${d}/s per account (configurable: \`rateLimit.defaultPerSecond\`)`;
  return `${def.ratePerSecond}/s per account, declared by the action (\`rateLimit.perAction\` may override it)`;
}

function errorRows(def: ActionDefinition): string[] {
  const whens = new Map<ErrorCode, string[]>();
  const add = (c: ErrorCode, when: string) => whens.set(c, [...(whens.get(c) ?? []), when]);
  // AuthError is always possible: the gateway's permission pre-check throws it before the handler runs.
  const kinds = [...new Set([...(Object.keys(def.errors) as ErrorKind[]), 'AuthError' as const])];
  for (const kind of kinds) {
    const when = kind === 'AuthError' ? `the caller’s policies do not allow \`${def.permission}\`` : KIND_TEXT[kind];
    add(def.errors[kind] ?? DEFAULT_KIND_CODES[kind], `${when} (\`${kind}\`)`);
  }
  for (const [c, when] of GATEWAY_CODES) add(c, when);
  return [...whens].map(([c, w]) => row([c, w.join('; '), ERROR_CODES[c].en]));
}

function actionSection(def: ActionDefinition): string {
  const params = paramRows(def.params);
  const lines = [
    `## ${def.name}`,
    '',
    def.summary,
    '',
    `- CAM permission: \`${def.permission}\``,
    `- Rate limit: ${rateText(def)}`,
    '',
    '### Parameters',
    '',
  ];
  if (params.length === 0) lines.push('This action takes no parameters of its own.');
  else {
    lines.push('| Name | Type | Required | Constraints |', '|---|---|---|---|');
    for (const p of params) lines.push(row([p.name, p.type, p.required ? 'yes' : 'no', p.constraints.join('; ')]));
  }
  lines.push('', '### Errors', '', '| Code | When | Message |', '|---|---|---|', ...errorRows(def), '');
  return lines.join('\n');
}

function conventions(): string {
  const kinds = Object.entries(DEFAULT_KIND_CODES) as Array<[ErrorKind, ErrorCode]>;
  return [
    '## Conventions',
    '',
    `- **Endpoint.** Every action is a \`GET\` or \`POST\` to \`/\`, with the common parameters \`Action\` and \`Version\` (\`${API_VERSION}\`); \`Region\` is accepted and ignored.`,
    '- **Four request forms**, as the official SDKs and `tccli` send them:',
    '  1. TC3-HMAC-SHA256, `POST` with a JSON body (`application/json`; `multipart/form-data` and form bodies are also read);',
    '  2. TC3-HMAC-SHA256, `GET` with the parameters in the query string;',
    '  3. signature v1 (`HmacSHA1` or `HmacSHA256`), `GET` with every parameter in the query string;',
    '  4. signature v1, `POST` with an `application/x-www-form-urlencoded` body.',
    '- **Flattened names.** In query strings and form bodies, arrays and structures travel flattened: `DomainList.0=a.com&DomainList.1=b.com`, `Tags.0.TagKey=env`. `N` in the tables below is that index, from 0. There, Integer and Boolean values may come as text (`10`; `true`, `True`, `1`, `false`, `False`, `0`).',
    '- **Required** on a nested row (`Tags.N.TagKey`) applies to each element that is sent.',
    '- **Envelope.** Every answer is HTTP 200 with `Content-Type: application/json`: `{"Response": {...fields, "RequestId": "<uuid>"}}` on success, `{"Response": {"Error": {"Code": "...", "Message": "..."}, "RequestId": "..."}}` on failure. Messages are in English with `X-TC-Language: en-US` (v1: `Language=en-US`), in Chinese otherwise.',
    "- **Times** are written `YYYY-MM-DD HH:mm:ss` in Beijing time (UTC+8, no daylight saving), as Tencent's.",
    '- **Rate limits** count requests per second per (account, action).',
    '- **Before an action is known**, a request can fail with `MissingParameter` (no `Action` or `Version`), `NoSuchVersion`, `InvalidAction` or `UnsupportedProtocol` (a method other than GET or POST).',
    '- **Business errors** map to codes through the action’s own table (in each section below), then through these defaults:',
    '',
    '| Kind | Code | Message |',
    '|---|---|---|',
    ...kinds.map(([k, c]) => row([`\`${k}\`: ${KIND_TEXT[k]}`, c, ERROR_CODES[c].en])),
    '',
  ].join('\n');
}

/** docs/api.md: conventions, then every action alphabetically. */
export function renderApiReference(actions: ReadonlyMap<string, ActionDefinition> = ACTIONS): string {
  const defs = sorted(actions);
  const toc = defs.map((d) => `- [${d.name}](${anchor(d.name)}): ${d.summary}`);
  return [
    '# tcssl API reference',
    '',
    `<!-- Generated by scripts/gen-docs.ts (\`npm run docs\`) from src/actions/; do not edit by hand. -->`,
    '',
    `The ${defs.length} actions of the Tencent Cloud SSL API (\`ssl\`, version \`${API_VERSION}\`) that tcssl answers, read from the schemas the server validates with.`,
    '',
    '- [Conventions](#conventions)',
    ...toc,
    '',
    conventions(),
    ...defs.map(actionSection),
  ].join('\n');
}

/** docs/products.md: the rules of CreateCertificate's ProductId, DomainNum and TimeSpan, and the catalogue. */
export function renderProducts(): string {
  const singleYear = [...PRODUCTS.values()].filter((p) => !p.multiYear).map((p) => p.id);
  const codeOf = (action: string, k: ErrorKind) => ACTIONS.get(action)?.errors[k] ?? DEFAULT_KIND_CODES[k];
  const free = freeProduct;
  return [
    '# CreateCertificate products',
    '',
    `<!-- Generated by scripts/gen-docs.ts (\`npm run docs\`) from src/orders/products.ts; do not edit by hand. -->`,
    '',
    `CreateCertificate's \`ProductId\` names one product of the table below, taken verbatim from the official SDK's list; any other id is refused with \`${codeOf('CreateCertificate', 'InvalidParam')}\`. ` +
      `\`TimeSpan\` is in years: a multi-year product may be ordered for 1 to ${MAX_MULTI_YEAR_TIME_SPAN} years (the SDK names no maximum), and products ${singleYear.join(', ')} for 1 year only (Max years below). ` +
      `\`DomainNum\` must be 1 for single-domain and wildcard products, and 2 to ${MAX_DOMAIN_NUM} for multi-domain and wildcard multi-domain ones. ` +
      `SM2 (国密) products are listed but refused with \`${codeOf('CreateCertificate', 'Unsupported')}\`: the embedded CA signs RSA and ECDSA only.`,
    '',
    `\`ProductId\` ${free.id} is ${free.nameEn}, the free ${free.level} product (${free.kind === 'single' ? 'single domain' : free.kind}, so \`DomainNum\` 1; \`TimeSpan\` ${free.maxTimeSpan}), absent from the SDK's paid list and so from the table. ` +
      `It creates a free order in status ${Status.FreeInfoPending} (${STATUS_NAMES[Status.FreeInfoPending].en}); the account's free quota is counted when SubmitCertificateInformation accepts its information, which answers \`${codeOf('SubmitCertificateInformation', 'ExceedsFreeLimit')}\` once the quota is used up.`,
    '',
    catalogueMarkdown(),
  ].join('\n');
}
