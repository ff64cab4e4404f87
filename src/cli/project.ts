// `tcssl project create`: projects group certificates for permissions (project 0 is every account's default).

import { Command } from 'commander';
import { withServices } from './admin.js';
import { configFrom, printResult, type StoreFlags, withStoreFlags } from './options.js';

export function projectCommand(): Command {
  const cmd = new Command('project').description('manage projects');
  withStoreFlags(
    cmd
      .command('create')
      .description('create a project')
      .requiredOption('--uin <uin>', 'owning account Uin')
      .requiredOption('--name <name>', 'project name')
      .option('--json', 'print JSON'),
  ).action(async (f: StoreFlags & { uin: string; name: string; json?: boolean }) => {
    const created = await withServices(configFrom(f), (s) => s.iam.createProject(f.uin, f.name));
    printResult({ ...created }, f.json);
  });
  return cmd;
}
