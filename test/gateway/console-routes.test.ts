// The console's static routes: index.html with no-cache, hashed assets cached for a year, exact content types, the
// Content-Security-Policy on every answer, the app's own pages falling back to index.html, missing files and path
// traversal refused with a plain 404, and a page saying how to build the console when there is no build.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  CONSOLE_CSP,
  consolePath,
  defaultConsoleDir,
  registerConsoleRoutes,
} from '../../src/gateway/console-routes.js';
import { tempDir } from '../support/world.js';

const root = tempDir('tcssl-console-routes-');
after(() => rmSync(root, { recursive: true, force: true }));

const INDEX =
  '<!doctype html><title>tcssl</title><script type="module" src="/console/assets/index-AbC123.js"></script>';

function built(): string {
  const dir = join(root, 'built');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-Def456.css'), 'body{}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  // Outside the console directory: must never be served.
  writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
  return dir;
}

function appFor(dir: string): FastifyInstance {
  const app = Fastify();
  registerConsoleRoutes(app, { dir });
  return app;
}

describe('console routes', () => {
  const app = appFor(built());
  after(() => app.close());

  test('GET /console redirects to /console/ with its query kept', async () => {
    const res = await app.inject({ method: 'GET', url: '/console?lang=zh' });
    assert.equal(res.statusCode, 301);
    assert.equal(res.headers.location, '/console/?lang=zh');
  });

  test('GET /console/ answers index.html, no-cache, with the CSP and the other security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/console/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, INDEX);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
  });

  test('hashed assets answer with their content type and a year of immutable cache', async () => {
    const js = await app.inject({ method: 'GET', url: '/console/assets/index-AbC123.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1)');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-security-policy'], CONSOLE_CSP);
    const css = await app.inject({ method: 'GET', url: '/console/assets/index-Def456.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const svg = await app.inject({ method: 'GET', url: '/console/favicon.svg' });
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache');
  });

  test("the app's own pages fall back to index.html", async () => {
    for (const url of ['/console/certificates', '/console/certificates/abc123/submit', '/console/buy?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
    }
  });

  test('a missing asset is a plain-text 404, never index.html and never the API envelope', async () => {
    for (const url of ['/console/assets/gone-123.js', '/console/missing.png', '/console/assets/']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', url);
      assert.equal(res.body, 'Not found.\n', url);
    }
  });

  test('path traversal, encoded or not, is refused with 404', async () => {
    for (const url of [
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/%2e%2e/%2e%2e/secret.txt',
      '/console/..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/%00index.html',
      '/console/%E0%A4%A',
      '/console//etc/passwd',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.notEqual(res.statusCode, 200, url);
      assert.doesNotMatch(res.body, /TOP-SECRET-CONTENT/, url);
    }
    assert.equal(consolePath('/console/../secret.txt'), null);
    assert.equal(consolePath('/console/a/%2E%2E/b'), null);
    assert.equal(consolePath('/console/assets/x.js?v=1'), 'assets/x.js');
    assert.equal(consolePath('/elsewhere/x.js'), null);
  });

  test('HEAD works like GET without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/console/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
  });

  test('without a build, /console/ says how to build it (503) and the server keeps answering', async () => {
    const empty = appFor(join(root, 'not-built'));
    for (const url of ['/console/', '/console/certificates']) {
      const res = await empty.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 503, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.body, /npm run build/);
    }
    const asset = await empty.inject({ method: 'GET', url: '/console/assets/index-AbC123.js' });
    assert.equal(asset.statusCode, 404);
    await empty.close();
  });
});

describe('defaultConsoleDir', () => {
  test("is dist/console beside the bundle, beside tsc's dist/gateway, and the build output from the sources", () => {
    const at = (...parts: string[]) => `${join(sep, 'app', ...parts)}${sep}`;
    assert.equal(defaultConsoleDir(at('dist')), join(sep, 'app', 'dist', 'console'));
    assert.equal(defaultConsoleDir(at('dist', 'gateway')), join(sep, 'app', 'dist', 'console'));
    assert.equal(defaultConsoleDir(at('src', 'gateway')), join(sep, 'app', 'dist', 'console'));
  });
});
