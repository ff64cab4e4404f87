import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { KeyPool } from '../../src/pki/key-pool.js';
import type { GeneratedKey, KeySpec } from '../../src/pki/keys.js';

const spec: KeySpec = { algorithm: 'ECC' };

/** A generator whose calls stay pending until the test releases them, and which counts what it was asked. */
function manualGenerator() {
  let made = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const pending: Array<() => void> = [];
  const generate = (_spec: KeySpec): Promise<GeneratedKey> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const n = ++made;
    return new Promise((resolve) => {
      pending.push(() => {
        inFlight--;
        resolve({ privateKeyPem: `priv-${n}`, publicKeyPem: `pub-${n}`, spec: { algorithm: 'ECC', curve: 'P-256' } });
      });
    });
  };
  const releaseAll = async () => {
    while (pending.length) {
      for (const release of pending.splice(0)) release();
      await settle();
    }
  };
  return {
    generate,
    releaseAll,
    pendingCount: () => pending.length,
    made: () => made,
    maxInFlight: () => maxInFlight,
  };
}

/** Lets promise callbacks and the pool's refill run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await nextTurn();
}

/** A generator that answers at once with numbered keys. */
function instantGenerator() {
  let made = 0;
  const generate = async (): Promise<GeneratedKey> => {
    const n = ++made;
    return { privateKeyPem: `priv-${n}`, publicKeyPem: `pub-${n}`, spec: { algorithm: 'ECC', curve: 'P-256' } };
  };
  return { generate, made: () => made };
}

describe('KeyPool', () => {
  test('fills up to its size with at most `concurrency` generations at once, and never beyond', async () => {
    const gen = manualGenerator();
    const pool = new KeyPool({ spec, size: 5, concurrency: 2, generate: gen.generate });
    pool.start();
    pool.start();
    await settle();
    assert.equal(gen.pendingCount(), 2);
    await gen.releaseAll();
    assert.equal(pool.size(), 5);
    assert.equal(gen.made(), 5);
    assert.equal(gen.maxInFlight(), 2);
    await settle(20);
    assert.equal(gen.made(), 5, 'a full pool generates nothing more');
    await pool.close();
  });

  test('hands out distinct keys, refilling after each take', async () => {
    const gen = instantGenerator();
    const pool = new KeyPool({ spec, size: 3, generate: gen.generate });
    pool.start();
    await settle();
    assert.equal(pool.size(), 3);
    const taken = [];
    for (let i = 0; i < 10; i++) taken.push((await pool.take()).privateKeyPem);
    assert.equal(new Set(taken).size, 10);
    await settle();
    assert.equal(pool.size(), 3);
    assert.ok(pool.size() <= 3);
    await pool.close();
  });

  test('generates on demand when empty, without waiting for the refill', async () => {
    const gen = manualGenerator();
    const pool = new KeyPool({ spec, size: 2, concurrency: 1, generate: gen.generate });
    pool.start();
    const key = pool.take(); // the pool is empty: one on-demand generation besides the refill's one
    await settle();
    assert.equal(gen.pendingCount(), 2);
    await gen.releaseAll();
    assert.match((await key).privateKeyPem, /^priv-\d$/);
    assert.equal(pool.size(), 2);
    await pool.close();
  });

  test('tells the generator which keys someone waits for: a take from an empty pool, not a refill', async () => {
    const urgency: boolean[] = [];
    const gen = instantGenerator();
    const pool = new KeyPool({
      spec,
      size: 1,
      concurrency: 1,
      generate: (_spec, urgent) => {
        urgency.push(urgent);
        return gen.generate();
      },
    });
    pool.start();
    const taken = pool.take(); // empty yet: made for this take, besides the refill's
    await taken;
    await settle();
    assert.deepEqual(urgency.sort(), [false, true]);
    await pool.take(); // from the pool: only its refill
    await settle();
    assert.deepEqual(urgency.sort(), [false, false, true]);
    await pool.close();
  });

  test('with size 0 never pools and generates every key on demand', async () => {
    const gen = instantGenerator();
    const pool = new KeyPool({ spec, size: 0, generate: gen.generate });
    pool.start();
    await settle();
    assert.equal(gen.made(), 0);
    const a = await pool.take();
    const b = await pool.take();
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
    assert.equal(gen.made(), 2);
    assert.equal(pool.size(), 0);
  });

  test('close waits for generations in flight, then stops refilling and drops pooled keys', async () => {
    const gen = manualGenerator();
    const pool = new KeyPool({ spec, size: 4, concurrency: 2, generate: gen.generate });
    pool.start();
    await settle();
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    await settle();
    assert.equal(closed, false, 'close waits for the two in flight');
    await gen.releaseAll();
    await closing;
    assert.equal(gen.made(), 2, 'nothing started after close');
    assert.equal(pool.size(), 0);
    pool.start();
    await settle();
    assert.equal(gen.made(), 2, 'start after close does nothing');
    const late = pool.take();
    await settle();
    assert.equal(gen.made(), 3, 'take after close generates on demand');
    await gen.releaseAll();
    assert.equal((await late).privateKeyPem, 'priv-3');
  });

  test('a failing generator pauses the refill until the next take, and reports the error', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const pool = new KeyPool({
      spec,
      size: 3,
      generate: () => {
        calls++;
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    pool.start();
    await settle(20);
    assert.equal(calls, 2, 'one round of `concurrency` attempts, then a pause');
    assert.equal(errors.length, 2);
    await assert.rejects(pool.take(), /boom/);
    await settle(20);
    assert.equal(calls, 5, 'the take tried once itself and resumed the refill for one more round');
    await pool.close();
  });

  test('keeps the event loop turning while it generates four RSA-2048 keys', async () => {
    const pool = new KeyPool({ spec: { algorithm: 'RSA', rsaBits: 2048 }, size: 4, concurrency: 2 });
    let ticks = 0;
    pool.start();
    while (pool.size() < 4) {
      await nextTurn();
      ticks++;
    }
    const keys = await Promise.all([pool.take(), pool.take(), pool.take(), pool.take()]);
    await pool.close();
    assert.equal(new Set(keys.map((k) => k.privateKeyPem)).size, 4);
    // Generation runs on libuv's threadpool, so the loop spins freely meanwhile (typically thousands of turns);
    // a generator that blocked the loop would let through only a turn or two per key.
    assert.ok(ticks >= 100, `only ${ticks} event-loop turns while generating`);
  });
});
