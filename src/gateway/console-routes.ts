// Serves the web console's built assets (dist/console, made by `vite build` from console/) under /console. Static
// files only: the console is a signed API client like any SDK, so it gets no route, key or data of its own here.
// Knows nothing of actions, accounts or the envelope; a missing build is answered with how to make it.

import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_PREFIX = '/console';

/**
 * Everything the console loads comes from this origin, and it runs no inline script or style: the built page is
 * one module script and one stylesheet, and its only connection is the signed POST to `/`. Nothing may frame it.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  webp: 'image/webp',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
  webmanifest: 'application/manifest+json',
};

/** Vite names everything under assets/ by content hash, so a file there never changes: cache it for a year. */
const HASHED_CACHE = 'public, max-age=31536000, immutable';
/** index.html names the hashed files of the current build, so the browser must ask again every time. */
const REVALIDATE = 'no-cache';

/**
 * dist/console beside the compiled server (the bundle dist/tcssl.mjs, or dist/gateway/ → dist/console/), or, when the
 * server runs from its TypeScript sources (tsx, tests: src/gateway/ → dist/console/), the build output of the
 * repository.
 */
export function defaultConsoleDir(here = fileURLToPath(new URL('.', import.meta.url))): string {
  if (here.endsWith(`${sep}dist${sep}gateway${sep}`)) return resolve(here, '../console');
  if (here.endsWith(`${sep}dist${sep}`)) return resolve(here, 'console');
  return resolve(here, '../../dist/console');
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  return reply;
}

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return securityHeaders(reply)
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(Buffer.from(`${text}\n`));
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tcssl console not built</title></head>
<body><h1>The tcssl web console is not built</h1>
<p>Build it from the repository with <code>npm run build</code> (or <code>npm start</code>, which builds and serves),
then reload this page. The API on <code>/</code> works without it.</p></body></html>
`;

/** The file's path inside the console, or null when the URL tries to leave it or is not a plain relative path. */
export function consolePath(rawUrl: string): string | null {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!path.startsWith(`${CONSOLE_PREFIX}/`)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice(CONSOLE_PREFIX.length + 1));
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.startsWith('/')) return null;
  if (rel.split('/').some((segment) => segment === '..' || segment === '.')) return null;
  return rel;
}

async function readFileIn(dir: string, rel: string): Promise<Buffer | null> {
  const file = resolve(join(dir, rel));
  if (!file.startsWith(dir + sep)) return null;
  try {
    if (!(await stat(file)).isFile()) return null;
    return await readFile(file);
  } catch {
    return null;
  }
}

function contentTypeOf(rel: string): string {
  const dot = rel.lastIndexOf('.');
  return CONTENT_TYPES[dot < 0 ? '' : rel.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** GET /console (redirect), /console/ and /console/* with a fallback to index.html for the app's own pages. */
export function registerConsoleRoutes(app: FastifyInstance, opts: { dir?: string } = {}): void {
  const dir = resolve(opts.dir ?? defaultConsoleDir());

  const sendIndex = async (reply: FastifyReply) => {
    const html = await readFileIn(dir, 'index.html');
    securityHeaders(reply).header('cache-control', REVALIDATE).header('content-type', CONTENT_TYPES.html);
    if (!html) return reply.code(503).send(Buffer.from(NOT_BUILT));
    return reply.code(200).send(html);
  };

  app.get(CONSOLE_PREFIX, async (req: FastifyRequest, reply: FastifyReply) => {
    const q = (req.raw.url ?? '').indexOf('?');
    return securityHeaders(reply).redirect(`${CONSOLE_PREFIX}/${q < 0 ? '' : (req.raw.url ?? '').slice(q)}`, 301);
  });
  app.get(`${CONSOLE_PREFIX}/`, async (_req, reply) => sendIndex(reply));
  app.get(`${CONSOLE_PREFIX}/*`, async (req, reply) => {
    const rel = consolePath(req.raw.url ?? '');
    if (rel === null) return plain(reply, 404, 'Not found.');
    if (rel === '' || rel === 'index.html') return sendIndex(reply);
    const body = await readFileIn(dir, rel);
    if (body) {
      return securityHeaders(reply)
        .code(200)
        .header('content-type', contentTypeOf(rel))
        .header('cache-control', rel.startsWith('assets/') ? HASHED_CACHE : REVALIDATE)
        .send(body);
    }
    // A path that names a file (assets/, or an extension in its last segment) is a missing file; any other path is
    // one of the app's own pages (/console/certificates/abc), which the app routes itself.
    const last = rel.slice(rel.lastIndexOf('/') + 1);
    if (rel.startsWith('assets/') || last.includes('.')) return plain(reply, 404, 'Not found.');
    return sendIndex(reply);
  });
}
