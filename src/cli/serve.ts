// `tcssl serve`: assembles the services and the gateway and listens. On an empty store it creates a default
// account and key, prints them once, and writes them to <data>/credentials.json (mode 0600).

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import type { Config, ConfigInput } from '../config.js';
import { splitListen } from '../config.js';
import type { buildServer } from '../gateway/server.js';
import { claimOnce } from '../store/meta-repo.js';
import { configFrom, type StoreFlags, withStoreFlags } from './options.js';

interface ServeFlags extends StoreFlags {
  listen?: string;
  validation?: string;
  logLevel?: string;
  publicBaseUrl?: string;
  rateLimit?: boolean;
  rateLimitStore?: string;
}

export async function serve(
  config: Config,
  opts: { quiet?: boolean } = {},
): Promise<{ close(): Promise<void>; address: string }> {
  // What only the gateway needs loads while the store opens (its waits leave the thread free to evaluate modules).
  const gatewayModules = Promise.all([
    import('../actions/index.js'),
    import('../gateway/metrics.js'),
    import('../orders/status.js'),
    import('../store/certificates-repo.js'),
    import('../store/stats-repo.js'),
  ]);
  gatewayModules.catch(() => {});
  const [{ MemoryRateLimiter, NoRateLimiter }, { buildServer }, { assemble }] = await Promise.all([
    import('../gateway/rate-limit.js'),
    import('../gateway/server.js'),
    import('./assemble.js'),
  ]);
  // The worker logs through the app's logger, which exists only once the app is built below.
  let app: ReturnType<typeof buildServer> | undefined;
  const services = await assemble(config, {
    issuing: true,
    log: { info: (o, m) => app?.log.info(o, m), error: (o, m) => app?.log.error(o, m) },
  });
  // Several nodes may start on one empty database at once: only the one that claims the marker makes the account.
  if (
    (await services.iam.countAccounts()) === 0 &&
    (await claimOnce(services.store.db, 'default-account', config.listen))
  ) {
    const account = await services.iam.createAccount({ name: 'default' });
    const file = join(config.dataDir, 'credentials.json');
    const { listen } = config;
    const creds = { ...account, Endpoint: `http://${listen}` };
    writeWhole(file, `${JSON.stringify(creds, null, 2)}\n`, 0o600);
    // Printed once, on the first start only: the SecretKey is sealed in the store from now on.
    if (!opts.quiet)
      process.stdout.write(
        `Created the default account ${account.Uin}.\n  SecretId:  ${account.SecretId}\n  SecretKey: ${account.SecretKey}\n` +
          `Saved to ${file} (mode 0600); it is not printed again.\n`,
      );
  }
  const rateLimiter = !config.rateLimit.enabled
    ? new NoRateLimiter()
    : config.rateLimit.store === 'memory'
      ? new MemoryRateLimiter()
      : new (await import('../gateway/rate-limit-redis.js')).RedisRateLimiter(config.rateLimit.store);
  if ('ready' in rateLimiter) await rateLimiter.ready();
  const [{ ACTIONS }, { createMetrics }, { Status }, { countDue }, { ordersByStatus }] = await gatewayModules;
  const metrics = createMetrics({
    knownActions: new Set(ACTIONS.keys()),
    collectOrders: () => ordersByStatus(services.store.db),
    // The worker takes orders under review whose next check is due.
    collectQueueDepth: () => countDue(services.store.db, Status.Reviewing, Date.now()),
    storeStats: () => services.store.stats,
  });
  app = buildServer({
    config,
    services,
    rateLimiter,
    pki: services.responder,
    metrics,
    health: {
      store: () => services.store.ping(),
      ...('ping' in rateLimiter ? { redis: () => rateLimiter.ping() } : {}),
    },
  });
  const { host, port } = splitListen(config.listen);
  const address = await app.listen({ host, port });
  app.log.info({ address, store: services.store.location, validation: config.validation }, 'tcssl listening');
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Tell the load balancer first (readyz says draining), then stop accepting and finish what is in flight.
      app.health.setDraining(true);
      if (config.limits.drainDelayMs) await new Promise((r) => setTimeout(r, config.limits.drainDelayMs));
      await app.close();
      await rateLimiter.close();
      await services.close();
    })();
    return closing;
  };
  return { close, address };
}

/**
 * Writes `text` to `file` whole: into a new file beside it (created with `mode`, never through an existing one), then
 * renamed over it. Scripts wait for credentials.json to appear and read it at once; written in place, they could
 * read it empty or cut short.
 */
export function writeWhole(file: string, text: string, mode: number): void {
  const beside = `${file}.${process.pid}.new`;
  try {
    writeFileSync(beside, text, { mode, flag: 'wx' });
    renameSync(beside, file);
  } catch (e) {
    rmSync(beside, { force: true });
    throw e;
  }
}

/**
 * V8 flags for a server's heap, each unless node was given one of its own (on its command line or in NODE_OPTIONS):
 * - 32 MB semi-spaces. A request allocates a few kilobytes that die young; with V8's default young generation a busy
 *   server scavenges very often and promotes survivors that then cost major collections of 10-20 ms, the tail of its
 *   latency. They cut DescribeCertificate's p99 from about 105 to 50 ms in the benchmark (bench/README.md).
 * - No allocation-site pretenuring. Under load many of a request's objects are still in flight at a scavenge, so V8
 *   judges their allocation sites long-lived and allocates from them straight into the old generation; among them
 *   are objects that hold native memory V8 does not count (node's KeyObjects, OpenSSL's contexts), which then waits
 *   for a full collection. The online ECDSA row's resident set grew about 10 MB a second to a peak of 292-299 MB;
 *   without pretenuring it peaked at 210-212 MB, at the same rate of requests (bench/README.md).
 */
export function heapFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = (name: string) => [...execArgv, nodeOptions].some((a) => a.includes(name));
  const flags: string[] = [];
  if (!given('semi-space')) flags.push('--max-semi-space-size=32');
  if (!given('allocation-site-pretenuring')) flags.push('--no-allocation-site-pretenuring');
  return flags;
}

function tuneHeap(): void {
  for (const flag of heapFlags(process.execArgv, process.env.NODE_OPTIONS ?? '')) setFlagsFromString(flag);
}

export function serveCommand(): Command {
  return withStoreFlags(
    new Command('serve')
      .description('run the API server')
      .option('--listen <host:port>', 'address to listen on [env TCSSL_LISTEN, default 127.0.0.1:9000]')
      .option(
        '--validation <mode>',
        'auto (checks pass at once) or strict (real DNS/HTTP checks) [env TCSSL_VALIDATION]',
      )
      .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent [env TCSSL_LOG_LEVEL]')
      .option('--public-base-url <url>', 'base URL named in certificates for CRL/OCSP [env TCSSL_PUBLIC_BASE_URL]')
      .option(
        '--rate-limit-store <store>',
        "'memory' or a redis:// URL shared by all nodes [env TCSSL_RATE_LIMIT_STORE]",
      )
      .option('--no-rate-limit', 'lift every per-account rate limit (benchmarks only)'),
  ).action(async (f: ServeFlags) => {
    tuneHeap();
    const extra: ConfigInput = {};
    if (f.listen) extra.listen = f.listen;
    if (f.validation) extra.validation = f.validation as 'auto' | 'strict';
    if (f.logLevel) extra.logLevel = f.logLevel as ConfigInput['logLevel'];
    if (f.publicBaseUrl) extra.publicBaseUrl = f.publicBaseUrl;
    if (f.rateLimit === false || f.rateLimitStore) {
      extra.rateLimit = {
        ...(f.rateLimit === false ? { enabled: false } : {}),
        ...(f.rateLimitStore ? { store: f.rateLimitStore } : {}),
      };
    }
    const config = configFrom(f, extra);
    const started = serve(config);
    // Handlers go in before the store opens: a signal that arrives while starting (or in the moment between listen
    // and now) must still end in a clean close and exit 0, not in the default action that kills the process.
    // A second signal gets that default action, so a stuck shutdown can be forced.
    const stop = (signal: string) => {
      process.stderr.write(`${signal}: shutting down\n`);
      started
        .then((server) => server.close())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await started;
  });
}
