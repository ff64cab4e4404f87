// The one-file bundle that `npm run build` writes (scripts/bundle.mjs) and `npm start` and bin/tcssl.mjs run: built
// here from the sources, then used as a user would, since CI's test run does not build.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/cli/client.js';
import { describeRun, REPO_ROOT, startServe, tcsslFile, tempDir } from '../support/cli.js';
import { makeCsr } from '../support/openssl.js';

// Inside node_modules, so that the modules left outside the bundle (better-sqlite3, ...) resolve as from dist/.
const outDir = join(REPO_ROOT, 'node_modules', '.cache', `tcssl-bundle-test-${process.pid}`);
const bundleFile = join(outDir, 'tcssl.mjs');
const dataDir = tempDir('tcssl-bundle-');

before(() => {
  mkdirSync(outDir, { recursive: true });
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs'), bundleFile], { cwd: REPO_ROOT });
});
after(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the bundle (dist/tcssl.mjs)', () => {
  test('is one file that runs the CLI: --help exits 0 with the commands', async () => {
    const r = await tcsslFile(bundleFile, ['--help']);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /serve/);
  });

  test('serves: a first start makes the account and the CA, orders go through create, parse and online submit, SIGTERM exits 0, and the CA reads back', async () => {
    const server = await startServe({ dataDir, entry: [bundleFile] });
    try {
      const creds = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as {
        SecretId: string;
        SecretKey: string;
      };
      const api = async (action: string, params: Record<string, unknown>) => {
        const r = await call({
          endpoint: server.endpoint,
          secretId: creds.SecretId,
          secretKey: creds.SecretKey,
          action,
          params,
        });
        const body = r.body as { Response: Record<string, unknown> & { Error?: unknown } };
        assert.equal(body.Response.Error, undefined, `${action}: ${JSON.stringify(body)}`);
        return body.Response;
      };
      const order = async () =>
        ((await api('CreateCertificate', { ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds as string[])[0];

      const parsed = await order();
      const { csr } = await makeCsr({ key: 'rsa:2048', subject: '/CN=bundle.example.com' });
      await api('SubmitCertificateInformation', {
        CertificateId: parsed,
        CsrType: 'parse',
        CsrContent: csr,
        CertificateDomain: 'bundle.example.com',
        ContactEmail: 'ops@example.com',
        VerifyType: 'DNS',
      });
      // An RSA key made on the key threads, whose program the bundle carries as text.
      const online = await order();
      await api('SubmitCertificateInformation', {
        CertificateId: online,
        CsrType: 'online',
        CertificateDomain: 'online.example.com',
        ContactEmail: 'ops@example.com',
        VerifyType: 'DNS',
      });
      const described = await api('DescribeCertificate', { CertificateId: online });
      assert.match(String((described.SubmittedData as { CsrContent: string }).CsrContent), /BEGIN CERTIFICATE REQUEST/);
      const list = await api('DescribeCertificates', {});
      assert.equal(list.TotalCount, 2);
    } finally {
      const exit = await server.stop();
      assert.equal(exit.code, 0, server.stderr());
    }
    // The CA the first start made, read back through @peculiar/x509, which the bundle loads behind its shim.
    const shown = await tcsslFile(bundleFile, ['ca', 'show', '--data', dataDir], { timeoutMs: 60_000 });
    assert.equal(shown.code, 0, describeRun(shown));
    assert.match(shown.stdout, /BEGIN CERTIFICATE/);
  });
});
