#!/usr/bin/env node
// The package's bin: run the built CLI when there is one (the one-file bundle first, then tsc's output), else the
// TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = [join(root, 'dist', 'tcssl.mjs'), join(root, 'dist', 'cli', 'index.js')].find((f) => existsSync(f));
if (built) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href);
}
