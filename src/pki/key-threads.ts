// Key pairs made on worker threads that run at the lowest CPU priority, so key generation only ever gets the CPU
// that serving requests leaves idle. On libuv's threadpool, RSA generation competes as an equal with the thread that
// answers requests: on two cores, two RSA generations and a load generator starve it, and every request waits.
// Knows specs and KeyObjects; not pools, nor who takes the keys.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateKeyPairObjects, type KeyPairObjects, NODE_CURVE, type ResolvedKeySpec } from './keys.js';

/**
 * The worker's whole program: plain CommonJS, so it runs the same under tsx and from dist/. On Linux nice is per
 * thread, and /proc/thread-self names this one; elsewhere setPriority would renice the whole process, so it is
 * skipped. The pair goes back as KeyObjects, which postMessage hands over without re-encoding the key.
 */
export const KEY_THREAD_PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
let tid = null;
try {
  tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, 19);
} catch {}
parentPort.postMessage({ tid });
parentPort.on('message', (job) => {
  let pair;
  try {
    pair = job.rsaBits
      ? generateKeyPairSync('rsa', { modulusLength: job.rsaBits, publicExponent: 0x10001 })
      : generateKeyPairSync('ec', { namedCurve: job.namedCurve });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
    return;
  }
  parentPort.postMessage({ privateKey: pair.privateKey, publicKey: pair.publicKey });
});
`;

/** After this many threads in a row end on their own without making a key, the threads are given up. */
const MAX_CONSECUTIVE_FAILURES = 3;

export interface KeyThreadsOptions {
  /** Worker threads; default one per core. */
  threads?: number;
  /** Told when a thread ends unexpectedly and when the threads are given up. */
  log?: { error(o: object, msg?: string): void };
  /** The worker's program; tests replace it. */
  program?: string;
}

interface Job {
  spec: ResolvedKeySpec;
  resolve: (pair: KeyPairObjects) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  worker: Worker;
  job?: Job;
  /** the thread's Linux thread id, once it has said it */
  tid?: number;
}

export class KeyThreads {
  readonly #threads: number;
  readonly #log: KeyThreadsOptions['log'];
  readonly #program: string;
  readonly #lanes = new Set<Lane>();
  // Someone waits on an urgent job (a take from an empty pool); background jobs refill pools.
  readonly #urgent: Job[] = [];
  readonly #background: Job[] = [];
  #closed = false;
  #failures = 0;
  // Set once threads keep dying: every job then runs on libuv's threadpool, as if there were no threads.
  #givenUp = false;

  constructor(opts: KeyThreadsOptions = {}) {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error('key threads must be a whole number >= 1');
    this.#threads = threads;
    this.#log = opts.log;
    this.#program = opts.program ?? KEY_THREAD_PROGRAM;
  }

  /** How many keys can be made at once. */
  get size(): number {
    return this.#threads;
  }

  /** A key pair from a thread; after close (or once the threads are given up), from libuv's threadpool. */
  generate(spec: ResolvedKeySpec, urgent = false): Promise<KeyPairObjects> {
    if (this.#closed || this.#givenUp || !this.#startThreads()) return generateKeyPairObjects(spec);
    return new Promise((resolve, reject) => {
      (urgent ? this.#urgent : this.#background).push({ spec, resolve, reject });
      this.#dispatch();
    });
  }

  /** Linux thread ids of the running threads that have reported theirs. */
  threadIds(): number[] {
    return [...this.#lanes].flatMap((l) => (l.tid === undefined ? [] : [l.tid]));
  }

  /** Ends the threads; jobs not yet done are finished on libuv's threadpool, so no caller is left without a key. */
  async close(): Promise<void> {
    this.#closed = true;
    const lanes = [...this.#lanes];
    this.#lanes.clear();
    for (const lane of lanes) this.#handOver(lane);
    this.#drainInProcess();
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  // Threads start on first use, so a process that never makes a key never pays for their isolates.
  #startThreads(): boolean {
    try {
      while (this.#lanes.size < this.#threads) this.#spawn();
      return true;
    } catch (err) {
      this.#giveUp({ error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  #spawn(): void {
    // Without the process's node flags: the program needs no loader (tsx), and a --cpu-prof of the server should
    // not gain a profile per key thread.
    const worker = new Worker(this.#program, { eval: true, execArgv: [] });
    const lane: Lane = { worker };
    this.#lanes.add(lane);
    let error: string | undefined;
    worker.on('message', (m: { tid?: number | null; error?: string } & Partial<KeyPairObjects>) => {
      if ('tid' in m) {
        lane.tid = m.tid ?? undefined;
        return;
      }
      const job = lane.job;
      lane.job = undefined;
      worker.unref();
      if (!job) return;
      if (m.privateKey && m.publicKey) {
        this.#failures = 0;
        job.resolve({ privateKey: m.privateKey, publicKey: m.publicKey });
      } else {
        job.reject(new Error(m.error ?? 'key generation failed'));
      }
      this.#dispatch();
    });
    // A pair that cannot be read back is the job's failure, not the thread's; libuv's threadpool retries it.
    worker.on('messageerror', () => {
      worker.unref();
      this.#handOver(lane);
      this.#dispatch();
    });
    worker.on('error', (err) => {
      error = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      if (!this.#lanes.delete(lane) || this.#closed) return;
      this.#handOver(lane);
      if (++this.#failures >= MAX_CONSECUTIVE_FAILURES) {
        this.#giveUp({ code, error, threadId: lane.tid });
        return;
      }
      this.#log?.error(
        { code, error, threadId: lane.tid },
        'a key generation thread ended unexpectedly; starting another',
      );
      if (this.#startThreads()) this.#dispatch();
    });
    // Idle threads never hold the process open; a thread with a job does, as a threadpool job would. After the
    // listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  #dispatch(): void {
    for (const lane of this.#lanes) {
      if (lane.job) continue;
      const job = this.#urgent.shift() ?? this.#background.shift();
      if (!job) return;
      lane.job = job;
      lane.worker.ref();
      const s = job.spec;
      lane.worker.postMessage(s.algorithm === 'RSA' ? { rsaBits: s.rsaBits } : { namedCurve: NODE_CURVE[s.curve] });
    }
  }

  #giveUp(detail: object): void {
    this.#givenUp = true;
    this.#log?.error(detail, 'key generation threads keep failing; keys are made on the libuv threadpool from now on');
    for (const lane of this.#lanes) {
      this.#handOver(lane);
      void lane.worker.terminate();
    }
    this.#lanes.clear();
    this.#drainInProcess();
  }

  // The lane's job, if any, goes to libuv's threadpool; whatever the thread still says about it is ignored.
  #handOver(lane: Lane): void {
    const job = lane.job;
    lane.job = undefined;
    if (job) this.#runInProcess(job);
  }

  #drainInProcess(): void {
    for (const job of this.#urgent.splice(0)) this.#runInProcess(job);
    for (const job of this.#background.splice(0)) this.#runInProcess(job);
  }

  #runInProcess(job: Job): void {
    generateKeyPairObjects(job.spec).then(job.resolve, job.reject);
  }
}
