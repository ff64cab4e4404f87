// The README is part of the product: its quick start is exactly two commands, and every setting it documents
// is a real one (and every real one is documented).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ENV_VARS } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the quick start is exactly two commands: one installs and serves, one installs and tests', () => {
  const section = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const commands = block.split('\n').filter((l) => l.trim() !== '');
  assert.equal(commands.length, 2);
  assert.match(commands[0], /^npm ci && npm start\b/);
  assert.match(commands[1], /^npm ci && npm test\b/);
});

test('every TCSSL_ environment variable the config reads is in the README configuration table', () => {
  for (const name of ENV_VARS) assert.ok(readme.includes(`\`${name}`), `${name} is not documented`);
});

test('every TCSSL_ variable the README names is one the config reads', () => {
  const named = new Set(readme.match(/TCSSL_[A-Z_]+/g) ?? []);
  for (const name of named) assert.ok(ENV_VARS.includes(name), `README names ${name}, which the config ignores`);
});

test('the scripts the README relies on exist in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  for (const s of ['start', 'test']) assert.ok(pkg.scripts[s], `npm ${s} is missing`);
  assert.equal(pkg.bin.tcssl, 'bin/tcssl.mjs');
});
