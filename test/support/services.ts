// PostgreSQL and Redis for the tests that need them, from `scripts/services.sh start` (which .ci/run runs).
// In CI a missing service fails the test loudly; on a developer's machine the test is skipped with the reason.

export function serviceUrl(name: 'TCSSL_TEST_PG_URL' | 'TCSSL_TEST_REDIS_URL'): string | undefined {
  const url = process.env[name];
  if (url) return url;
  if (process.env.CI)
    throw new Error(`${name} is not set: .ci/run must start PostgreSQL and Redis (scripts/services.sh)`);
  return undefined;
}

/** node:test's `skip` option: false when the services are there, else the reason (never in CI: that throws). */
export function skipWithout(...names: Array<'TCSSL_TEST_PG_URL' | 'TCSSL_TEST_REDIS_URL'>): false | string {
  const missing = names.filter((n) => !serviceUrl(n));
  return missing.length === 0 ? false : `needs ${missing.join(' and ')} (eval "$(scripts/services.sh start)")`;
}
