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

const program = new Command('tcssl')
  .description('a self-hostable SSL certificate service speaking the Tencent Cloud SSL API (ssl 2019-12-05)')
  .showHelpAfterError();
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

program.parseAsync(process.argv).catch((e: Error) => {
  // Expected failures (bad flags, unknown account) print one line; never a stack with paths or secrets.
  process.stderr.write(`tcssl: ${e.message}\n`);
  process.exit(2);
});
