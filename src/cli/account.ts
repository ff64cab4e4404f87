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
    const config = configFrom(f);
    const created = await withServices(config, (s) =>
      s.iam.createAccount({
        name: f.name,
        realNameVerified: parseBoolFlag(f.realNameVerified ?? 'true', '--real-name-verified'),
        freeQuota: parseIntFlag(f.freeQuota ?? '50', '--free-quota'),
      }),
    );
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
    const config = configFrom(f);
    const account = await withServices(config, async (s) => {
      await s.iam.updateAccount(f.uin, {
        realNameVerified:
          f.realNameVerified === undefined ? undefined : parseBoolFlag(f.realNameVerified, '--real-name-verified'),
        freeQuota: f.freeQuota === undefined ? undefined : parseIntFlag(f.freeQuota, '--free-quota'),
      });
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
