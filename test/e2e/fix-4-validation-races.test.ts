// Regressions from issue 4's strict-mode tests: a manual check that passes brings issuance forward, and a slow
// worker check never overwrites a pass recorded meanwhile.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDnsServer } from '../support/dns-server.js';
import { strictWorld } from '../support/strict-world.js';
import { startWebServer } from '../support/web-server.js';
import { sdkClient } from '../support/world.js';

/** A failed check is retried only after 60 s: whatever issues the order sooner is what the test is about. */
const SLOW_RETRIES = {
  enabled: true,
  pollMs: 100,
  backoffMs: 60_000,
  maxBackoffMs: 60_000,
  validationTimeoutSeconds: 600,
};

test('a passing manual check gets the order issued promptly even with a long backoff', async () => {
  const dns = await startDnsServer();
  const web = await startWebServer();
  const world = await strictWorld({ dns, web, timeoutMs: 500, worker: SLOW_RETRIES });
  try {
    const c = sdkClient(world);
    const id = (await c.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    await c.SubmitCertificateInformation({
      CertificateId: id,
      CsrType: 'online',
      CertificateDomain: 'late.strict.test',
      ContactEmail: 'a@b.test',
    });
    await c.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS' });
    await sleep(500); // the worker's first check fails: next check in 60 s
    const d = await c.DescribeCertificate({ CertificateId: id });
    dns.set('_dnsauth.late.strict.test', { TXT: [d.DvAuthDetail.DvAuthValue] });
    const r = await c.CheckCertificateDomainVerification({ CertificateId: id });
    assert.equal(r.VerificationResults[0].LocalCheck, 1);
    let status = -1;
    for (let i = 0; i < 30 && status !== 1; i++) {
      await sleep(100);
      status = (await c.DescribeCertificate({ CertificateId: id })).Status;
    }
    assert.equal(status, 1, 'issued within 3 s, not after the 60 s backoff');
  } finally {
    await world.close();
    await web.close();
    await dns.close();
  }
});

test('a slow worker check that fails never overwrites a pass recorded meanwhile', async () => {
  const dns = await startDnsServer();
  const web = await startWebServer();
  const world = await strictWorld({ dns, web, timeoutMs: 2000, worker: SLOW_RETRIES });
  try {
    const c = sdkClient(world);
    const domain = 'race.strict.test';
    dns.set(domain, { A: ['127.0.0.1'] });
    const path = '/.well-known/pki-validation/fileauth.txt';
    web.set(domain, path, { body: 'old content', delayMs: 800 });
    const id = (await c.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    await c.SubmitCertificateInformation({
      CertificateId: id,
      CsrType: 'online',
      CertificateDomain: domain,
      ContactEmail: 'a@b.test',
    });
    await c.CommitCertificateInformation({ CertificateId: id, VerifyType: 'FILE' });
    const d = await c.DescribeCertificate({ CertificateId: id });
    while (web.requests.length < 1) await sleep(5);
    web.set(domain, path, { body: d.DvAuthDetail.DvAuthValue });
    const r = await c.CheckCertificateDomainVerification({ CertificateId: id });
    assert.equal(r.VerificationResults[0].LocalCheck, 1);
    const statuses = async () => (await world.services.certificates.dcvChecks(id)).map((x) => x.status);
    assert.deepEqual(await statuses(), ['passed']);
    // The worker's slow check (started before the file changed) ends now with "old content": it must not win.
    await sleep(1500);
    assert.deepEqual(await statuses(), ['passed']);
    let status = -1;
    for (let i = 0; i < 50 && status !== 1; i++) {
      status = (await c.DescribeCertificate({ CertificateId: id })).Status;
      if (status !== 1) await sleep(100);
    }
    assert.equal(status, 1, 'issued without waiting for the 60 s backoff');
  } finally {
    await world.close();
    await web.close();
    await dns.close();
  }
});
