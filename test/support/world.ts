// The test world: a real server listening on a free loopback port over a real SQLite file in a temp dir,
// with a fresh account, and official-SDK clients pointed at it.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Assembled, assemble } from '../../src/cli/assemble.js';
import { type Config, type ConfigInput, loadConfig } from '../../src/config.js';
import { MemoryRateLimiter } from '../../src/gateway/rate-limit.js';
import { buildServer } from '../../src/gateway/server.js';

const require = createRequire(import.meta.url);

export interface Creds {
  secretId: string;
  secretKey: string;
  token?: string;
}

export interface World {
  dir: string;
  config: Config;
  url: string;
  port: number;
  app: FastifyInstance;
  services: Assembled;
  account: { uin: string } & Creds;
  close(): Promise<void>;
}

/** A port that was free a moment ago (the server's own URL must be known before it starts: it goes into certificates). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export function tempDir(prefix = 'tcssl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The database a test world uses: SQLite in its temp dir by default; with TCSSL_TEST_DB set to a PostgreSQL URL
 * (CI runs the store and end-to-end suites a second time that way), a fresh database on that server per world.
 */
export async function testDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TCSSL_TEST_DB;
  if (!base) return { url: '', async drop() {} };
  const pg = (await import('pg')).default;
  const name = `tcssl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function startWorld(overrides: ConfigInput = {}): Promise<World> {
  const dir = tempDir();
  const database = await testDatabase();
  // Suites make many calls a second; tests of the limits themselves pass their own rateLimit settings.
  // Key pools stay empty (keys are made on demand) so background generation does not load the test machine;
  // the worker polls often so auto-mode issuance is quick.
  const port = overrides.listen ? Number(overrides.listen.split(':').pop()) : await freePort();
  const config = loadConfig({
    overrides: {
      dataDir: dir,
      db: database.url,
      listen: `127.0.0.1:${port}`,
      logLevel: 'silent',
      rateLimit: { defaultPerSecond: 1000 },
      keys: { rsaPoolSize: 0, ecPoolSize: 0 },
      worker: { pollMs: 100, backoffMs: 200 },
      ca: { intermediateRsaBits: 2048 },
      ...overrides,
    },
  });
  const services = await assemble(config, { issuing: true });
  const app = buildServer({ config, services, rateLimiter: new MemoryRateLimiter(), pki: services.responder });
  await app.listen({ host: '127.0.0.1', port });
  const created = await services.iam.createAccount({ name: 'test' });
  return {
    dir,
    config,
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    services,
    account: { uin: created.Uin, secretId: created.SecretId, secretKey: created.SecretKey },
    async close() {
      await app.close();
      await services.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SignMethod = 'TC3-HMAC-SHA256' | 'HmacSHA1' | 'HmacSHA256';

export interface SdkOptions {
  signMethod?: SignMethod;
  reqMethod?: 'GET' | 'POST';
  /** host[:port] the SDK is pointed at; defaults to 127.0.0.1:<port> */
  endpoint?: string;
  language?: 'en-US' | 'zh-CN';
}

// biome-ignore lint/suspicious/noExplicitAny: the SDK's client is typed per action; tests call it generically.
export type SslClient = any;

/** The official Node SDK's ssl client, unchanged but for the endpoint and protocol. */
export function sdkClient(world: World, creds: Creds = world.account, opts: SdkOptions = {}): SslClient {
  const { ssl } = require('tencentcloud-sdk-nodejs/tencentcloud/services/ssl');
  return new ssl.v20191205.Client({
    credential: { secretId: creds.secretId, secretKey: creds.secretKey, token: creds.token },
    region: '',
    profile: {
      signMethod: opts.signMethod ?? 'TC3-HMAC-SHA256',
      language: opts.language ?? 'en-US',
      httpProfile: {
        endpoint: opts.endpoint ?? `127.0.0.1:${world.port}`,
        protocol: 'http://',
        reqMethod: opts.reqMethod ?? 'POST',
        reqTimeout: 30,
      },
    },
  });
}

/** Runs an SDK call expecting failure; returns the Tencent error code the SDK raised. */
export async function sdkErrorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return err.code ?? `no code: ${err.message}`;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const ALL_FORMS: Array<{ signMethod: SignMethod; reqMethod: 'GET' | 'POST' }> = [
  { signMethod: 'TC3-HMAC-SHA256', reqMethod: 'POST' },
  { signMethod: 'TC3-HMAC-SHA256', reqMethod: 'GET' },
  { signMethod: 'HmacSHA1', reqMethod: 'GET' },
  { signMethod: 'HmacSHA1', reqMethod: 'POST' },
  { signMethod: 'HmacSHA256', reqMethod: 'GET' },
  { signMethod: 'HmacSHA256', reqMethod: 'POST' },
];
