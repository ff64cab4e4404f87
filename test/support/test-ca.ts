// A throwaway CA for tests, made by the openssl CLI in a temp dir: a root, an intermediate (the issuer under test)
// and leaves it signed. Independent of src/pki/ca.ts, so CRL and OCSP tests do not lean on the code they check.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type TestKeyType = 'rsa' | 'p256' | 'p384';

export interface TestCert {
  certPem: string;
  /** PKCS#8 PEM, as `openssl req -nodes -keyout` writes it. */
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** Lowercase hex, minimal (no leading 00 bytes). */
  serialHex: string;
}

export interface TestCa {
  dir: string;
  root: TestCert;
  /** The intermediate: it signs the leaves, and so the CRLs and OCSP responses under test. */
  issuer: TestCert;
  leaves: TestCert[];
  /** root + intermediate PEMs in one file, for `openssl verify -CAfile`. */
  chainPath: string;
  /** Signs one more leaf with the intermediate. */
  issueLeaf(name?: string): Promise<TestCert>;
  cleanup(): void;
}

const NEWKEY: Record<TestKeyType, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
};

const CA_EXT = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid:always',
];
const LEAF_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid:always',
];

/** Runs the openssl CLI and reports how it went without throwing: tests assert on failures too. */
export function runOpenssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { maxBuffer: 1 << 20, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { maxBuffer: 1 << 20 });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`openssl ${args.join(' ')}: ${err.stderr ?? e}`);
  }
}

/** A random positive serial of 16 bytes whose first byte is 01..7f, so its hex is already minimal. */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] % 0x7f) + 1;
  return b.toString('hex');
}

/**
 * Makes a root and an intermediate of `key` type (default RSA) and `leaves` P-256 leaves (default 2) signed by the
 * intermediate. Call cleanup() when done (e.g. in `after`).
 */
export async function makeTestCa(opts: { key?: TestKeyType; leaves?: number; name?: string } = {}): Promise<TestCa> {
  const key = opts.key ?? 'rsa';
  const name = opts.name ?? `Test ${key}`;
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-test-ca-'));
  const path = (f: string) => join(dir, f);
  const load = (base: string, serialHex: string): TestCert => ({
    certPem: readFileSync(path(`${base}.pem`), 'utf8'),
    keyPem: readFileSync(path(`${base}.key`), 'utf8'),
    certPath: path(`${base}.pem`),
    keyPath: path(`${base}.key`),
    serialHex,
  });

  const rootSerial = randomSerialHex();
  // biome-ignore format: an openssl command line reads best as rows of flags, not one argument per line
  await openssl([
    'req', '-x509', ...NEWKEY[key], '-nodes', '-keyout', path('root.key'), '-out', path('root.pem'),
    '-subj', `/C=CN/O=tcssl tests/CN=${name} Root`, '-days', '30', '-sha256', '-set_serial', `0x${rootSerial}`,
    ...CA_EXT.flatMap((e) => ['-addext', e]),
  ]);
  const root = load('root', rootSerial);

  // Signs base.csr with `signer`, writing base.pem; extensions come from an extfile (openssl x509 -req has no -addext).
  const sign = async (base: string, signer: string, ext: string[]): Promise<string> => {
    const serialHex = randomSerialHex();
    writeFileSync(path(`${base}.ext`), `[v3]\n${ext.join('\n')}\n`);
    // biome-ignore format: an openssl command line reads best as rows of flags, not one argument per line
    await openssl([
      'x509', '-req', '-in', path(`${base}.csr`), '-CA', path(`${signer}.pem`), '-CAkey', path(`${signer}.key`),
      '-set_serial', `0x${serialHex}`, '-days', '20', '-sha256', '-extfile', path(`${base}.ext`), '-extensions', 'v3',
      '-out', path(`${base}.pem`),
    ]);
    return serialHex;
  };

  // biome-ignore format: an openssl command line reads best as rows of flags, not one argument per line
  await openssl([
    'req', '-new', ...NEWKEY[key], '-nodes', '-keyout', path('issuer.key'), '-out', path('issuer.csr'),
    '-subj', `/C=CN/O=tcssl tests/OU=Issuing/CN=${name} Issuing CA`,
  ]);
  const issuerExt = CA_EXT.map((e) => (e.startsWith('basic') ? `${e},pathlen:0` : e));
  const issuer = load('issuer', await sign('issuer', 'root', issuerExt));
  const chainPath = path('chain.pem');
  writeFileSync(chainPath, root.certPem + issuer.certPem);

  let leafNo = 0;
  const issueLeaf = async (leafName?: string): Promise<TestCert> => {
    const base = `leaf${++leafNo}`;
    const cn = leafName ?? `${base}.example.test`;
    // biome-ignore format: an openssl command line reads best as rows of flags, not one argument per line
    await openssl([
      'req', '-new', ...NEWKEY.p256, '-nodes', '-keyout', path(`${base}.key`), '-out', path(`${base}.csr`),
      '-subj', `/CN=${cn}`,
    ]);
    return load(base, await sign(base, 'issuer', [...LEAF_EXT, `subjectAltName=DNS:${cn}`]));
  };
  const leaves: TestCert[] = [];
  for (let n = 0; n < (opts.leaves ?? 2); n++) leaves.push(await issueLeaf());

  return {
    dir,
    root,
    issuer,
    leaves,
    chainPath,
    issueLeaf,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
