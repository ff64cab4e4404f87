// `tcssl account ...`: create and inspect main accounts.

import { Command } from 'commander';
import { withServices } from './admin.js';
import { configFrom, parseBoolFlag, parseIntFlag, printResult, type StoreFlags, withStoreFlags } from './options.js';

interface CreateFlags extends StoreFlags {
  name?: string;
  realNameVerified?: string;
  freeQuota?: string;
  json?: boolean;
}

export function accountCommand(): Command {
  const cmd = new Command('account').description('manage main accounts');
  withStoreFlags(
    cmd
      .command('create')
      .description('create an account and its first API key')
      .option('--name <name>', 'account name')
      .option('--real-name-verified <bool>', 'identity verification completed (true|false)', 'true')
      .option('--free-quota <n>', 'free DV certificates the account may order', '50')
      .option('--json', 'print JSON'),
  ).action(async (f: CreateFlags) => {
    // Flags are checked before the store is opened: a rejected command must not create a data directory.
    const input = {
      name: f.name,
      realNameVerified: parseBoolFlag(f.realNameVerified ?? 'true', '--real-name-verified'),
      freeQuota: parseIntFlag(f.freeQuota ?? '50', '--free-quota'),
    };
    const created = await withServices(configFrom(f), (s) => s.iam.createAccount(input));
    printResult({ ...created }, f.json);
  });
  withStoreFlags(
    cmd
      .command('update')
      .description("change an account's verification status or free quota")
      .requiredOption('--uin <uin>', 'account Uin')
      .option('--real-name-verified <bool>', 'identity verification completed (true|false)')
      .option('--free-quota <n>', 'free DV certificates the account may order')
      .option('--json', 'print JSON'),
  ).action(async (f: CreateFlags & { uin: string }) => {
    const patch = {
      realNameVerified:
        f.realNameVerified === undefined ? undefined : parseBoolFlag(f.realNameVerified, '--real-name-verified'),
      freeQuota: f.freeQuota === undefined ? undefined : parseIntFlag(f.freeQuota, '--free-quota'),
    };
    const account = await withServices(configFrom(f), async (s) => {
      await s.iam.updateAccount(f.uin, patch);
      return s.iam.getAccount(f.uin);
    });
    printResult(
      {
        Uin: account.uin,
        AppId: account.appId,
        Name: account.name,
        RealNameVerified: account.realNameVerified,
        FreeQuota: account.freeQuota,
      },
      f.json,
    );
  });
  return cmd;
}
