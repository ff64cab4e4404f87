// `tcssl ca show` and `tcssl ca import`, run as a user runs them, on a real data directory.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeRun, stdoutJson, tcssl, tempDir } from '../support/cli.js';
import { openssl, selfSignedP256 } from '../support/openssl.js';

describe('tcssl ca', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('ca show prints the root that openssl reads as a self-signed P-384 CA, and --json its issuers', async () => {
    const data = tempDir();
    dirs.push(data);
    const shown = await tcssl(['ca', 'show', '--data', data], { timeoutMs: 60_000 });
    assert.equal(shown.code, 0, describeRun(shown));
    const text = await openssl(['x509', '-noout', '-text', '-in', '@in'], shown.stdout);
    assert.match(text, /CA:TRUE/);
    assert.match(text, /NIST CURVE: P-384|secp384r1/);
    const again = await tcssl(['ca', 'show', '--data', data, '--json']);
    const json = stdoutJson<{ rootSha256: string; issuers: Array<{ keyType: string }> }>(again);
    assert.deepEqual(json.issuers.map((i) => i.keyType).sort(), ['EC', 'RSA']);
    // The same root on every call: the hierarchy is made once.
    const fingerprint = await openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', '@in'], shown.stdout);
    const hex = fingerprint.split('=')[1].replace(/:/g, '').trim().toLowerCase();
    assert.equal(json.rootSha256.replace(/:/g, '').toLowerCase(), hex);
  });

  test('ca import takes an openssl-made CA, and ca show then prints it', async () => {
    const data = tempDir();
    const work = tempDir();
    dirs.push(data, work);
    const key = join(work, 'ca.key');
    const cert = join(work, 'ca.pem');
    await selfSignedP256({
      keyFile: key,
      certFile: cert,
      subject: '/CN=Imported Test CA/O=Example',
      days: 365,
      extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
    });
    const imported = await tcssl(['ca', 'import', '--cert', cert, '--key', key, '--data', data]);
    assert.equal(imported.code, 0, describeRun(imported));
    const shown = await tcssl(['ca', 'show', '--data', data]);
    assert.match(await openssl(['x509', '-noout', '-subject', '-in', '@in'], shown.stdout), /Imported Test CA/);
    // A certificate that is no CA is refused with one line and nothing changes.
    const leafKey = join(work, 'leaf.key');
    const leaf = join(work, 'leaf.pem');
    await selfSignedP256({
      keyFile: leafKey,
      certFile: leaf,
      subject: '/CN=not a ca',
      days: 30,
      extensions: ['basicConstraints=critical,CA:FALSE'],
    });
    const refused = await tcssl(['ca', 'import', '--cert', leaf, '--key', leafKey, '--data', data]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /^tcssl: /);
    const still = await tcssl(['ca', 'show', '--data', data]);
    assert.equal(still.stdout, shown.stdout);
  });
});
