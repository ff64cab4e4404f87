// `tcssl call ACTION --Param value ...`: a signed client that prints the Response JSON. Credentials come from
// flags, then TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY, then <data>/credentials.json.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { unflatten } from '../gateway/decode.js';
import { call, type SignMethod } from './client.js';
import { flattenParams } from './flatten.js';
import { printJson } from './options.js';

interface CallFlags {
  endpoint?: string;
  secretId?: string;
  secretKey?: string;
  token?: string;
  signMethod?: string;
  method?: string;
  region?: string;
  language?: string;
  data?: string;
}

/**
 * `--DomainList.0 a --DomainList.1 b`, `--DomainList '["a","b"]'` and `--Limit=5` all work. Values are collected
 * as flattened names and decoded by the gateway's own decoder, so the CLI accepts exactly what a v1 or GET request
 * would, with the same errors for conflicting names.
 */
export function parseActionArgs(args: string[]): Record<string, unknown> {
  const flat: Record<string, string> = Object.create(null);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--')
      throw new Error(`unexpected argument ${arg}: parameters are --Name value`);
    let name = arg.slice(2);
    let value: string;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else {
      if (i + 1 >= args.length) throw new Error(`--${name} needs a value`);
      value = args[++i];
    }
    let pairs: Record<string, string> = { [name]: value };
    if (/^\s*[[{]/.test(value)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new Error(`--${name}: the value looks like JSON but does not parse`);
      }
      pairs = flattenParams({ [name]: parsed });
    }
    for (const [k, v] of Object.entries(pairs)) {
      if (Object.hasOwn(flat, k)) throw new Error(`--${k} is given twice`);
      flat[k] = v;
    }
  }
  try {
    return unflatten(flat);
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

function readCredentials(dataDir: string): { SecretId?: string; SecretKey?: string; Endpoint?: string } {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
  } catch {
    return {};
  }
}

export function callCommand(): Command {
  return new Command('call')
    .description('call an API action, signed, and print the Response JSON')
    .argument('<action>', 'action name, e.g. DescribeCertificates')
    .option('--endpoint <url>', 'server URL (default: credentials.json Endpoint, else http://127.0.0.1:9000)')
    .option('--secret-id <id>', 'SecretId [env TENCENTCLOUD_SECRET_ID]')
    .option('--secret-key <key>', 'SecretKey [env TENCENTCLOUD_SECRET_KEY]')
    .option('--token <token>', 'session token of a temporary key [env TENCENTCLOUD_SESSION_TOKEN]')
    .option('--sign-method <m>', 'TC3-HMAC-SHA256 | HmacSHA1 | HmacSHA256', 'TC3-HMAC-SHA256')
    .option('--method <m>', 'GET | POST', 'POST')
    .option('--region <region>', 'X-TC-Region / Region')
    .option('--language <lang>', 'en-US | zh-CN', 'en-US')
    .option('--data <dir>', 'data directory holding credentials.json', process.env.TCSSL_DATA ?? './data')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (action: string, f: CallFlags, cmd: Command) => {
      const creds = readCredentials(f.data ?? './data');
      const secretId = f.secretId ?? process.env.TENCENTCLOUD_SECRET_ID ?? creds.SecretId;
      const secretKey = f.secretKey ?? process.env.TENCENTCLOUD_SECRET_KEY ?? creds.SecretKey;
      if (!secretId || !secretKey) throw new Error('no credentials: give --secret-id and --secret-key');
      const signMethod = f.signMethod as SignMethod;
      if (!['TC3-HMAC-SHA256', 'HmacSHA1', 'HmacSHA256'].includes(signMethod)) throw new Error('bad --sign-method');
      const method = (f.method ?? 'POST').toUpperCase();
      if (method !== 'GET' && method !== 'POST') throw new Error('--method must be GET or POST');
      const res = await call({
        endpoint: f.endpoint ?? creds.Endpoint ?? 'http://127.0.0.1:9000',
        secretId,
        secretKey,
        token: f.token ?? process.env.TENCENTCLOUD_SESSION_TOKEN,
        action,
        region: f.region,
        language: f.language === 'zh-CN' ? 'zh-CN' : 'en-US',
        params: parseActionArgs(cmd.args.slice(1)),
        signMethod,
        method,
      });
      printJson(res.body);
      const response = (res.body as { Response?: { Error?: unknown } })?.Response;
      if (res.status !== 200 || !response || response.Error) process.exitCode = 1;
    });
}
