// Throwaway root → intermediate → leaf chains made by the openssl CLI, and the openssl/keytool runner that reads
// back what pki/ packages. Independent of the service's own CA on purpose: the packagers must take any CA's chain.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type TestKeyType = 'rsa' | 'ec-p256' | 'ec-p384';

export interface TestChain {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  /** PKCS#8 PEM of the leaf's key. */
  leafKeyPem: string;
  /** A CSR for the leaf's key, as a customer would have sent. */
  csrPem: string;
}

function keyArgs(type: TestKeyType): string[] {
  if (type === 'rsa') return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  return ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${type === 'ec-p256' ? 'P-256' : 'P-384'}`];
}

/**
 * Makes a three-level chain whose every key is of `type`. The leaf is a TLS server certificate for `domain` (SAN
 * dNSName; '*.a.com' works too).
 */
export async function makeTestChain(type: TestKeyType, domain = 'www.example.com'): Promise<TestChain> {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-chain-'));
  const f = (name: string) => join(dir, name);
  const ssl = (args: string[]) => run('openssl', args, { cwd: dir });
  try {
    for (const name of ['root', 'int', 'leaf']) await ssl(['genpkey', ...keyArgs(type), '-out', f(`${name}.key`)]);
    writeFileSync(
      f('ext.cnf'),
      [
        '[ca]',
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, cRLSign',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '[leaf]',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth',
        `subjectAltName = DNS:${domain}`,
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    await ssl([
      'req',
      '-x509',
      '-new',
      '-key',
      f('root.key'),
      '-subj',
      '/C=CN/O=tcssl test/CN=tcssl Test Root',
      '-days',
      '30',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      f('root.pem'),
    ]);
    const sign = async (name: string, subj: string, caName: string, section: string) => {
      await ssl(['req', '-new', '-key', f(`${name}.key`), '-subj', subj, '-out', f(`${name}.csr`)]);
      await ssl([
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f(`${caName}.pem`),
        '-CAkey',
        f(`${caName}.key`),
        '-CAcreateserial',
        '-days',
        '20',
        '-sha256',
        '-extfile',
        f('ext.cnf'),
        '-extensions',
        section,
        '-out',
        f(`${name}.pem`),
      ]);
    };
    await sign('int', '/C=CN/O=tcssl test/CN=tcssl Test Intermediate', 'root', 'ca');
    await sign('leaf', `/CN=${domain}`, 'int', 'leaf');
    const read = (name: string) => readFileSync(f(name), 'utf8');
    return {
      rootPem: read('root.pem'),
      intermediatePem: read('int.pem'),
      leafPem: read('leaf.pem'),
      leafKeyPem: read('leaf.key'),
      csrPem: read('leaf.csr'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs openssl or keytool; resolves with both streams, rejects (so the test fails, never skips) on a non-zero exit
 * or when the tool is not installed. openssl runs with an empty config, so only its default provider is loaded
 * (never the legacy one, whatever the machine's openssl.cnf says); keytool speaks English whatever the locale.
 */
export function runTool(tool: 'openssl' | 'keytool', args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = tool === 'openssl' ? { ...process.env, OPENSSL_CONF: '/dev/null' } : process.env;
  const fullArgs = tool === 'keytool' ? ['-J-Duser.language=en', '-J-Duser.country=US', ...args] : args;
  return new Promise((resolve, reject) => {
    execFile(tool, fullArgs, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`))
        : resolve({ stdout, stderr }),
    );
  });
}

/** A scratch directory for files the tools read; remove() it in an after() hook. */
export function scratchDir(): { file: (name: string, data?: string | Uint8Array) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-export-'));
  let n = 0;
  return {
    file(name, data) {
      const path = join(dir, `${++n}-${name.replace(/[/\\]/g, '_')}`);
      if (data !== undefined) writeFileSync(path, data);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every PEM block in a string, with its label. */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({
    label: m[1],
    pem: `${m[0]}\n`,
  }));
}

/** The SPKI PEM that `openssl pkey -pubout` derives from a private key file. */
export async function publicKeyOfKeyFile(path: string): Promise<string> {
  return (await runTool('openssl', ['pkey', '-in', path, '-pubout'])).stdout;
}

/** The SPKI PEM that `openssl x509 -pubkey` reads from a certificate file (its first certificate). */
export async function publicKeyOfCertFile(path: string): Promise<string> {
  return (await runTool('openssl', ['x509', '-in', path, '-noout', '-pubkey'])).stdout;
}

/**
 * keytool moves one entry of a JKS keystore into PKCS#12, then openssl reads the private keys back out: what Java
 * itself recovered from the keystore, as PEM blocks.
 */
export async function keysFromJks(o: {
  jksFile: string;
  alias: string;
  storePass: string;
  /** the entry's own password, when it differs from the store's */
  keyPass?: string;
  /** where the PKCS#12 copy goes */
  p12File: string;
}): Promise<string[]> {
  await runTool('keytool', [
    '-importkeystore',
    '-noprompt',
    '-srcalias',
    o.alias,
    '-srckeystore',
    o.jksFile,
    '-srcstoretype',
    'JKS',
    '-srcstorepass',
    o.storePass,
    ...(o.keyPass === undefined ? [] : ['-srckeypass', o.keyPass]),
    '-destkeystore',
    o.p12File,
    '-deststoretype',
    'PKCS12',
    '-deststorepass',
    'Dest-pass-123',
  ]);
  const { stdout } = await runTool('openssl', [
    'pkcs12',
    '-in',
    o.p12File,
    '-passin',
    'pass:Dest-pass-123',
    '-nodes',
    '-nocerts',
  ]);
  return pemBlocks(stdout)
    .filter((b) => b.label === 'PRIVATE KEY')
    .map((b) => b.pem);
}
