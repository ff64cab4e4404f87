// A real browser for the console's tests: Debian's Chromium (`apt-get install chromium`; .ci/run installs it) driven
// by playwright-core, which never downloads a browser of its own. In CI a missing Chromium fails the test loudly; on a
// developer's machine the test is skipped with the reason, as services.ts does for PostgreSQL and Redis.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.TCSSL_CHROMIUM ?? '/usr/bin/chromium';

/** node:test's `skip` option: false when Chromium is there, else the reason (never in CI: that throws). */
export function skipWithoutChromium(): false | string {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium package`);
  return `needs Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Builds the console into dist/console, every time: a stale build from an earlier checkout must never be what the
 * browser tests look at. Vite takes a couple of seconds.
 */
export function buildConsole(): void {
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.ts'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`vite build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}
