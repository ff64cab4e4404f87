// Bundles the CLI and server into one ES module, dist/tcssl.mjs, which bin/tcssl.mjs and `npm start` run when it is
// there. Loading the several hundred module files of the dependencies and of tcssl itself took more than half of
// `tcssl serve`'s start-up CPU; one file starts in about 0.7 s instead of 1.2 (bench/README.md). Native and optional
// modules stay outside (better-sqlite3's binding, PostgreSQL's and Redis' clients, loaded only when configured).
// `node scripts/bundle.mjs [outfile]`; tests call `bundle(outfile)`.

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'ioredis'];

export async function bundle(outfile = join(ROOT, 'dist', 'tcssl.mjs')) {
  await build({
    entryPoints: [join(ROOT, 'src', 'cli', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Some dependencies are CommonJS and call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __tcsslRequire } from 'node:module'; const require = __tcsslRequire(import.meta.url);",
    },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundle(process.argv[2]);
}
