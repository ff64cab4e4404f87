import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadOrCreateMasterKey, SecretBox } from '../../src/pki/secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'tcssl-secret-box-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const root = fileURLToPath(new URL('../..', import.meta.url));
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const isUndecryptable = (e: unknown) => e instanceof Error && e.message === 'secret could not be decrypted';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  test('round-trips strings and bytes, with and without aad', () => {
    assert.equal(box.openString(box.seal('s3cret, 腾讯')), 's3cret, 腾讯');
    assert.equal(box.openString(box.seal('key', 'cert:42'), 'cert:42'), 'key');
    const bytes = randomBytes(1000);
    assert.deepEqual(box.open(box.seal(bytes)), bytes);
    assert.equal(box.openString(box.seal('')), '');
  });

  test('seals to v1.base64url with a fresh IV each time', () => {
    const a = box.seal('same');
    const b = box.seal('same');
    assert.match(a, /^v1\.[A-Za-z0-9_-]+$/);
    assert.notEqual(a, b);
    assert.equal(Buffer.from(a.slice(3), 'base64url').length, 12 + 16 + 4);
  });

  test('refuses a sealed string with any one character changed', () => {
    const sealed = box.seal('the plaintext', 'aad');
    for (let i = 0; i < sealed.length; i++) {
      const c = sealed[i];
      const replacement = i < 3 ? (c === 'v' ? 'w' : c === '1' ? '2' : ',') : B64URL[(B64URL.indexOf(c) + 1) % 64];
      const tampered = sealed.slice(0, i) + replacement + sealed.slice(i + 1);
      assert.throws(() => box.open(tampered, 'aad'), isUndecryptable, `position ${i}`);
    }
  });

  test('refuses truncated, extended and non-canonical sealed strings', () => {
    const sealed = box.seal('x');
    for (const bad of [sealed.slice(0, -1), sealed + 'A', sealed + '=', 'v1.', '', 'v2' + sealed.slice(2), 'v1.!!!!']) {
      assert.throws(() => box.open(bad), isUndecryptable, bad);
    }
  });

  test('refuses a wrong or missing aad', () => {
    const sealed = box.seal('x', 'account:1');
    assert.throws(() => box.open(sealed, 'account:2'), isUndecryptable);
    assert.throws(() => box.open(sealed), isUndecryptable);
    assert.throws(() => box.open(box.seal('x'), 'account:1'), isUndecryptable);
  });

  test('refuses a secret sealed under another key, without the plaintext in the error', () => {
    const sealed = new SecretBox(randomBytes(32)).seal('hunter2-plaintext');
    assert.throws(
      () => box.open(sealed),
      (e: unknown) => isUndecryptable(e) && !String((e as Error).stack).includes('hunter2'),
    );
  });

  test('requires a 32-byte master key and copies it', () => {
    assert.throws(() => new SecretBox(randomBytes(31)), /32 bytes/);
    assert.throws(() => new SecretBox(randomBytes(33)), /32 bytes/);
    const key = randomBytes(32);
    const b = new SecretBox(key);
    const sealed = b.seal('x');
    key.fill(0);
    assert.equal(b.openString(sealed), 'x');
  });
});

describe('loadOrCreateMasterKey', () => {
  test('creates the file with mode 0600 in a new 0700 directory, then reuses it', () => {
    const file = join(dir, 'new', 'master.key');
    const first = loadOrCreateMasterKey({ file });
    assert.equal(first.length, 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'new')).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8').trim(), first.toString('hex'));
    assert.deepEqual(loadOrCreateMasterKey({ file }), first);
    assert.deepEqual(loadOrCreateMasterKey({ file, keyHex: '' }), first, 'an empty keyHex counts as absent');
  });

  test('prefers the hex key from config and leaves the file alone', () => {
    const file = join(dir, 'unused.key');
    const hex = randomBytes(32).toString('hex').toUpperCase();
    assert.equal(loadOrCreateMasterKey({ file, keyHex: hex }).toString('hex'), hex.toLowerCase());
    assert.throws(() => statSync(file), { code: 'ENOENT' });
  });

  test('refuses a malformed config key or key file, naming the file but not its content', () => {
    assert.throws(() => loadOrCreateMasterKey({ file: join(dir, 'x'), keyHex: 'abcd' }), /64 hex characters/);
    const file = join(dir, 'bad.key');
    writeFileSync(file, 'zz-not-a-key-zz\n');
    assert.throws(
      () => loadOrCreateMasterKey({ file }),
      (e: unknown) => (e as Error).message.includes(file) && !(e as Error).message.includes('zz-not-a-key'),
    );
  });

  test('gives processes that start together the same key', async () => {
    const file = join(dir, 'race', 'master.key');
    const script =
      "import { loadOrCreateMasterKey } from './src/pki/secret-box.ts';" +
      'process.stdout.write(loadOrCreateMasterKey({ file: process.argv[1] }).toString("hex"));';
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], {
        cwd: root,
      }).then((r) => r.stdout);
    const keys = await Promise.all([run(), run(), run()]);
    assert.equal(new Set(keys).size, 1);
    assert.equal(keys[0], readFileSync(file, 'utf8').trim());
  });
});
