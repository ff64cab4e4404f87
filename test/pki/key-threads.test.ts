import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, sign, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { KEY_THREAD_PROGRAM, KeyThreads } from '../../src/pki/key-threads.js';
import type { KeyPairObjects, ResolvedKeySpec } from '../../src/pki/keys.js';

const RSA: ResolvedKeySpec = { algorithm: 'RSA', rsaBits: 2048 };
const P256: ResolvedKeySpec = { algorithm: 'ECC', curve: 'P-256' };
const linux = process.platform === 'linux';
const dir = mkdtempSync(join(tmpdir(), 'tcssl-key-threads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertWorks(pair: KeyPairObjects): void {
  const data = Buffer.from('to be signed');
  assert.equal(verify(null, data, pair.publicKey, sign(null, data, pair.privateKey)), true);
}

function recorder() {
  const lines: Array<{ o: object; msg?: string }> = [];
  return { lines, log: { error: (o: object, msg?: string) => lines.push({ o, msg }) } };
}

/** The nice value of one of this process's threads, as the kernel reports it (field 19 of its stat). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('KeyThreads', () => {
  test('makes real RSA and EC pairs, handed over as KeyObjects', async () => {
    const threads = new KeyThreads({ threads: 2 });
    const [rsa, ec] = await Promise.all([threads.generate(RSA), threads.generate(P256, true)]);
    await threads.close();
    assert.equal(rsa.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(rsa.privateKey.asymmetricKeyDetails?.publicExponent, 65537n);
    assert.equal(ec.privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assertWorks(rsa);
    assertWorks(ec);
    // Still usable once the thread that made them is gone.
    assertWorks(rsa);
    assert.equal(createPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })).type, 'private');
  });

  test('starts its threads on first use only', async () => {
    const threads = new KeyThreads({ threads: 2 });
    await nextTurn();
    assert.deepEqual(threads.threadIds(), []);
    await threads.generate(P256);
    await threads.close();
  });

  test('runs every thread at nice 19 and leaves the serving thread alone', { skip: !linux }, async () => {
    const before = getPriority();
    const threads = new KeyThreads({ threads: 2 });
    await Promise.all([threads.generate(P256), threads.generate(P256)]);
    await until(() => threads.threadIds().length === 2, 'both threads to report their ids');
    for (const tid of threads.threadIds()) {
      assert.notEqual(tid, process.pid);
      assert.equal(getPriority(tid), 19);
      assert.equal(niceOf(tid), 19);
    }
    assert.equal(getPriority(), before, "the process's own priority did not move");
    assert.equal(niceOf(process.pid), before);
    const tids = threads.threadIds();
    await threads.close();
    for (const tid of tids) assert.equal(existsSync(`/proc/${process.pid}/task/${tid}`), false, `thread ${tid} ended`);
    assert.deepEqual(threads.threadIds(), []);
    assertWorks(await threads.generate(P256)); // after close, on libuv's threadpool
  });

  test('keeps the event loop turning while it makes RSA keys', async () => {
    const threads = new KeyThreads({ threads: 2 });
    let ticks = 0;
    let done = false;
    const keys = Promise.all([threads.generate(RSA), threads.generate(RSA)]).finally(() => {
      done = true;
    });
    while (!done) {
      await nextTurn();
      ticks++;
    }
    (await keys).forEach(assertWorks);
    await threads.close();
    assert.ok(ticks >= 100, `only ${ticks} event-loop turns while generating`);
  });

  test('serves urgent jobs (a take waiting on an empty pool) before refills', async () => {
    const threads = new KeyThreads({ threads: 1 });
    const order: string[] = [];
    const job = (name: string, urgent: boolean) =>
      threads.generate(P256, urgent).then(() => {
        order.push(name);
      });
    // The first goes to the thread at once; the others queue behind it.
    await Promise.all([job('refill-1', false), job('refill-2', false), job('refill-3', false), job('take', true)]);
    await threads.close();
    assert.deepEqual(order, ['refill-1', 'take', 'refill-2', 'refill-3']);
  });

  test('replaces a thread that ends, finishing its job on the threadpool, and logs no key', async () => {
    const flag = join(dir, 'crashed-once');
    // The first thread to start dies on its first job; later ones run the real program.
    const program = `
      let first = false;
      try { require('node:fs').closeSync(require('node:fs').openSync(${JSON.stringify(flag)}, 'wx')); first = true; } catch {}
      if (first) require('node:worker_threads').parentPort.on('message', () => process.exit(9));
      else { ${KEY_THREAD_PROGRAM} }`;
    const { lines, log } = recorder();
    const threads = new KeyThreads({ threads: 1, log, program });
    assertWorks(await threads.generate(RSA, true));
    assert.equal(lines.length, 1);
    assert.match(lines[0].msg ?? '', /ended unexpectedly; starting another/);
    assert.equal((lines[0].o as { code: number }).code, 9);
    assert.doesNotMatch(JSON.stringify(lines), /PRIVATE|"d"|"p"/);
    const pair = await threads.generate(P256);
    assertWorks(pair);
    await until(() => threads.threadIds().length === 1, 'the new thread to report its id');
    if (linux) assert.equal(getPriority(threads.threadIds()[0]), 19);
    await threads.close();
    assert.equal(lines.length, 1, 'closing is no failure');
  });

  test('gives up threads that keep ending and makes every key on the threadpool', async () => {
    const { lines, log } = recorder();
    const threads = new KeyThreads({ threads: 2, log, program: 'process.exit(3)' });
    const pairs = await Promise.all([threads.generate(P256), threads.generate(RSA, true), threads.generate(P256)]);
    pairs.forEach(assertWorks);
    await until(() => lines.some((l) => /from now on/.test(l.msg ?? '')), 'the threads to be given up');
    assert.equal(lines.filter((l) => /from now on/.test(l.msg ?? '')).length, 1);
    assert.deepEqual(threads.threadIds(), []);
    assertWorks(await threads.generate(P256));
    await threads.close();
  });

  test('a job the thread cannot do fails alone, and the thread goes on', async () => {
    const threads = new KeyThreads({ threads: 1 });
    await assert.rejects(threads.generate({ algorithm: 'RSA', rsaBits: 100 }), /key|modulus|size|small/i);
    assertWorks(await threads.generate(P256));
    await threads.close();
  });

  test('never holds the process open when idle, nor loses a key when closed mid-job', () => {
    const src = fileURLToPath(new URL('../../src/pki/key-threads.ts', import.meta.url));
    const script = join(dir, 'exit.mts');
    writeFileSync(
      script,
      `import { KeyThreads } from ${JSON.stringify(src)};
       const idle = new KeyThreads({ threads: 2 });
       await idle.generate({ algorithm: 'ECC', curve: 'P-256' });
       const busy = new KeyThreads({ threads: 1 });
       const pending = busy.generate({ algorithm: 'RSA', rsaBits: 2048 }, true);
       await busy.close();
       const pair = await pending;
       console.log('made', pair.privateKey.asymmetricKeyDetails.modulusLength);
       // idle is never closed: its threads must not keep the process alive.`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, 'the process ended by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /made 2048/);
  });
});
