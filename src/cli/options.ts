// Flags shared by every subcommand that opens the store, and their translation into config overrides.

import type { Command } from 'commander';
import { type Config, type ConfigInput, loadConfig } from '../config.js';

export interface StoreFlags {
  data?: string;
  db?: string;
  config?: string;
  masterKey?: string;
}

export function withStoreFlags(cmd: Command): Command {
  return cmd
    .option(
      '--data <dir>',
      'data directory (SQLite file, master key, credentials.json) [env TCSSL_DATA, default ./data]',
    )
    .option('--db <url>', 'database URL; empty means SQLite in the data directory [env TCSSL_DB]')
    .option('--config <file>', 'JSON config file [env TCSSL_CONFIG]');
}

export function configFrom(flags: StoreFlags, extra: ConfigInput = {}): Config {
  return loadConfig({
    env: process.env,
    file: flags.config,
    overrides: { ...(flags.data ? { dataDir: flags.data } : {}), ...(flags.db ? { db: flags.db } : {}), ...extra },
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints either JSON or `Key: value` lines. */
export function printResult(value: Record<string, unknown>, json: boolean | undefined): void {
  if (json) {
    printJson(value);
    return;
  }
  for (const [k, v] of Object.entries(value))
    process.stdout.write(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
}

export function parseBoolFlag(v: string, name: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`${name} must be true or false`);
}

export function parseIntFlag(v: string, name: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer`);
  return Number(v);
}
