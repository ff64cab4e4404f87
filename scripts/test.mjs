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

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts')) ? [] : find('test');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...args, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
