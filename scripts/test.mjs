#!/usr/bin/env node
// Runs every test/**/*.test.ts under node's test runner through tsx. Node 20's --test takes no globs, so the
// files are listed here; extra arguments (a file, --test-name-pattern=...) are passed through.

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return find(p);
      return name.endsWith('.test.ts') ? [p] : [];
    });
}

// Arguments that are directories select the test files under them; other arguments pass through to node.
const args = [];
const dirs = [];
for (const a of process.argv.slice(2)) {
  if (!a.startsWith('-') && !a.endsWith('.ts') && statSync(a, { throwIfNoEntry: false })?.isDirectory()) dirs.push(a);
  else args.push(a);
}
// Directories and files may be mixed; with neither, every test file runs.
const files = dirs.length ? dirs.flatMap(find) : args.some((a) => a.endsWith('.ts')) ? [] : find('test');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...args, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
