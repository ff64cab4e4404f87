// `tcssl policy attach`: CAM-style allow/deny statements for sub-users.

import { Command } from 'commander';
import { withServices } from './admin.js';
import { configFrom, printResult, type StoreFlags, withStoreFlags } from './options.js';

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function policyCommand(): Command {
  const cmd = new Command('policy').description('manage sub-user policies');
  withStoreFlags(
    cmd
      .command('attach')
      .description('allow (or deny) ssl:<Action> for a sub-user, on every project or on some')
      .requiredOption('--sub-uin <subUin>', 'sub-user Uin')
      .option(
        '--allow <actions>',
        'comma-separated actions to allow, e.g. ssl:SubmitCertificateInformation,ssl:Describe*',
      )
      .option('--deny <actions>', 'comma-separated actions to deny (a deny wins over any allow)')
      .option('--projects <ids>', 'comma-separated project ids the statement covers (default: every project)')
      .option('--json', 'print JSON'),
  ).action(
    async (f: StoreFlags & { subUin: string; allow?: string; deny?: string; projects?: string; json?: boolean }) => {
      const allow = splitList(f.allow);
      const deny = splitList(f.deny);
      if ((allow.length === 0) === (deny.length === 0)) throw new Error('give exactly one of --allow or --deny');
      const projectIds = f.projects === undefined ? null : splitList(f.projects).map(Number);
      if (projectIds?.some((n) => !Number.isInteger(n) || n < 0)) throw new Error('--projects must be project ids');
      const result = await withServices(configFrom(f), (s) =>
        s.iam.attachPolicy(f.subUin, {
          effect: allow.length ? 'allow' : 'deny',
          actions: allow.length ? allow : deny,
          projects: projectIds,
        }),
      );
      printResult({ ...result }, f.json);
    },
  );
  return cmd;
}
