// Strict-mode domain validation end to end, through the official Node SDK: a real server whose checker asks a
// loopback DNS server and fetches from a loopback web server that the test controls, so every outcome (issued, not
// issued and why, timed out) comes from real DNS answers and real HTTP exchanges, as with boulder's chall-test-srv.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { unzipSync } from 'fflate';
import { Status } from '../../src/orders/status.js';
import { type DnsServer, startDnsServer } from '../support/dns-server.js';
import { openssl } from '../support/openssl.js';
import { strictWorld as startStrictWorld } from '../support/strict-world.js';
import { closedPort, startWebServer, type WebServer } from '../support/web-server.js';
import { type SslClient, sdkClient, sdkErrorCode, type World } from '../support/world.js';

/** DNSPod DV single-domain, DNSPod DV wildcard and TrustAsia DV multi-domain, from the SDK's ProductId list. */
const DV_SINGLE = 48;
const DV_WILDCARD = 49;
const DV_MULTI = 11;

/** Fast retries so a test sees several of them; a long validation window, except in the world that tests it. */
const WORKER = { enabled: true, pollMs: 100, backoffMs: 200, maxBackoffMs: 1000, validationTimeoutSeconds: 600 };

interface VerificationResult {
  Domain: string;
  VerifyType: string;
  LocalCheck: number;
  CaCheck: number;
  LocalCheckFailReason: string;
  CheckValue: string[];
  Issued: boolean;
}

let dns: DnsServer;
let web: WebServer;
let httpsPort: number;

/** A world in strict mode whose checks go to the test's DNS and web servers; https goes to a closed port. */
function strictWorld(overrides: { allowPrivateAddresses?: boolean; worker?: Partial<typeof WORKER> } = {}) {
  return startStrictWorld({
    dns,
    web,
    httpsPort,
    ...(overrides.allowPrivateAddresses === undefined
      ? {}
      : { allowPrivateAddresses: overrides.allowPrivateAddresses }),
    worker: { ...WORKER, ...overrides.worker },
  });
}

/** The domain exists and points at the web server on loopback, as a customer's site would. */
function host(domain: string): string {
  dns.set(domain, { A: ['127.0.0.1'] });
  return domain;
}

/** Orders a certificate, submits the domains with an online CSR and commits it with the given VerifyType. */
async function commitOrder(
  client: SslClient,
  o: { domain: string; verifyType: 'DNS' | 'DNS_AUTO' | 'FILE'; productId?: number; more?: string[] },
): Promise<string> {
  const productId = o.productId ?? DV_SINGLE;
  const domainNum = 1 + (o.more?.length ?? 0);
  const { CertificateIds } = await client.CreateCertificate({
    ProductId: productId,
    DomainNum: domainNum,
    TimeSpan: 1,
  });
  const id = CertificateIds[0];
  await client.SubmitCertificateInformation({
    CertificateId: id,
    CsrType: 'online',
    CertificateDomain: o.domain,
    ...(o.more ? { DomainList: o.more } : {}),
    ContactEmail: 'ops@strict.test',
  });
  const committed = await client.CommitCertificateInformation({ CertificateId: id, VerifyType: o.verifyType });
  assert.equal(committed.Status, Status.Reviewing);
  return id;
}

async function check(client: SslClient, id: string): Promise<VerificationResult[]> {
  return (await client.CheckCertificateDomainVerification({ CertificateId: id })).VerificationResults;
}

async function checkOne(client: SslClient, id: string): Promise<VerificationResult> {
  const results = await check(client, id);
  assert.equal(results.length, 1, JSON.stringify(results));
  return results[0];
}

/** Polls DescribeCertificate until the status is reached or `ms` passes; returns the last answer either way. */
async function waitForStatus(client: SslClient, id: string, status: number, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await client.DescribeCertificate({ CertificateId: id });
    if (d.Status === status || Date.now() > deadline) return d;
    await sleep(100);
  }
}

async function assertIssued(client: SslClient, id: string): Promise<void> {
  const d = await waitForStatus(client, id, Status.Issued);
  assert.equal(d.Status, Status.Issued, `not issued: ${d.StatusMsg}`);
}

/** The order is still under review after the worker has had time for several retries: nothing was issued. */
async function assertNotIssued(client: SslClient, id: string, waitMs = 600): Promise<void> {
  await sleep(waitMs);
  const d = await client.DescribeCertificate({ CertificateId: id });
  assert.equal(d.Status, Status.Reviewing);
  assert.equal(d.CertBeginTime, '');
}

/** DownloadCertificate's ZIP, and `openssl x509 -text` of the certificate in it. */
async function downloadedCertText(client: SslClient, id: string, domain: string): Promise<string> {
  const { Content } = await client.DownloadCertificate({ CertificateId: id });
  const files = unzipSync(Buffer.from(Content, 'base64'));
  const pem = files[`${domain.replace('*', '_')}.pem`];
  assert.ok(pem, `no ${domain}.pem in ${Object.keys(files).join(', ')}`);
  return openssl(['x509', '-in', '@in', '-noout', '-text'], Buffer.from(pem).toString('utf8'));
}

function txtQueries(name: string): number {
  return dns.queries.filter((q) => q.name === name && q.type === 'TXT').length;
}

before(async () => {
  dns = await startDnsServer();
  web = await startWebServer();
  httpsPort = await closedPort();
});

after(async () => {
  await web.close();
  await dns.close();
});

describe('strict validation end to end', () => {
  let world: World;
  let client: SslClient;
  before(async () => {
    world = await strictWorld();
    client = sdkClient(world);
  });
  after(async () => {
    await world.close();
  });

  describe('DNS', () => {
    test('an order is not issued until its TXT record is published, then is issued and downloads: Status 1', async () => {
      const domain = host('dns-ok.strict.test');
      const id = await commitOrder(client, { domain, verifyType: 'DNS' });

      const d = await client.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, Status.Reviewing);
      assert.equal(d.DvAuthDetail.DvAuthKey, '_dnsauth');
      assert.equal(d.DvAuthDetail.DvAuthDomain, domain);
      assert.equal(d.DvAuthDetail.DvAuthPath, '');
      assert.match(d.DvAuthDetail.DvAuthValue, /^\d{14}[a-z2-7]{26}$/);
      assert.equal(d.DvAuthDetail.DvAuths.length, 1);
      assert.equal(d.DvAuthDetail.DvAuths[0].DvAuthVerifyType, 'DNS');
      const detail = await client.DescribeCertificateDetail({ CertificateId: id });
      assert.deepEqual(detail.DvAuthDetail, d.DvAuthDetail);
      const value: string = d.DvAuthDetail.DvAuthValue;
      const record = `${d.DvAuthDetail.DvAuthKey}.${d.DvAuthDetail.DvAuthDomain}`;

      const before = await checkOne(client, id);
      assert.equal(before.Domain, domain);
      assert.equal(before.VerifyType, 'DNS');
      assert.equal(before.LocalCheck, 0);
      assert.equal(before.Issued, false);
      assert.deepEqual(before.CheckValue, [value]);
      assert.equal(before.LocalCheckFailReason, `${record} does not exist (NXDOMAIN)`);
      await assertNotIssued(client, id, 300);

      dns.set(record, { TXT: [value] });
      const passed = await checkOne(client, id);
      assert.equal(passed.LocalCheck, 1);
      assert.equal(passed.CaCheck, 1);
      assert.equal(passed.LocalCheckFailReason, '');
      await assertIssued(client, id);
      assert.match(await downloadedCertText(client, id, domain), /DNS:dns-ok\.strict\.test/);
      assert.equal((await checkOne(client, id)).Issued, true);
    });

    test('DNS_AUTO is checked like DNS, not passed at once, and is issued once the record is there: Status 1', async () => {
      const domain = host('dns-auto.strict.test');
      const id = await commitOrder(client, { domain, verifyType: 'DNS_AUTO' });
      const d = await client.DescribeCertificate({ CertificateId: id });
      assert.equal(d.VerifyType, 'DNS_AUTO');
      assert.equal(d.DvAuthDetail.DvAuthKey, '_dnsauth');
      const result = await checkOne(client, id);
      assert.equal(result.VerifyType, 'DNS');
      assert.equal(result.LocalCheck, 0);
      await assertNotIssued(client, id);

      dns.set(`_dnsauth.${domain}`, { TXT: [d.DvAuthDetail.DvAuthValue] });
      await assertIssued(client, id);
    });

    test('a wrong TXT value is retried with backoff, named in the reason and never issued: LocalCheck 0', async () => {
      const domain = host('dns-wrong.strict.test');
      const record = `_dnsauth.${domain}`;
      dns.set(record, { TXT: ['not-the-token'] });
      const started = Date.now();
      const id = await commitOrder(client, { domain, verifyType: 'DNS' });
      const value: string = (await client.DescribeCertificate({ CertificateId: id })).DvAuthDetail.DvAuthValue;

      // The first check and at least two retries by the worker alone (no manual check yet).
      while (txtQueries(record) < 3 && Date.now() - started < 5000) await sleep(50);
      const elapsed = Date.now() - started;
      const queries = txtQueries(record);
      assert.ok(queries >= 3, `only ${queries} TXT queries in ${elapsed} ms`);
      // Backoff (200, 400, 800 ms): a worker that polls every 100 ms without it would have asked far more often.
      assert.ok(queries <= 2 + elapsed / 200, `${queries} TXT queries in ${elapsed} ms: no backoff`);
      assert.ok(elapsed >= 200 + 400 - 150, `three checks within ${elapsed} ms: no backoff`);
      assert.equal((await client.DescribeCertificate({ CertificateId: id })).Status, Status.Reviewing);

      const result = await checkOne(client, id);
      assert.equal(result.LocalCheck, 0);
      assert.equal(result.LocalCheckFailReason, `TXT ${record} has "not-the-token", expected "${value}"`);
      await assertNotIssued(client, id);
      await client.CancelCertificateOrder({ CertificateId: id });
    });

    test('a wildcard cannot be committed with FILE and is proven by DNS at its base name: Status 1', async () => {
      const { CertificateIds } = await client.CreateCertificate({ ProductId: DV_WILDCARD, DomainNum: 1, TimeSpan: 1 });
      const id = CertificateIds[0];
      await client.SubmitCertificateInformation({
        CertificateId: id,
        CsrType: 'online',
        CertificateDomain: '*.wild.strict.test',
        ContactEmail: 'ops@strict.test',
      });
      assert.equal(
        await sdkErrorCode(client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'FILE' })),
        'FailedOperation.InvalidParam',
      );
      await client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS' });
      const d = await client.DescribeCertificate({ CertificateId: id });
      assert.equal(d.DvAuthDetail.DvAuthDomain, 'wild.strict.test');
      dns.set('_dnsauth.wild.strict.test', { TXT: [d.DvAuthDetail.DvAuthValue] });
      assert.equal((await checkOne(client, id)).LocalCheck, 1);
      await assertIssued(client, id);
      assert.match(await downloadedCertText(client, id, '*.wild.strict.test'), /DNS:\*\.wild\.strict\.test/);
    });
  });

  describe('FILE', () => {
    /** Commits a FILE order and returns its id with the file's URL path and content from DvAuthDetail. */
    async function fileOrder(domain: string) {
      const id = await commitOrder(client, { domain: host(domain), verifyType: 'FILE' });
      const { DvAuthDetail: a } = await client.DescribeCertificate({ CertificateId: id });
      assert.equal(a.DvAuths[0].DvAuthVerifyType, 'FILE');
      return { id, path: `${a.DvAuthPath}${a.DvAuthKey}`, value: a.DvAuthValue as string };
    }

    test('the file served at the path DvAuthDetail names proves the domain: Status 1', async () => {
      const domain = 'file-ok.strict.test';
      const { id, path, value } = await fileOrder(domain);
      assert.equal(path, '/.well-known/pki-validation/fileauth.txt');
      web.set(domain, path, { body: `${value}\n` });
      const result = await checkOne(client, id);
      assert.equal(result.VerifyType, 'FILE');
      assert.equal(result.LocalCheck, 1, result.LocalCheckFailReason);
      assert.deepEqual(result.CheckValue, [value]);
      assert.ok(web.requests.some((r) => r.host === domain && r.path === path));
      await assertIssued(client, id);
      assert.match(await downloadedCertText(client, id, domain), /DNS:file-ok\.strict\.test/);
    });

    test('a missing file fails with the 404 in the reason and is not issued: LocalCheck 0', async () => {
      const { id } = await fileOrder('file-missing.strict.test');
      const result = await checkOne(client, id);
      assert.equal(result.LocalCheck, 0);
      assert.match(
        result.LocalCheckFailReason,
        /^http: GET http:\/\/file-missing\.strict\.test:\d+\/\S+ answered 404;/,
      );
      await assertNotIssued(client, id);
      await client.CancelCertificateOrder({ CertificateId: id });
    });

    test('a redirect to another host is not followed and is not issued: LocalCheck 0', async () => {
      const domain = 'file-away.strict.test';
      const { id, path, value } = await fileOrder(domain);
      web.set(domain, path, { redirect: `http://elsewhere.strict.test${path}` });
      web.set('elsewhere.strict.test', path, { body: value });
      const result = await checkOne(client, id);
      assert.equal(result.LocalCheck, 0);
      assert.match(result.LocalCheckFailReason, /redirect to http:\/\/elsewhere\.strict\.test\S* leaves file-away/);
      assert.ok(!web.requests.some((r) => r.host === 'elsewhere.strict.test'), 'the redirect was followed');
      await assertNotIssued(client, id);
      await client.CancelCertificateOrder({ CertificateId: id });
    });

    test('a redirect on the same host to the right file is followed: Status 1', async () => {
      const domain = 'file-moved.strict.test';
      const { id, path, value } = await fileOrder(domain);
      web.set(domain, path, { redirect: '/moved/fileauth.txt', status: 301 });
      web.set(domain, '/moved/fileauth.txt', { body: value });
      const result = await checkOne(client, id);
      assert.equal(result.LocalCheck, 1, result.LocalCheckFailReason);
      assert.ok(web.requests.some((r) => r.host === domain && r.path === '/moved/fileauth.txt'));
      await assertIssued(client, id);
    });

    test('a server that never answers times out, says so and is not issued: LocalCheck 0', async () => {
      const domain = 'file-hang.strict.test';
      const { id, path } = await fileOrder(domain);
      web.set(domain, path, { hang: true });
      const started = Date.now();
      const result = await checkOne(client, id);
      assert.equal(result.LocalCheck, 0);
      assert.match(result.LocalCheckFailReason, /^http: GET \S+ timed out after 500 ms;/);
      assert.ok(Date.now() - started < 5000, 'the check outlived its time limit');
      await assertNotIssued(client, id);
      await client.CancelCertificateOrder({ CertificateId: id });
    });
  });

  test('a multi-domain order is issued only when every domain is proven: LocalCheck per domain, then Status 1', async () => {
    const [a, b] = [host('multi-a.strict.test'), host('multi-b.strict.test')];
    const id = await commitOrder(client, { domain: a, more: [b], productId: DV_MULTI, verifyType: 'DNS' });
    const { DvAuthDetail } = await client.DescribeCertificate({ CertificateId: id });
    const auths = DvAuthDetail.DvAuths as Array<{ DvAuthDomain: string; DvAuthKey: string; DvAuthValue: string }>;
    assert.deepEqual(auths.map((x) => x.DvAuthDomain).sort(), [a, b]);
    assert.notEqual(auths[0].DvAuthValue, auths[1].DvAuthValue, 'each domain has its own token');
    const tokenOf = (domain: string) => auths.find((x) => x.DvAuthDomain === domain)?.DvAuthValue ?? '';

    dns.set(`_dnsauth.${a}`, { TXT: [tokenOf(a)] });
    const half = await check(client, id);
    const local = Object.fromEntries(half.map((r) => [r.Domain, r.LocalCheck]));
    assert.deepEqual(local, { [a]: 1, [b]: 0 });
    assert.match(half.find((r) => r.Domain === b)?.LocalCheckFailReason ?? '', /multi-b\.strict\.test/);
    await assertNotIssued(client, id);

    dns.set(`_dnsauth.${b}`, { TXT: [tokenOf(b)] });
    const all = await check(client, id);
    assert.deepEqual(
      all.map((r) => r.LocalCheck),
      [1, 1],
    );
    await assertIssued(client, id);
    const text = await downloadedCertText(client, id, a);
    assert.match(text, /DNS:multi-a\.strict\.test/);
    assert.match(text, /DNS:multi-b\.strict\.test/);
  });
});

describe('strict validation with a one-second validation window', () => {
  let world: World;
  let client: SslClient;
  before(async () => {
    world = await strictWorld({ worker: { validationTimeoutSeconds: 1 } });
    client = sdkClient(world);
  });
  after(async () => {
    await world.close();
  });

  test('an order whose record never appears fails as the real service does: Status 2, ValidationTimeout 0->2', async () => {
    const domain = host('timeout.strict.test');
    const id = await commitOrder(client, { domain, verifyType: 'DNS' });
    const d = await waitForStatus(client, id, Status.ReviewFailed, 5000);
    assert.equal(d.Status, Status.ReviewFailed, `still ${d.Status}`);
    assert.match(d.StatusMsg, /^domain validation timed out/);
    assert.match(d.StatusMsg, /timeout\.strict\.test/);
    const logs = await client.DescribeCertificateOperateLogs({ Limit: 100 });
    const entry = logs.OperateLogs.find(
      (l: { CertId: string; Action: string }) => l.CertId === id && l.Action === 'ValidationTimeout',
    );
    assert.ok(entry, JSON.stringify(logs.OperateLogs));
    assert.equal(entry.Type, '0->2');
    assert.equal(
      await sdkErrorCode(client.CheckCertificateDomainVerification({ CertificateId: id })),
      'FailedOperation.CertificateStatusNotAllowVerify',
    );
  });
});

describe('strict validation that may not reach private addresses', () => {
  let world: World;
  let client: SslClient;
  before(async () => {
    world = await strictWorld({ allowPrivateAddresses: false });
    client = sdkClient(world);
  });
  after(async () => {
    await world.close();
  });

  test('a file check of a domain on loopback names the address and sends no request: LocalCheck 0', async () => {
    const domain = host('guarded.strict.test');
    const id = await commitOrder(client, { domain, verifyType: 'FILE' });
    const { DvAuthDetail: a } = await client.DescribeCertificate({ CertificateId: id });
    // The right file is there: only the address policy stands between the check and a pass.
    web.set(domain, `${a.DvAuthPath}${a.DvAuthKey}`, { body: a.DvAuthValue });
    const result = await checkOne(client, id);
    assert.equal(result.LocalCheck, 0);
    assert.match(result.LocalCheckFailReason, /not public: 127\.0\.0\.1 \(loopback\)/);
    assert.ok(!web.requests.some((r) => r.host === domain), 'the web server was asked for the file');
    await assertNotIssued(client, id, 300);
    assert.ok(!web.requests.some((r) => r.host === domain), 'the worker asked the web server for the file');
  });
});
