#!/usr/bin/env node
// The `tcssl` command: one subcommand per file, assembled here.

import { Command } from 'commander';
import { accountCommand } from './account.js';
import { caCommand } from './ca.js';
import { callCommand } from './call.js';
import { keyCommand } from './key.js';
import { policyCommand } from './policy.js';
import { projectCommand } from './project.js';
import { serveCommand } from './serve.js';
import { userCommand } from './user.js';

const program = new Command('tcssl').description(
  'a self-hostable SSL certificate service speaking the Tencent Cloud SSL API (ssl 2019-12-05)',
);
for (const make of [
  serveCommand,
  accountCommand,
  userCommand,
  projectCommand,
  policyCommand,
  keyCommand,
  caCommand,
  callCommand,
]) {
  program.addCommand(make());
}

/**
 * Usage errors (unknown command or flag, missing option) print one `tcssl: ...` line and exit 2, like the
 * command's own errors, instead of commander's help dump; --help and --version still exit 0.
 */
function quietErrors(cmd: Command): void {
  cmd.exitOverride().configureOutput({ outputError: () => {} });
  for (const sub of cmd.commands) quietErrors(sub);
}
quietErrors(program);

program.parseAsync(process.argv).catch((e: Error & { code?: string; exitCode?: number }) => {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
    process.exit(0);
  }
  // Expected failures (bad flags, unknown account) print one line; never a stack with paths or secrets.
  process.stderr.write(`tcssl: ${e.message.replace(/^error: /, '')}\n`);
  process.exit(2);
});
