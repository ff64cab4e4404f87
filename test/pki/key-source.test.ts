import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { KeySourcePools, patient } from '../../src/pki/key-source.js';
import type { GeneratedKey } from '../../src/pki/keys.js';

const linux = process.platform === 'linux';

/** Threads of this process that run at nice 19: the key threads, nothing else here lowers its priority. */
function niceThreads(): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16] === '19') n++;
    } catch {
      // the thread ended while we looked
    }
  }
  return n;
}

function assertReal(key: GeneratedKey): void {
  const data = Buffer.from('to be signed');
  assert.ok(key.privateKey, 'the KeyObject is kept');
  assert.equal(verify(null, data, key.publicKeyPem, sign(null, data, key.privateKey)), true);
  const fromPem = createPublicKey(createPrivateKey(key.privateKeyPem)).export({ type: 'spki', format: 'pem' });
  assert.equal(fromPem, key.publicKeyPem);
}

describe('KeySourcePools', () => {
  test('hands out real RSA keys from an empty pool, made on the key threads, and ends them on close', async () => {
    const keys = new KeySourcePools({}, { keyThreads: 2 });
    keys.start();
    const [a, b] = await Promise.all([keys.take('RSA-2048'), keys.take('RSA-2048')]);
    assert.deepEqual(a.spec, { algorithm: 'RSA', rsaBits: 2048 });
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
    assertReal(a);
    assertReal(b);
    if (linux) assert.equal(niceThreads(), 2);
    await keys.close();
    if (linux) assert.equal(niceThreads(), 0);
    assertReal(await keys.take('RSA-2048')); // after close, still on demand
  });

  test('fills an RSA pool in the background on the key threads', async () => {
    const keys = new KeySourcePools({ 'RSA-2048': 3 }, { keyThreads: 2 });
    keys.start();
    const end = Date.now() + 60_000;
    while (keys.ready('RSA-2048') < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(keys.ready('RSA-2048'), 3);
    assertReal(await keys.take('RSA-2048'));
    await keys.close();
  });

  test('makes EC keys without the key threads, and RSA keys on libuv with keyThreads 0', async () => {
    const keys = new KeySourcePools({ 'EC-P256': 1 }, { keyThreads: 2 });
    keys.start();
    assertReal(await keys.take('EC-P256'));
    assertReal(await keys.take('EC-P384'));
    if (linux) assert.equal(niceThreads(), 0, 'no thread started for EC keys');
    await keys.close();
    const plain = new KeySourcePools({}, { keyThreads: 0 });
    assertReal(await plain.take('RSA-2048'));
    if (linux) assert.equal(niceThreads(), 0);
    await plain.close();
  });

  test('refuses a spec it does not know', async () => {
    const keys = new KeySourcePools({});
    await assert.rejects(keys.take('DSA-1024'), /unknown key spec DSA-1024/);
    await keys.close();
  });
});

describe('patient: a waiting take gets a second chance at normal priority', () => {
  const later = <T>(ms: number, value: T, fail = false) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms),
    );

  test('the first answer in time wins and the fallback never starts', async () => {
    let started = 0;
    const fallback = () => {
      started++;
      return later(1, 'fallback');
    };
    assert.equal(await patient(later(5, 'first'), fallback, 200), 'first');
    await assert.rejects(patient(later(5, 'boom', true), fallback, 200), /boom/);
    await later(250, null);
    assert.equal(started, 0);
  });

  test('a slow first starts the fallback after the wait, and whichever gives a value first wins', async () => {
    assert.equal(await patient(later(500, 'first'), () => later(5, 'fallback'), 20), 'fallback');
    assert.equal(await patient(later(60, 'first'), () => later(500, 'fallback'), 20), 'first');
    // A failure of either counts only when the other fails too, and then the later error is the answer.
    assert.equal(await patient(later(60, 'first', true), () => later(150, 'fallback'), 20), 'fallback');
    assert.equal(await patient(later(200, 'first'), () => later(5, 'fallback', true), 20), 'first');
    await assert.rejects(
      patient(later(60, 'first', true), () => later(150, 'last', true), 20),
      /last/,
    );
    assert.equal(
      await patient(
        later(60, 'first'),
        () => {
          throw new Error('sync');
        },
        20,
      ),
      'first',
    );
  });
});
