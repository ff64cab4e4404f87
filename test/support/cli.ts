// Runs the `tcssl` command as a user does: one child process per command, real data directories in temp dirs and a
// real `tcssl serve` on a loopback port. Knows nothing of the server's internals; it only sees processes, files,
// stdout/stderr and exit codes.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI from source, as `npm run dev` runs it. */
const SOURCE_ENTRY = ['--import', 'tsx', join('src', 'cli', 'index.ts')];
/** The package's bin (dist/ when built, else the source through tsx). */
const BIN_ENTRY = [join('bin', 'tcssl.mjs')];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment on top of the cleaned parent environment. */
  env?: Record<string, string>;
  /** Kill the command (SIGKILL) after this long; a test then sees code null. */
  timeoutMs?: number;
}

/**
 * The parent's environment without TCSSL_* and TENCENTCLOUD_*: a developer's own settings (TCSSL_DATA, a real
 * Tencent key) must not leak into the command under test. Every server is started without an RSA key pool: the pool
 * fills in the background and only competes for CPU with the many short CLI processes these tests start.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TCSSL_') && !k.startsWith('TENCENTCLOUD_')) env[k] = v;
  }
  return { ...env, TCSSL_RSA_POOL_SIZE: '0', ...extra };
}

/** Every live child, killed if the test process leaves early so no server outlives the run. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function spawnNode(args: string[], env?: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * At most this many short-lived commands run at once. Each one spends seconds of CPU starting up (tsx, then every
 * module the CLI imports), so running more than there are cores only makes every one of them, and the server under
 * test, slower: enough to miss timeouts on a loaded machine.
 */
const MAX_COMMANDS = Math.max(2, availableParallelism());
let running = 0;
const waiting: Array<() => void> = [];

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_COMMANDS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await fn();
  } finally {
    // Hand the slot straight to the next waiter, or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function runNode(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return withSlot(() => runNodeNow(args, opts));
}

function runNodeNow(args: string[], opts: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(args, opts.env);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': it waits until both pipes are drained, so the output is complete.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `tcssl ARGS...` from the TypeScript source. */
export function tcssl(args: string[], opts?: RunOptions): Promise<CliResult> {
  return runNode([...SOURCE_ENTRY, ...args], opts);
}

/** `node FILE ARGS...` for a built CLI, such as a bundle. */
export function tcsslFile(file: string, args: string[], opts?: RunOptions): Promise<CliResult> {
  return runNode([file, ...args], opts);
}

/** `bin/tcssl.mjs ARGS...`, the file npm links as `tcssl`. */
export function tcsslBin(args: string[], opts?: RunOptions): Promise<CliResult> {
  return runNode([...BIN_ENTRY, ...args], opts);
}

/** Describes a finished command for assertion messages. */
export function describeRun(r: CliResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** stdout parsed as JSON; a command that failed or printed something else fails the test with its output. */
export function stdoutJson<T = Record<string, unknown>>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`expected exit 0\n${describeRun(r)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON\n${describeRun(r)}`);
  }
}

export interface ApiResponse {
  Error?: { Code: string; Message: string };
  RequestId: string;
  [field: string]: unknown;
}

/** The `Response` object `tcssl call` printed, whatever its exit code. */
export function printedResponse(r: CliResult): ApiResponse {
  let parsed: { Response?: ApiResponse };
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new Error(`tcssl call printed no JSON\n${describeRun(r)}`);
  }
  if (!parsed.Response) throw new Error(`tcssl call printed no Response envelope\n${describeRun(r)}`);
  return parsed.Response;
}

export function tempDir(prefix = 'tcssl-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A loopback port nobody listens on right now (listen on 0, close, reuse). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** milliseconds from the SIGTERM to the exit */
  ms: number;
}

export interface RunningServer {
  dataDir: string;
  port: number;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Everything the server printed so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit; SIGKILL (and code null) if it has not exited after `timeoutMs`. Idempotent. */
  stop(timeoutMs?: number): Promise<Exit>;
}

const READY_TIMEOUT_MS = 45_000;

export interface ServeOptions {
  dataDir: string;
  /** Reuse this port (a restart); otherwise a free one is picked. */
  port?: number;
  /** More flags after `serve --listen ... --data ...`. */
  args?: string[];
  env?: Record<string, string>;
  /** What node runs before `serve ...`: by default the TypeScript source through tsx. */
  entry?: string[];
  /**
   * How long the server may take to accept connections. 20 s is ample on an idle machine (it listens within about
   * 3 s), but a cold start measured 20+ s on a 2-core box busy with other test runs, hence 45 s.
   */
  readyTimeoutMs?: number;
}

/**
 * `tcssl serve --listen 127.0.0.1:PORT --data DIR`, resolved once the port accepts TCP connections. Rejects with
 * the server's output if it exits first or is not ready in time. A picked port that another process took between
 * the probe and the listen (EADDRINUSE) is retried on a new port.
 */
export async function startServe(opts: ServeOptions): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      // The slot is held while the server boots, which costs as much as any command, and freed once it listens.
      return await withSlot(() => startServeOn(port, opts));
    } catch (e) {
      if (opts.port !== undefined || attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
}

async function startServeOn(port: number, opts: ServeOptions): Promise<RunningServer> {
  const child = spawnNode(
    [
      ...(opts.entry ?? SOURCE_ENTRY),
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--data',
      opts.dataDir,
      ...(opts.args ?? []),
    ],
    opts.env,
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  let stopping: Promise<Exit> | undefined;
  const stop = (timeoutMs = 10_000): Promise<Exit> => {
    stopping ??= (async () => {
      const start = Date.now();
      if (exited) return { ...exited, ms: 0 };
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const done = await exit;
      clearTimeout(killer);
      return { ...done, ms: Date.now() - start };
    })();
    return stopping;
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  for (;;) {
    if (exited) {
      throw new Error(`tcssl serve exited (${exited.code ?? exited.signal}) before listening\n${stderr}${stdout}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `tcssl serve did not listen on ${port} within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS} ms\n${stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dataDir: opts.dataDir,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    stop,
  };
}
