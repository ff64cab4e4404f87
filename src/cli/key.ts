// `tcssl key ...`: API keys, permanent or temporary (STS-style, with a token and an expiry).

import { Command } from 'commander';
import { withServices } from './admin.js';
import { configFrom, parseIntFlag, printResult, type StoreFlags, withStoreFlags } from './options.js';

export function keyCommand(): Command {
  const cmd = new Command('key').description('manage API keys');
  withStoreFlags(
    cmd
      .command('create')
      .description('create a key for an account or a sub-user; with --ttl a temporary key with a Token')
      .option('--uin <uin>', 'account Uin')
      .option('--sub-uin <subUin>', 'sub-user Uin')
      .option('--ttl <seconds>', 'make a temporary key valid for this many seconds (at most 43200)')
      .option('--json', 'print JSON'),
  ).action(async (f: StoreFlags & { uin?: string; subUin?: string; ttl?: string; json?: boolean }) => {
    if (!f.uin === !f.subUin) throw new Error('give exactly one of --uin or --sub-uin');
    // Checked before the store is opened: a rejected command must not create a data directory.
    const ttlSeconds = f.ttl === undefined ? undefined : parseIntFlag(f.ttl, '--ttl');
    const created = await withServices(configFrom(f), (s) =>
      s.iam.createKey({ uin: f.uin, subUin: f.subUin, ttlSeconds }),
    );
    printResult({ ...created }, f.json);
  });
  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withStoreFlags(
      cmd
        .command(name)
        .description(`${name} a key (takes effect on the next request, on every node)`)
        .requiredOption('--secret-id <id>', 'the SecretId'),
    ).action(async (f: StoreFlags & { secretId: string }) => {
      await withServices(configFrom(f), (s) => s.iam.setKeyDisabled(f.secretId, disabled));
      process.stdout.write(`${f.secretId} ${disabled ? 'disabled' : 'enabled'}\n`);
    });
  }
  return cmd;
}
