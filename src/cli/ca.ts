// `tcssl ca ...`: show the root that relying parties must trust, or replace the generated hierarchy with an
// operator's own CA. Opens only the store and the master key, as assemble.ts does; the CA rules live in pki/ca.ts.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Config } from '../config.js';
import { CertificateAuthority } from '../pki/ca.js';
import { loadOrCreateMasterKey, SecretBox } from '../pki/secret-box.js';
import { authorityStore } from '../store/authorities-repo.js';
import { openStore } from '../store/db.js';
import { configFrom, printJson, printResult, type StoreFlags, withStoreFlags } from './options.js';

async function withCaStore<T>(
  config: Config,
  fn: (deps: { store: ReturnType<typeof authorityStore>; box: SecretBox }) => Promise<T>,
): Promise<T> {
  const store = await openStore({ url: config.db, dataDir: config.dataDir });
  try {
    const box = new SecretBox(
      loadOrCreateMasterKey({ keyHex: config.masterKey || undefined, file: join(config.dataDir, 'master.key') }),
    );
    return await fn({ store: authorityStore(store), box });
  } finally {
    await store.close();
  }
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`cannot read ${flag} ${file}`);
  }
}

function sha256Of(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

export function caCommand(): Command {
  const cmd = new Command('ca').description('the embedded certificate authority');
  withStoreFlags(
    cmd
      .command('show')
      .description(
        'print the root certificate to trust (the CA is created first if there is none); --json adds the issuers',
      )
      .option('--json', 'print JSON'),
  ).action(async (f: StoreFlags & { json?: boolean }) => {
    const config = configFrom(f);
    await withCaStore(config, async ({ store, box }) => {
      const ca = await CertificateAuthority.open({ store, box, organization: config.ca.organization });
      const root = ca.rootPem();
      if (!f.json) {
        process.stdout.write(root);
        return;
      }
      printJson({
        root,
        rootSha256: sha256Of(root),
        issuers: ca.issuers().map((i) => ({
          id: i.id,
          keyType: i.keyType,
          subject: i.subject,
          notAfter: new Date(i.notAfter).toISOString(),
        })),
      });
    });
  });
  withStoreFlags(
    cmd
      .command('import')
      .description(
        'make an existing CA (PEM certificate and unencrypted key) the issuer of every new certificate; ' +
          'a subordinate CA needs --chain up to its root. Restart running servers afterwards.',
      )
      .requiredOption('--cert <file>', 'the CA certificate, PEM')
      .requiredOption('--key <file>', 'its private key, PEM (PKCS#8, PKCS#1 or SEC1; not encrypted)')
      .option('--chain <file>', 'the certificates above it up to and including the self-signed root, PEM')
      .option('--json', 'print JSON'),
  ).action(async (f: StoreFlags & { cert: string; key: string; chain?: string; json?: boolean }) => {
    const certPem = readPem(f.cert, '--cert');
    const keyPem = readPem(f.key, '--key');
    const chainPem = f.chain === undefined ? undefined : readPem(f.chain, '--chain');
    const imported = await withCaStore(configFrom(f), ({ store, box }) =>
      CertificateAuthority.importCa({ store, box, certPem, keyPem, chainPem }),
    );
    printResult(
      {
        IssuerId: imported.issuerId,
        Issuer: new X509Certificate(certPem).subject.replace(/\n/g, ', '),
        Root: new X509Certificate(imported.rootPem).subject.replace(/\n/g, ', '),
        RootSha256: sha256Of(imported.rootPem),
        Note: 'new certificates are signed by the imported CA once running servers restart',
      },
      f.json,
    );
  });
  return cmd;
}
