import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isDomainError } from '../../src/errors.js';
import { type AuthorityStore, CertificateAuthority } from '../../src/pki/ca.js';
import { SecretBox } from '../../src/pki/secret-box.js';
import { issueLeaf, type LeafRequest } from '../../src/pki/signer.js';
import { authorityStore } from '../../src/store/authorities-repo.js';
import { openStore, type Store } from '../../src/store/db.js';
import { makeCsr } from '../support/openssl.js';
import { runOpenssl } from '../support/test-ca.js';

const run = promisify(execFile);
const DAY = 86_400_000;
const YEAR = 365.25 * DAY;
const root = mkdtempSync(join(tmpdir(), 'tcssl-ca-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const fresh = (name = 'd') => join(root, `${name}${seq++}`);

interface Opened {
  dir: string;
  store: Store;
  repo: AuthorityStore;
  box: SecretBox;
  masterKey: Buffer;
}

async function openAt(dir: string, masterKey: Buffer = randomBytes(32)): Promise<Opened> {
  const store = await openStore({ url: '', dataDir: dir });
  return { dir, store, repo: authorityStore(store), box: new SecretBox(masterKey), masterKey };
}

function file(text: string): string {
  const p = join(fresh('f'), 'x.pem');
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

async function ok(args: string[]): Promise<string> {
  const r = await runOpenssl(args);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const text = (pem: string) => ok(['x509', '-noout', '-text', '-in', file(pem)]);

function leafRequest(csrPem: string): LeafRequest {
  return {
    csrPem,
    commonName: 'www.example.test',
    domains: ['www.example.test'],
    level: 'DV',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 90 * DAY),
    baseUrl: 'http://127.0.0.1:9000',
  };
}

/** An openssl-made CA: self-signed, or signed by `parent` when given. */
async function opensslCa(opts: {
  subject: string;
  newkey?: string[];
  ext?: string[];
  parent?: { cert: string; key: string };
}): Promise<{ cert: string; key: string; certPem: string; keyPem: string }> {
  const dir = fresh('ossl');
  mkdirSync(dir, { recursive: true });
  const [key, cert, csr, ext] = ['key.pem', 'cert.pem', 'csr.pem', 'ext.cnf'].map((f) => join(dir, f));
  const newkey = opts.newkey ?? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const exts = opts.ext ?? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  if (!opts.parent) {
    await run('openssl', [
      'req',
      '-x509',
      ...newkey,
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      opts.subject,
      '-days',
      '365',
      ...exts.flatMap((e) => ['-addext', e]),
    ]);
  } else {
    await run('openssl', ['req', '-new', ...newkey, '-nodes', '-keyout', key, '-out', csr, '-subj', opts.subject]);
    writeFileSync(ext, `${[...exts, 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'].join('\n')}\n`);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      opts.parent.cert,
      '-CAkey',
      opts.parent.key,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      '365',
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
  }
  return { cert, key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

describe('CertificateAuthority.open', () => {
  // The first test's store, reopened by the profile test: RSA 3072 key generation takes seconds.
  let primary: Pick<Opened, 'dir' | 'masterKey'> | undefined;

  test('a first open creates a P-384 root and RSA/EC intermediates; a reopen uses the same ones', async () => {
    const o = await openAt(fresh());
    primary = { dir: o.dir, masterKey: o.masterKey };
    let first: CertificateAuthority;
    try {
      first = await CertificateAuthority.open({ store: o.repo, box: o.box, organization: 'Acme Test' });
      const records = await o.repo.list();
      assert.equal(records.length, 3);
      assert.deepEqual(records.map((r) => r.role).sort(), ['intermediate', 'intermediate', 'root']);
      assert.ok(records.every((r) => r.active && r.crlNumber === 0 && r.keySealed?.startsWith('v1.')));
    } finally {
      await o.store.close();
    }
    const again = await openAt(o.dir, o.masterKey);
    try {
      const second = await CertificateAuthority.open({ store: again.repo, box: again.box, organization: 'Other' });
      assert.equal(second.rootPem(), first.rootPem());
      assert.deepEqual(second.issuers(), first.issuers());
      assert.equal((await again.repo.list()).length, 3);
    } finally {
      await again.store.close();
    }
  });

  test('the root is self-signed ECDSA P-384, CA:TRUE critical, keyCertSign+cRLSign, SKI, about 20 years', async () => {
    const o = primary ? await openAt(primary.dir, primary.masterKey) : await openAt(fresh());
    try {
      const ca = await CertificateAuthority.open({ store: o.repo, box: o.box, organization: 'Acme Test' });
      const t = await text(ca.rootPem());
      assert.match(t, /Signature Algorithm: ecdsa-with-SHA384/);
      assert.match(t, /NIST CURVE: P-384/);
      assert.match(t, /Subject: O = Acme Test, CN = Acme Test Root CA [0-9a-f]{6}\n/);
      assert.match(t, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
      assert.match(t, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      assert.match(t, /X509v3 Subject Key Identifier:/);
      assert.match(t, /Serial Number:\s+([0-9a-f]{2}:){15}[0-9a-f]{2}\n/);
      const root = (await o.repo.list()).find((r) => r.role === 'root');
      assert.ok(root);
      assert.ok(Math.abs(root.notAfter - root.notBefore - 20 * YEAR) < 2 * DAY);
      await ok(['verify', '-CAfile', file(ca.rootPem()), file(ca.rootPem())]);

      for (const [leafType, keyText] of [
        ['RSA', /Public-Key: \(3072 bit\)/],
        ['ECC', /NIST CURVE: P-384/],
      ] as const) {
        const issuer = ca.issuerFor(leafType);
        assert.equal(ca.chainPem(issuer.id), issuer.certPem);
        assert.equal(ca.issuerById(issuer.id)?.certPem, issuer.certPem);
        const it = await text(issuer.certPem);
        assert.match(it, keyText);
        assert.match(it, /Signature Algorithm: ecdsa-with-SHA384/);
        assert.match(it, new RegExp(`Subject: O = Acme Test, CN = Acme Test ${leafType} Issuing CA [0-9a-f]{6}\\n`));
        assert.match(it, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0\n/);
        assert.match(it, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign\n/);
        assert.match(it, /X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
        assert.match(it, /X509v3 Authority Key Identifier: /);
        assert.ok(Math.abs(issuer.notAfter - issuer.notBefore - 10 * YEAR) < 2 * DAY);
        await ok(['verify', '-CAfile', file(ca.rootPem()), file(issuer.certPem)]);
      }
      assert.equal(ca.issuers().length, 2);
      const rootId = (await o.repo.list()).find((r) => r.role === 'root')?.id ?? '';
      assert.equal(ca.issuerById(rootId)?.id, rootId, 'the root key is ours too');
      assert.equal(ca.chainPem(rootId), '');
    } finally {
      await o.store.close();
    }
  });

  test('two concurrent opens on one fresh store create one hierarchy', async () => {
    const o = await openAt(fresh());
    try {
      const opts = { store: o.repo, box: o.box, organization: 'Race', intermediateRsaBits: 2048 as const };
      const [a, b] = await Promise.all([CertificateAuthority.open(opts), CertificateAuthority.open(opts)]);
      assert.equal(a.rootPem(), b.rootPem());
      assert.equal((await o.repo.list()).length, 3);
    } finally {
      await o.store.close();
    }
  });

  test('two processes starting together on one fresh data directory create one hierarchy', async () => {
    const dir = fresh();
    const key = randomBytes(32).toString('hex');
    const mod = (p: string) => new URL(`../../src/${p}`, import.meta.url).href;
    const script = join(root, `child-${seq++}.mjs`);
    writeFileSync(
      script,
      `const [{ openStore }, { authorityStore }, { CertificateAuthority }, { SecretBox }] = await Promise.all([
  import(${JSON.stringify(mod('store/db.ts'))}), import(${JSON.stringify(mod('store/authorities-repo.ts'))}),
  import(${JSON.stringify(mod('pki/ca.ts'))}), import(${JSON.stringify(mod('pki/secret-box.ts'))})]);
const store = await openStore({ url: '', dataDir: process.argv[2] });
const ca = await CertificateAuthority.open({ store: authorityStore(store), box: new SecretBox(Buffer.from(process.argv[3], 'hex')),
  organization: 'Race', intermediateRsaBits: 2048 });
process.stdout.write(JSON.stringify(ca.rootPem()));
await store.close();
`,
    );
    const child = () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', script, dir, key], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (c) => {
          out += c;
        });
        p.stderr.on('data', (c) => {
          err += c;
        });
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${code}: ${err}`))));
      });
    mkdirSync(dir, { recursive: true });
    const [a, b] = await Promise.all([child(), child()]);
    assert.equal(a, b);
    const o = await openAt(dir);
    try {
      assert.equal((await o.repo.list()).length, 3);
    } finally {
      await o.store.close();
    }
  });

  test('CA keys are sealed at rest: the database bytes hold no PEM key, and the sealed keys open to the right keys', async () => {
    const o = await openAt(fresh());
    try {
      const ca = await CertificateAuthority.open({
        store: o.repo,
        box: o.box,
        organization: 'Sealed',
        intermediateRsaBits: 2048,
      });
      for (const f of ['tcssl.db', 'tcssl.db-wal']) {
        const p = join(o.dir, f);
        if (existsSync(p)) assert.ok(!readFileSync(p).includes('PRIVATE KEY'), f);
      }
      for (const r of await o.repo.list()) {
        const pem = await ca.privateKeyPem(r.id);
        assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
        const fromKey = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });
        const fromCert = createPublicKey(r.certPem).export({ type: 'spki', format: 'der' });
        assert.ok(fromKey.equals(fromCert), r.id);
        // The aad binds each sealed key to its row: it does not open as another authority's key.
        assert.throws(() => o.box.openString(r.keySealed ?? '', 'authority-key:other'));
      }
      const wrong = await CertificateAuthority.open({
        store: o.repo,
        box: new SecretBox(randomBytes(32)),
        organization: 'Sealed',
      });
      assert.equal(wrong.rootPem(), ca.rootPem(), 'the wrong master key still shows the root');
      await assert.rejects(wrong.privateKeyPem(wrong.issuerFor('ECC').id), /could not be decrypted.*master key/);
    } finally {
      await o.store.close();
    }
  });
});

describe('CertificateAuthority.importCa', () => {
  test('a self-signed openssl CA becomes the issuer for both key types, signing leaves directly', async () => {
    const o = await openAt(fresh());
    try {
      const generated = await CertificateAuthority.open({
        store: o.repo,
        box: o.box,
        organization: 'Gen',
        intermediateRsaBits: 2048,
      });
      const oldIssuer = generated.issuerFor('ECC');
      const imported = await opensslCa({ subject: '/O=Operator/CN=Operator Root' });
      const result = await CertificateAuthority.importCa({
        store: o.repo,
        box: o.box,
        certPem: imported.certPem,
        keyPem: imported.keyPem,
      });
      assert.equal(result.chainPem, '');
      assert.equal(result.rootPem.trim(), imported.certPem.trim());

      const ca = await CertificateAuthority.open({ store: o.repo, box: o.box, organization: 'Gen' });
      assert.equal(ca.rootPem().trim(), imported.certPem.trim());
      assert.equal(ca.issuers().length, 1);
      assert.equal(ca.issuerFor('RSA').id, result.issuerId);
      assert.equal(ca.issuerFor('ECC').id, result.issuerId);
      assert.equal(ca.chainPem(result.issuerId), '');
      // The replaced issuer still answers for the certificates it signed (CRL, OCSP), but signs nothing new.
      assert.equal(ca.issuerById(oldIssuer.id)?.active, false);
      assert.equal((await o.repo.list()).length, 4);

      for (const key of ['rsa:2048', 'ec:P-384'] as const) {
        const { csr } = await makeCsr({ key, subject: '/CN=www.example.test' });
        const leaf = await issueLeaf(ca, leafRequest(csr));
        assert.equal(leaf.chainPem, '');
        await ok(['verify', '-CAfile', imported.cert, file(leaf.certPem)]);
        assert.match(await text(leaf.certPem), /Signature Algorithm: ecdsa-with-SHA256/, 'P-256 signs with SHA-256');
      }
    } finally {
      await o.store.close();
    }
  });

  test('a subordinate CA with its chain issues leaves that verify through it to its root', async () => {
    const o = await openAt(fresh());
    try {
      const opRoot = await opensslCa({ subject: '/CN=Operator Root', newkey: ['-newkey', 'rsa:2048'] });
      const sub = await opensslCa({
        subject: '/CN=Operator Sub',
        newkey: ['-newkey', 'rsa:2048'],
        ext: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign'],
        parent: opRoot,
      });
      await assert.rejects(
        CertificateAuthority.importCa({ store: o.repo, box: o.box, certPem: sub.certPem, keyPem: sub.keyPem }),
        (e) => isDomainError(e) && e.kind === 'InvalidParam' && /self-signed root/.test(e.message),
      );
      const result = await CertificateAuthority.importCa({
        store: o.repo,
        box: o.box,
        certPem: sub.certPem,
        keyPem: sub.keyPem,
        chainPem: opRoot.certPem,
      });
      const ca = await CertificateAuthority.open({ store: o.repo, box: o.box, organization: 'x' });
      assert.equal(ca.rootPem().trim(), opRoot.certPem.trim());
      assert.equal(ca.chainPem(result.issuerId).trim(), sub.certPem.trim());
      assert.deepEqual(
        ca.issuers().map((i) => i.id),
        [result.issuerId],
        'the root without its key is no issuer',
      );
      const { csr } = await makeCsr({ key: 'ec:P-256', subject: '/CN=www.example.test' });
      const leaf = await issueLeaf(ca, leafRequest(csr));
      await ok(['verify', '-CAfile', opRoot.cert, '-untrusted', file(leaf.chainPem), file(leaf.certPem)]);
      assert.match(await text(leaf.certPem), /Signature Algorithm: sha256WithRSAEncryption/);

      // The same CA given as one bundle (root first, as some exports have it) is read the same way.
      const again = await CertificateAuthority.importCa({
        store: o.repo,
        box: o.box,
        certPem: sub.certPem + opRoot.certPem,
        keyPem: sub.keyPem,
      });
      assert.equal(again.chainPem.trim(), sub.certPem.trim());
      assert.equal(again.rootPem.trim(), opRoot.certPem.trim());
    } finally {
      await o.store.close();
    }
  });

  test('a non-CA certificate, a CA without cRLSign, a mismatched key and garbage are refused clearly', async () => {
    const o = await openAt(fresh());
    try {
      const good = await opensslCa({ subject: '/CN=Good' });
      const other = await opensslCa({ subject: '/CN=Other' });
      const notCa = await opensslCa({ subject: '/CN=Leafish', ext: ['basicConstraints=critical,CA:FALSE'] });
      const noCrlSign = await opensslCa({
        subject: '/CN=No CRL',
        ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'],
      });
      const weak = await opensslCa({ subject: '/CN=Weak', newkey: ['-newkey', 'rsa:1024'] });
      const cases: [string, string, string, RegExp][] = [
        [weak.certPem, weak.keyPem, 'Unsupported', /1024 bits is too weak/],
        [notCa.certPem, notCa.keyPem, 'InvalidParam', /not a CA certificate/],
        [noCrlSign.certPem, noCrlSign.keyPem, 'InvalidParam', /keyCertSign and cRLSign/],
        [good.certPem, other.keyPem, 'Mismatch', /does not belong/],
        ['not a certificate', good.keyPem, 'ParseError', /no PEM certificate/],
        [good.certPem, 'not a key', 'ParseError', /private key could not be read/],
      ];
      for (const [certPem, keyPem, kind, message] of cases) {
        await assert.rejects(
          CertificateAuthority.importCa({ store: o.repo, box: o.box, certPem, keyPem }),
          (e) => isDomainError(e) && e.kind === kind && message.test(e.message),
          `${kind} ${message}`,
        );
      }
      await assert.rejects(
        CertificateAuthority.importCa({
          store: o.repo,
          box: o.box,
          certPem: good.certPem,
          keyPem: good.keyPem,
          now: () => Date.now() + 2 * 365 * DAY,
        }),
        /not valid now/,
      );
      assert.deepEqual(await o.repo.list(), [], 'nothing refused was stored');
    } finally {
      await o.store.close();
    }
  });

  test('an import before the first start is the hierarchy: open creates nothing more', async () => {
    const o = await openAt(fresh());
    try {
      const imported = await opensslCa({ subject: '/CN=Early' });
      await CertificateAuthority.importCa({
        store: o.repo,
        box: o.box,
        certPem: imported.certPem,
        keyPem: imported.keyPem,
      });
      const ca = await CertificateAuthority.open({ store: o.repo, box: o.box, organization: 'x' });
      assert.equal(ca.rootPem().trim(), imported.certPem.trim());
      assert.equal((await o.repo.list()).length, 1);
    } finally {
      await o.store.close();
    }
  });
});
