// The one typed configuration: defaults, then an optional JSON file, then TCSSL_* environment variables,
// then command-line flags. The only module that reads process.env; everything else receives its part.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const listenSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port out of range');

export const configSchema = z.strictObject({
  /** Where the API listens, HOST:PORT. Loopback by default so a first start exposes nothing. */
  listen: listenSchema.default('127.0.0.1:9000'),
  /** Directory for the SQLite file, the master key file and credentials.json. */
  dataDir: z.string().min(1).default('./data'),
  /** Database URL; empty means SQLite at <dataDir>/tcssl.db. */
  db: z.string().default(''),
  /** auto: every domain check passes at once (local stand-in, CI); strict: real DNS/HTTP checks. The root is
   * trusted by nobody until an operator installs it, so auto issues nothing a browser would accept. */
  validation: z.enum(['auto', 'strict']).default('auto'),
  /** 64 hex chars (32 bytes). Empty means <dataDir>/master.key, created with mode 0600 on first start. */
  masterKey: z
    .string()
    .regex(/^([0-9a-fA-F]{64})?$/, 'expected 64 hex characters')
    .default(''),
  /** Base URL that certificates name for CRL and OCSP; empty means http://<listen>. */
  publicBaseUrl: z.string().default(''),
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  rateLimit: z
    .strictObject({
      /** Off only for benchmarks: every per-(account, action) limit is lifted. */
      enabled: z.boolean().default(true),
      /** Requests per second per (account, action) for actions that declare no limit of their own.
       * Tencent documents 20/s for the SSL actions, so that is the default. */
      defaultPerSecond: z.number().int().positive().default(20),
      /** Per-action overrides, e.g. {"DescribeCertificates": 50}. */
      perAction: z.record(z.string(), z.number().int().positive()).default({}),
      /** 'memory' (one node) or a redis:// URL shared by many nodes. */
      store: z
        .string()
        .regex(/^(memory|rediss?:\/\/.+)$/, "expected 'memory' or a redis:// URL")
        .default('memory'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Largest accepted request body in bytes; Tencent caps POST bodies at 10 MB. */
      maxBodyBytes: z
        .number()
        .int()
        .positive()
        .default(10 * 1024 * 1024),
      /** Largest accepted query string in bytes; Tencent caps GET requests at 32 KB. */
      maxQueryBytes: z
        .number()
        .int()
        .positive()
        .default(32 * 1024),
      /** Allowed distance between the request Timestamp and server time, seconds (Tencent: 300). */
      clockSkewSeconds: z.number().int().positive().default(300),
      /** API requests in flight at once; the next is answered at once with ServiceUnavailable (retryable) instead
       * of queuing. A request takes a few ms, so normal load stays far below; 256 leaves room for bursts and short
       * stalls while bounding buffered bodies to about maxInFlight x maxBodyBytes. */
      maxInFlight: z.number().int().positive().default(256),
      /** On SIGTERM, how long /readyz answers "draining" before the listener closes, ms (behind a load balancer:
       * at least its probe period x failure threshold). */
      drainDelayMs: z.number().int().min(0).default(0),
    })
    .prefault({}),
  keys: z
    .strictObject({
      /** RSA keys kept ready for CsrType=online, so a Submit never waits on key generation. 0 disables. */
      rsaPoolSize: z.number().int().min(0).max(1000).default(16),
      /** ECDSA P-256 keys kept ready (cheap to make, so a small pool). */
      ecPoolSize: z.number().int().min(0).max(1000).default(4),
      /** Threads that make RSA keys at the lowest CPU priority (nice 19, on Linux), so key generation only gets the CPU
       * that requests leave idle; unset means one per core. 0 makes them on libuv's threadpool at normal priority. */
      threads: z.number().int().min(0).max(64).optional(),
    })
    .prefault({}),
  dcv: z
    .strictObject({
      /** DNS servers for strict-mode TXT and address lookups, as "IP" or "IP:PORT"; empty means the system's. */
      dnsServers: z.array(z.string()).default([]),
      /** Port of the http:// file check (80 in production; tests point it at their own web server). */
      httpPort: z.number().int().min(1).max(65535).default(80),
      /** Port of the https:// file check. */
      httpsPort: z.number().int().min(1).max(65535).default(443),
      /** Let checks reach private, loopback and link-local addresses. Off: no SSRF into the operator's network. */
      allowPrivateAddresses: z.boolean().default(false),
      /** Time limit of one DNS query or one HTTP fetch, milliseconds. */
      timeoutMs: z.number().int().positive().default(5000),
      /** Largest validation file read, bytes. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(64 * 1024),
    })
    .prefault({}),
  worker: z
    .strictObject({
      /** Run the validation/issuance worker in this process. Several nodes may all run it. */
      enabled: z.boolean().default(true),
      /** How often the worker looks for due orders, milliseconds. */
      pollMs: z.number().int().positive().default(500),
      /** First retry delay after a failed check, milliseconds; doubles per attempt up to maxBackoffMs. */
      backoffMs: z.number().int().positive().default(5000),
      maxBackoffMs: z
        .number()
        .int()
        .positive()
        .default(10 * 60_000),
      /** An order whose domains are not validated within this many seconds fails (status 2). 72 h by default. */
      validationTimeoutSeconds: z
        .number()
        .int()
        .positive()
        .default(72 * 3600),
    })
    .prefault({}),
  ca: z
    .strictObject({
      /** Organisation named in the generated root and intermediates. */
      organization: z.string().min(1).max(64).default('tcssl'),
      /** Key size of the RSA intermediate made on first start (3072: the strength of the P-384 root's class). */
      intermediateRsaBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(3072),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variable -> config path. */
const ENV: Record<string, string[]> = {
  TCSSL_LISTEN: ['listen'],
  TCSSL_DATA: ['dataDir'],
  TCSSL_DB: ['db'],
  TCSSL_VALIDATION: ['validation'],
  TCSSL_MASTER_KEY: ['masterKey'],
  TCSSL_PUBLIC_BASE_URL: ['publicBaseUrl'],
  TCSSL_LOG_LEVEL: ['logLevel'],
  TCSSL_RATE_LIMIT_ENABLED: ['rateLimit', 'enabled'],
  TCSSL_RATE_LIMIT_DEFAULT: ['rateLimit', 'defaultPerSecond'],
  TCSSL_RATE_LIMIT_STORE: ['rateLimit', 'store'],
  TCSSL_MAX_BODY_BYTES: ['limits', 'maxBodyBytes'],
  TCSSL_MAX_IN_FLIGHT: ['limits', 'maxInFlight'],
  TCSSL_DRAIN_DELAY_MS: ['limits', 'drainDelayMs'],
  TCSSL_RSA_POOL_SIZE: ['keys', 'rsaPoolSize'],
  TCSSL_KEY_THREADS: ['keys', 'threads'],
  TCSSL_DCV_HTTP_PORT: ['dcv', 'httpPort'],
  TCSSL_DCV_HTTPS_PORT: ['dcv', 'httpsPort'],
  TCSSL_DCV_ALLOW_PRIVATE: ['dcv', 'allowPrivateAddresses'],
  TCSSL_WORKER: ['worker', 'enabled'],
};

export const ENV_VARS = [...Object.keys(ENV), 'TCSSL_DNS_SERVERS', 'TCSSL_CONFIG'];

interface FieldDef {
  type: string;
  innerType?: { _zod: { def: FieldDef } };
  shape?: Record<string, { _zod: { def: FieldDef } }>;
}

/** The schema type ('number', 'boolean', 'string', ...) of the field at path, under its default/prefault. */
function fieldType(path: string[]): string | undefined {
  let def: FieldDef | undefined = configSchema._zod.def as unknown as FieldDef;
  for (let i = 0; ; i++) {
    while (def?.innerType) def = def.innerType._zod.def;
    if (!def || i === path.length) return def?.type;
    def = def.shape?.[path[i]]?._zod.def;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    // As deepMerge does: a non-object from the file (`"rateLimit": 5`) gives way to the variable's object.
    if (node[part] === null || typeof node[part] !== 'object' || Array.isArray(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Environment strings become numbers/booleans where the target field is one; TCSSL_DATA=2024 stays a string. */
function coerce(raw: string, type: string | undefined): unknown {
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (type === 'number' && /^\d+$/.test(raw)) return Number(raw);
  return raw;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Builds the frozen config. `overrides` are already-parsed command-line values (nested like the schema).
 * `env` is passed in by the CLI (process.env) so tests can give their own.
 */
export function loadConfig(opts: {
  env?: Record<string, string | undefined>;
  file?: string;
  overrides?: ConfigInput;
}): Config {
  const merged: Record<string, unknown> = {};
  const env = opts.env ?? {};
  const file = opts.file ?? env.TCSSL_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a JSON object`);
    }
    deepMerge(merged, parsed as Record<string, unknown>);
  }
  for (const [name, path] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(merged, path, coerce(raw, fieldType(path)));
  }
  if (env.TCSSL_DNS_SERVERS)
    setPath(
      merged,
      ['dcv', 'dnsServers'],
      env.TCSSL_DNS_SERVERS.split(',').map((x) => x.trim()),
    );
  if (opts.overrides) deepMerge(merged, opts.overrides as Record<string, unknown>);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`invalid configuration at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return deepFreeze(result.data);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>, at = ''): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    // JSON.parse makes `__proto__` an own key; merging it would write into Object.prototype itself.
    if (k === '__proto__') throw new ConfigError(`invalid configuration at ${at}${k}: not a setting`);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const existing = target[k];
      const next = existing && typeof existing === 'object' ? (existing as Record<string, unknown>) : {};
      deepMerge(next, v as Record<string, unknown>, `${at}${k}.`);
      target[k] = next;
    } else {
      target[k] = v;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Splits HOST:PORT (IPv6 in brackets). */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(i + 1)) };
}
