// Builds the web console (Preact, TSX through Vite's own JSX transform) into dist/console, which the server serves
// under /console. Run from the repository root: `vite build --config console/vite.config.ts`.
import { defineConfig } from 'vite';

const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: 'public',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP allows no inline script; Vite's modulepreload polyfill is for browsers older than the es2022 target.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
