// `tcssl user create`: sub-users of an account, each with a first API key and no permissions.

import { Command } from 'commander';
import { withServices } from './admin.js';
import { configFrom, printResult, type StoreFlags, withStoreFlags } from './options.js';

export function userCommand(): Command {
  const cmd = new Command('user').description('manage sub-users');
  withStoreFlags(
    cmd
      .command('create')
      .description('create a sub-user (no permissions until a policy is attached) and its first API key')
      .requiredOption('--uin <uin>', 'owning account Uin')
      .requiredOption('--name <name>', 'sub-user name')
      .option('--json', 'print JSON'),
  ).action(async (f: StoreFlags & { uin: string; name: string; json?: boolean }) => {
    const created = await withServices(configFrom(f), (s) => s.iam.createSubUser(f.uin, f.name));
    printResult({ ...created }, f.json);
  });
  return cmd;
}
