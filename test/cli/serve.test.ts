// The V8 flags `tcssl serve` sets for its heap, unless node was given its own.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { heapFlags, writeWhole } from '../../src/cli/serve.js';

test('by default: 32 MB semi-spaces and no allocation-site pretenuring', () => {
  assert.deepEqual(heapFlags([], ''), ['--max-semi-space-size=32', '--no-allocation-site-pretenuring']);
});

test('a flag given on node’s command line or in NODE_OPTIONS is kept, each on its own', () => {
  assert.deepEqual(heapFlags(['--max-semi-space-size=8'], ''), ['--no-allocation-site-pretenuring']);
  assert.deepEqual(heapFlags([], '--allocation-site-pretenuring'), ['--max-semi-space-size=32']);
  assert.deepEqual(heapFlags(['--max-semi-space-size=16'], '--no-allocation-site-pretenuring --inspect'), []);
});

test('credentials.json is written whole: beside, then renamed over; mode 0600; nothing left beside it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'credentials.json');
  writeFileSync(file, 'an older, longer file that must not show through\n', { mode: 0o644 });
  const before = statSync(file).ino;
  writeWhole(file, '{"SecretId":"x"}\n', 0o600);
  assert.equal(readFileSync(file, 'utf8'), '{"SecretId":"x"}\n');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // A new file took the name: a reader that opened the old one never saw it change under it.
  assert.notEqual(statSync(file).ino, before);
  assert.deepEqual(readdirSync(dir), ['credentials.json']);
});

test('a write that fails leaves the file as it was and nothing beside it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The name is taken by a directory, which a file cannot be renamed over.
  const file = join(dir, 'credentials.json');
  mkdirSync(file);
  assert.throws(() => writeWhole(file, '{}\n', 0o600));
  assert.ok(statSync(file).isDirectory());
  assert.deepEqual(readdirSync(dir), ['credentials.json']);
});
