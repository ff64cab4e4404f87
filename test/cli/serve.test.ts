// The V8 flags `tcssl serve` sets for its heap, unless node was given its own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapFlags } from '../../src/cli/serve.js';

test('by default: 32 MB semi-spaces and no allocation-site pretenuring', () => {
  assert.deepEqual(heapFlags([], ''), ['--max-semi-space-size=32', '--no-allocation-site-pretenuring']);
});

test('a flag given on node’s command line or in NODE_OPTIONS is kept, each on its own', () => {
  assert.deepEqual(heapFlags(['--max-semi-space-size=8'], ''), ['--no-allocation-site-pretenuring']);
  assert.deepEqual(heapFlags([], '--allocation-site-pretenuring'), ['--max-semi-space-size=32']);
  assert.deepEqual(heapFlags(['--max-semi-space-size=16'], '--no-allocation-site-pretenuring --inspect'), []);
});
