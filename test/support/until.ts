// Waiting for a condition in a test without a fixed sleep: polls every 5 ms and fails with what it waited for.

import assert from 'node:assert/strict';

export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
