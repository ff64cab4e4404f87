// Several `tcssl serve` processes as an operator runs them: one child process per node, each with its own data
// directory, all on one store (and one Redis) and one master key. A node can be stopped (SIGTERM), killed (SIGKILL),
// frozen (SIGSTOP) and restarted on the same store. Knows nothing of the server's internals: processes, ports,
// exit codes, and the official SDK; PostgreSQL is touched only to make and drop a test database.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, freePort, REPO_ROOT, stdoutJson, tcssl, tempDir } from './cli.js';
import { type Creds, type SslClient, sdkClient, type World } from './world.js';

const require = createRequire(import.meta.url);

/** A fresh master key (64 hex chars). Every node of one store must get the same one, or B cannot open A's seals. */
export function newMasterKey(): string {
  return randomBytes(32).toString('hex');
}

/** A fresh PostgreSQL database on the server of `baseUrl`, dropped (with force) by `drop`. */
export async function createDatabase(
  baseUrl: string,
  prefix = 'tcssl_mn_',
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const name = `${prefix}${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface Account extends Creds {
  uin: string;
}

/**
 * `tcssl account create --json` on the node's store. `--data` only says where a master key file would be; with
 * TCSSL_MASTER_KEY set, as here, the CLI reads no file there.
 */
export async function createAccount(opts: { db: string; dataDir: string; masterKey: string }): Promise<Account> {
  const r = await tcssl(
    ['account', 'create', '--data', opts.dataDir, ...(opts.db ? ['--db', opts.db] : []), '--name', 'nodes', '--json'],
    { env: { TCSSL_MASTER_KEY: opts.masterKey } },
  );
  const out = stdoutJson<{ Uin: string; SecretId: string; SecretKey: string }>(r);
  return { uin: out.Uin, secretId: out.SecretId, secretKey: out.SecretKey };
}

export interface NodeOptions {
  /** Database URL; '' or absent means SQLite in the node's data directory. */
  db?: string;
  /** A redis:// URL shared by the nodes; absent means the memory limiter. */
  rateLimitStore?: string;
  masterKey: string;
  /** The node's own data directory; a fresh temp dir by default. */
  dataDir?: string;
  /** Listen on this port (a restart); otherwise a free one. */
  port?: number;
  /** Written to <dataDir>/config.json and passed as --config. */
  config?: Record<string, unknown>;
  logLevel?: string;
  env?: Record<string, string>;
  /** A name for messages ('A', 'B'). */
  name?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Node {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /**
   * The official Node SDK's ssl client for `creds`, pointed at this node. It keeps connections alive (Node's global
   * agent) unless `keepAlive` is false: then each request has its own connection, which the server closes after it.
   */
  client(creds: Creds, opts?: { keepAlive?: boolean }): SslClient;
  /** Everything the node printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the process has exited (and its pipes are drained). */
  readonly exited: Promise<Exit>;
  /** Sends a signal without waiting (SIGTERM to watch a shutdown, SIGSTOP/SIGCONT to freeze). */
  signal(sig: NodeJS.Signals): void;
  /** SIGSTOP, resolved once the kernel shows the process stopped: from then on it runs no code at all. */
  freeze(): Promise<void>;
  /** SIGTERM and the exit; SIGKILL after `timeoutMs` (the exit then shows signal SIGKILL). Idempotent. */
  stop(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL (a crash) and the exit. */
  kill(): Promise<Exit>;
  /** A new process on the same data directory, store, port and options (after this one has exited). */
  restart(): Promise<Node>;
}

/** Every node still running, killed if the test process leaves early so that no server outlives the run. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

/** The parent's environment without TCSSL_* and TENCENTCLOUD_* (as test/support/cli.ts does for its commands). */
function nodeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TCSSL_') && !k.startsWith('TENCENTCLOUD_')) env[k] = v;
  }
  return { ...env, TCSSL_RSA_POOL_SIZE: '0', ...extra };
}

/** A cold start takes about 3 s on an idle machine and 20+ s on a 2-core box busy with other suites. */
const READY_TIMEOUT_MS = 60_000;

/**
 * `tcssl serve --listen 127.0.0.1:PORT --data DIR [--db URL] [--rate-limit-store URL] --log-level warn`, from the
 * TypeScript source, resolved once the port accepts connections (the server listens only after the store, the CA
 * and the worker are up). A picked port that another process took meanwhile (EADDRINUSE) is retried on a new one.
 */
export async function startNode(opts: NodeOptions): Promise<Node> {
  const dataDir = opts.dataDir ?? tempDir('tcssl-node-');
  const full = { ...opts, dataDir };
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOn(full, dataDir, port);
    } catch (e) {
      if (opts.port !== undefined || attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
}

async function startOn(opts: NodeOptions, dataDir: string, port: number): Promise<Node> {
  const args = ['--import', 'tsx', join('src', 'cli', 'index.ts'), 'serve'];
  args.push('--listen', `127.0.0.1:${port}`, '--data', dataDir, '--log-level', opts.logLevel ?? 'warn');
  if (opts.db) args.push('--db', opts.db);
  if (opts.rateLimitStore) args.push('--rate-limit-store', opts.rateLimitStore);
  if (opts.config) {
    const file = join(dataDir, 'config.json');
    writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: nodeEnv({ TCSSL_MASTER_KEY: opts.masterKey, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const collect = (s: string) => {
    // Bounded: a node that logs in a loop must not eat the test's memory.
    output = (output + s).slice(-200_000);
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  let done: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      done = { code, signal };
      resolve(done);
    });
  });
  const name = opts.name ?? `node:${port}`;

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (done) throw new Error(`${name} exited (${done.code ?? done.signal}) before listening\n${output}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${name} did not listen on ${port} within ${READY_TIMEOUT_MS} ms\n${output}`);
    }
    await sleep(100);
  }

  let stopping: Promise<Exit> | undefined;
  const node: Node = {
    name,
    port,
    dataDir,
    pid: child.pid as number,
    client: (creds, clientOpts = {}) =>
      clientOpts.keepAlive === false ? closingClient(port, creds) : sdkClient({ port } as World, creds),
    output: () => output,
    exited,
    signal(sig) {
      if (!done) child.kill(sig);
    },
    async freeze() {
      child.kill('SIGSTOP');
      await waitFor(`${name} to stop`, async () => (processState(child.pid as number) === 'T' ? true : undefined), {
        timeoutMs: 5000,
        intervalMs: 5,
      });
    },
    stop(timeoutMs = 15_000) {
      stopping ??= (async () => {
        if (done) return done;
        child.kill('SIGCONT'); // a frozen node could not act on the SIGTERM
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const exit = await exited;
        clearTimeout(killer);
        return exit;
      })();
      return stopping;
    },
    async kill() {
      if (!done) child.kill('SIGKILL');
      return exited;
    },
    async restart() {
      if (!done) throw new Error(`${name} is still running`);
      return startNode({ ...opts, dataDir, port });
    },
  };
  return node;
}

/** As test/support/world.ts sdkClient, but on an agent without keep-alive (every request sends Connection: close). */
function closingClient(port: number, creds: Creds): SslClient {
  const { ssl } = require('tencentcloud-sdk-nodejs/tencentcloud/services/ssl');
  return new ssl.v20191205.Client({
    credential: { secretId: creds.secretId, secretKey: creds.secretKey },
    region: '',
    profile: {
      signMethod: 'TC3-HMAC-SHA256',
      language: 'en-US',
      httpProfile: {
        endpoint: `127.0.0.1:${port}`,
        protocol: 'http://',
        reqMethod: 'POST',
        reqTimeout: 30,
        agent: new Agent({ keepAlive: false }),
      },
    },
  });
}

/** The process state letter from /proc (R running, S sleeping, T stopped, ...), or 'T' where there is no /proc. */
function processState(pid: number): string {
  try {
    // The command name, in parentheses, may hold spaces: the state is the first field after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'T';
  }
}

/** Removes a node's data directory (after it has exited). */
export function removeDataDir(node: Node): void {
  rmSync(node.dataDir, { recursive: true, force: true });
}

/** Polls `probe` until it returns a value other than undefined, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 20_000} ms waiting for ${what}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

/**
 * Runs an SDK call, retrying while the shared per-account limit answers RequestLimitExceeded: for a test's set-up
 * calls, whose own rate is not what the test is about. (`| T` because the SDK's methods are typed any: T is then any
 * instead of unknown.)
 */
export async function withinLimit<T>(call: () => Promise<T> | T, attempts = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (e) {
      if ((e as { code?: string }).code !== 'RequestLimitExceeded' || i >= attempts) throw e;
      await sleep(150 + Math.floor(Math.random() * 150));
    }
  }
}

/** What an SDK call came to: a success, a Tencent error code the server sent, or no answer at all. */
export type Outcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'error'; code: string; message: string; requestId: string }
  | { kind: 'no-answer'; message: string };

/**
 * The SDK raises errors with a `code` and the server's RequestId for an answered request, with `httpCode` for a
 * status other than 200, and with neither when the connection failed (refused, reset by a killed server): only the
 * first two tell what the server did. `p` may be the SDK's any-typed promise, as in withinLimit.
 */
export async function outcome<T>(p: Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { kind: 'ok', value: await p };
  } catch (e) {
    const err = e as { code?: string; message?: string; requestId?: string; httpCode?: number };
    if (err.code && err.requestId) {
      return { kind: 'error', code: err.code, message: err.message ?? '', requestId: err.requestId };
    }
    // A status other than 200 is an answer too, given before any action ran (a 503 from a closing server, say).
    if (err.httpCode) return { kind: 'error', code: `HTTP ${err.httpCode}`, message: err.message ?? '', requestId: '' };
    return { kind: 'no-answer', message: err.message ?? String(e) };
  }
}
