// Real openssl for tests: make CSRs and keys the way customers do, and read what the service produced.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function openssl(args: string[], input?: string): Promise<string> {
  if (input === undefined) return (await run('openssl', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-openssl-'));
  try {
    const file = join(dir, 'in.pem');
    writeFileSync(file, input);
    return (
      await run(
        'openssl',
        args.map((a) => (a === '@in' ? file : a)),
        { maxBuffer: 16 * 1024 * 1024 },
      )
    ).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CSR made by `openssl req` with a fresh key: rsa:2048, ec:P-256 and so on. */
export async function makeCsr(opts: {
  key: 'rsa:2048' | 'rsa:4096' | 'ec:P-256' | 'ec:P-384' | 'rsa:1024';
  subject: string;
  sans?: string[];
  digest?: string;
}): Promise<{ csr: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-csr-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const csrFile = join(dir, 'csr.pem');
    const newkey = opts.key.startsWith('ec:')
      ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${opts.key.slice(3)}`]
      : ['-newkey', opts.key];
    await run('openssl', [
      'req',
      '-new',
      ...newkey,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-subj',
      opts.subject,
      `-${opts.digest ?? 'sha256'}`,
      ...(opts.sans?.length ? ['-addext', `subjectAltName=${opts.sans.map((d) => `DNS:${d}`).join(',')}`] : []),
    ]);
    return { csr: readFileSync(csrFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed P-256 certificate made by `openssl req -x509` into keyFile and certFile, with extra `-addext`s. */
export async function selfSignedP256(o: {
  keyFile: string;
  certFile: string;
  subject: string;
  days: number;
  extensions: string[];
}): Promise<void> {
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    o.keyFile,
    '-out',
    o.certFile,
    '-days',
    String(o.days),
    '-subj',
    o.subject,
    ...o.extensions.flatMap((e) => ['-addext', e]),
  ]);
}
