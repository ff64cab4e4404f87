// SubmitCertificateInformation and the order lifecycle around it, through the official Node SDK and tcssl call
// against a real listening server: the seed's example, both CSR types with openssl-made CSRs, every error the
// seed lists provoked for real, re-submission, and create -> submit -> commit -> describe.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/cli/client.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRateLimiter } from '../../src/gateway/rate-limit.js';
import { buildServer } from '../../src/gateway/server.js';
import { newOrderRow } from '../../src/orders/orders.js';
import { Status } from '../../src/orders/status.js';
import { insertCertificate } from '../../src/store/certificate-writes.js';
import { makeCsr, openssl } from '../support/openssl.js';
import { SEED_EXAMPLE } from '../support/seed.js';
import { ALL_FORMS, type SslClient, sdkClient, sdkErrorCode, startWorld, type World } from '../support/world.js';

/** SecureSite OV wildcard: the kind of certificate the seed's example asks for. */
const OV_WILDCARD = 7;
/** TrustAsia DV multi-domain. */
const DV_MULTI = 11;
/** DNSPod DV single-domain. */
const DV_SINGLE = 48;

/** Puts an order with a chosen id (the seed's abcb1234) into the store, as CreateCertificate would. */
async function seedOrder(world: World, certificateId: string, productId: number): Promise<void> {
  await insertCertificate(
    world.services.store.db,
    newOrderRow({
      certificate_id: certificateId,
      owner_uin: world.account.uin,
      status: Status.PaidInfoPending,
      product_id: productId,
      source: 'paid',
      deal_id: 'deal-seed',
      created_at: Date.now(),
    }),
  );
}

async function order(client: SslClient, productId: number, domainNum = 1): Promise<string> {
  const res = await client.CreateCertificate({ ProductId: productId, DomainNum: domainNum, TimeSpan: 1 });
  assert.equal(res.CertificateIds.length, 1);
  assert.equal(res.DealIds.length, 1);
  return res.CertificateIds[0];
}

describe('SubmitCertificateInformation end to end', () => {
  let world: World;
  let client: SslClient;
  before(async () => {
    // No worker: these tests look at orders before issuance, which in auto mode would follow within a second.
    world = await startWorld({ worker: { enabled: false } });
    client = sdkClient(world);
  });
  after(async () => {
    await world.close();
  });

  test("the seed's example request, sent as it stands, succeeds and returns CertificateId and RequestId", async () => {
    await seedOrder(world, 'abcb1234', OV_WILDCARD);
    const res = await client.SubmitCertificateInformation(SEED_EXAMPLE);
    assert.equal(res.CertificateId, 'abcb1234');
    assert.match(res.RequestId, /^[0-9a-f-]{36}$/);

    const detail = await client.DescribeCertificateDetail({ CertificateId: 'abcb1234' });
    assert.equal(detail.Status, Status.PaidInfoPending);
    assert.equal(detail.Domain, '*.test-dq342da.com');
    assert.equal(detail.SubmittedData.CsrType, 'online');
    assert.equal(detail.SubmittedData.OrganizationName, 'Tencent');
    assert.equal(detail.SubmittedData.AdminEmail, 'test@tencent.com');
    assert.equal(detail.SubmittedData.KeyPassword, '');
    assert.equal(detail.CertificatePrivateKey, null);
    // The CSR made online carries the organisation in its subject and the domain in subjectAltName.
    const text = await openssl(['req', '-in', '@in', '-noout', '-text', '-verify'], detail.SubmittedData.CsrContent);
    assert.match(text, /CN\s*=\s*\*\.test-dq342da\.com/);
    assert.match(text, /O\s*=\s*Tencent/);
    assert.match(text, /OU\s*=\s*Qcloud/);
    assert.match(text, /L\s*=\s*Shenzhen/);
    assert.match(text, /ST\s*=\s*Guangdong/);
    assert.match(text, /C\s*=\s*CN/);
    assert.match(text, /DNS:\*\.test-dq342da\.com/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
  });

  test('the private key made online is stored sealed, never in plaintext', async () => {
    const row = await world.services.certificates.find(world.account.uin, 'abcb1234');
    assert.ok(row?.private_key_sealed?.startsWith('v1.'));
    assert.doesNotMatch(row?.private_key_sealed ?? '', /BEGIN/);
  });

  for (const form of ALL_FORMS) {
    test(`the seed's example succeeds through the SDK with ${form.signMethod} over ${form.reqMethod}`, async () => {
      const id = await order(client, OV_WILDCARD);
      const c = sdkClient(world, world.account, form);
      const res = await c.SubmitCertificateInformation({ ...SEED_EXAMPLE, CertificateId: id, IsDV: false });
      assert.equal(res.CertificateId, id);
    });
  }

  test("tcssl call sends the seed's example with flattened DomainList and succeeds", async () => {
    const id = await order(client, DV_MULTI, 3);
    for (const form of [ALL_FORMS[1], ALL_FORMS[2], ALL_FORMS[0]]) {
      const res = await call({
        endpoint: world.url,
        secretId: world.account.secretId,
        secretKey: world.account.secretKey,
        action: 'SubmitCertificateInformation',
        params: {
          CertificateId: id,
          CsrType: 'online',
          CertificateDomain: 'a.example.com',
          DomainList: ['b.example.com', 'c.example.com'],
          ContactEmail: 'ops@example.com',
          IsDV: true,
        },
        signMethod: form.signMethod,
        method: form.reqMethod,
      });
      assert.equal(
        (res.body as { Response: { CertificateId?: string } }).Response.CertificateId,
        id,
        JSON.stringify(res.body),
      );
    }
    const detail = await client.DescribeCertificate({ CertificateId: id });
    assert.deepEqual(detail.SubjectAltName, ['a.example.com', 'b.example.com', 'c.example.com']);
  });

  for (const key of ['rsa:2048', 'ec:P-256', 'ec:P-384', 'rsa:4096'] as const) {
    test(`CsrType=parse accepts an openssl ${key} CSR and keeps it as sent`, async () => {
      const id = await order(client, DV_MULTI, 2);
      const { csr } = await makeCsr({
        key,
        subject: '/CN=www.parse.example',
        sans: ['www.parse.example', 'api.parse.example'],
      });
      const res = await client.SubmitCertificateInformation({
        CertificateId: id,
        CsrType: 'parse',
        CsrContent: csr,
        DomainList: ['api.parse.example'],
        ContactEmail: 'ops@parse.example',
      });
      assert.equal(res.CertificateId, id);
      const detail = await client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(detail.Domain, 'www.parse.example');
      assert.equal(detail.SubmittedData.CsrType, 'parse');
      const text = await openssl(['req', '-in', '@in', '-noout', '-verify'], detail.SubmittedData.CsrContent);
      assert.equal(typeof text, 'string');
      const row = await world.services.certificates.find(world.account.uin, id);
      assert.equal(row?.private_key_sealed, null);
    });
  }

  test('CsrType=parse refuses bad CSRs with FailedOperation.InvalidParam naming CsrContent', async () => {
    const id = await order(client, DV_SINGLE);
    const weak = await makeCsr({ key: 'rsa:1024', subject: '/CN=weak.example' });
    const sha1 = await makeCsr({ key: 'rsa:2048', subject: '/CN=sha1.example', digest: 'sha1' });
    const wrongCn = await makeCsr({ key: 'ec:P-256', subject: '/CN=other.example' });
    const extraSan = await makeCsr({ key: 'ec:P-256', subject: '/CN=a.example', sans: ['a.example', 'evil.example'] });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ CsrContent: 'not a csr' }, /CsrContent|CSR/],
      [{ CsrContent: weak.csr }, /1024/],
      [{ CsrContent: sha1.csr }, /SHA-?1/i],
      [{ CsrContent: wrongCn.csr, CertificateDomain: 'a.example' }, /common name/],
      [{ CsrContent: extraSan.csr }, /evil\.example/],
      [{}, /CsrContent/],
    ];
    for (const [extra, why] of cases) {
      try {
        await client.SubmitCertificateInformation({ CertificateId: id, CsrType: 'parse', ...extra });
        assert.fail(`accepted ${JSON.stringify(extra).slice(0, 80)}`);
      } catch (e) {
        assert.equal((e as { code: string }).code, 'FailedOperation.InvalidParam', (e as Error).message);
        assert.match((e as Error).message, why);
      }
    }
    const detail = await client.DescribeCertificateDetail({ CertificateId: id });
    assert.equal(detail.SubmittedData, null, 'a rejected request stores nothing');
  });

  test('bad domains, emails, phones and countries get FailedOperation.InvalidParam naming the field', async () => {
    const id = await order(client, DV_MULTI, 2);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ CertificateDomain: 'bad_domain!.com', DomainList: ['b.example'] }, /bad_domain/],
      [{ CertificateDomain: '*.wild.example', DomainList: ['b.example'] }, /wildcard/i],
      [{ CertificateDomain: 'a.example' }, /DomainList/],
      [{ CertificateDomain: 'a.example', DomainList: ['b.example', 'c.example'] }, /DomainList/],
      [{ CertificateDomain: 'a.example', DomainList: ['b.example'], AdminEmail: 'foo@' }, /AdminEmail/],
      [{ CertificateDomain: 'a.example', DomainList: ['b.example'], PhoneNumber: '12ab' }, /PhoneNumber/],
      [{ CertificateDomain: 'a.example', DomainList: ['b.example'], OrganizationCountry: 'XX' }, /OrganizationCountry/],
      [{ CertificateDomain: 'a.example', DomainList: ['b.example'], KeyPassword: 'a b' }, /KeyPassword/],
    ];
    for (const [extra, why] of cases) {
      try {
        await client.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', ...extra });
        assert.fail(`accepted ${JSON.stringify(extra)}`);
      } catch (e) {
        assert.equal((e as { code: string }).code, 'FailedOperation.InvalidParam', (e as Error).message);
        assert.match((e as Error).message, why);
      }
    }
  });

  test('an unknown id, and another account’s certificate, both get FailedOperation.CertificateNotFound', async () => {
    assert.equal(
      await sdkErrorCode(client.SubmitCertificateInformation({ CertificateId: 'nope0000', CsrType: 'online' })),
      'FailedOperation.CertificateNotFound',
    );
    const id = await order(client, DV_SINGLE);
    const other = await world.services.iam.createAccount();
    const otherClient = sdkClient(world, { secretId: other.SecretId, secretKey: other.SecretKey });
    assert.equal(
      await sdkErrorCode(
        otherClient.SubmitCertificateInformation({ CertificateId: id, CertificateDomain: 'x.example' }),
      ),
      'FailedOperation.CertificateNotFound',
    );
    assert.equal(
      await sdkErrorCode(otherClient.DescribeCertificate({ CertificateId: id })),
      'FailedOperation.CertificateNotFound',
    );
  });

  test('a sub-user without a policy gets FailedOperation.AuthError', async () => {
    const id = await order(client, DV_SINGLE);
    const sub = await world.services.iam.createSubUser(world.account.uin, 'nobody');
    const subClient = sdkClient(world, { secretId: sub.SecretId, secretKey: sub.SecretKey });
    assert.equal(
      await sdkErrorCode(subClient.SubmitCertificateInformation({ CertificateId: id, CertificateDomain: 'x.example' })),
      'FailedOperation.AuthError',
    );
  });

  test('a sub-user allowed the action on another project gets FailedOperation.NoProjectPermission', async () => {
    const id = await order(client, DV_SINGLE);
    const project = await world.services.iam.createProject(world.account.uin, 'team-b');
    const sub = await world.services.iam.createSubUser(world.account.uin, 'team-b-only');
    await world.services.iam.attachPolicy(sub.SubUin, {
      effect: 'allow',
      actions: ['ssl:SubmitCertificateInformation'],
      projects: [project.ProjectId],
    });
    const subClient = sdkClient(world, { secretId: sub.SecretId, secretKey: sub.SecretKey });
    assert.equal(
      await sdkErrorCode(
        subClient.SubmitCertificateInformation({
          CertificateId: id,
          CertificateDomain: 'x.example',
          ContactEmail: 'a@b.example',
        }),
      ),
      'FailedOperation.NoProjectPermission',
    );
    // Once the certificate is in the sub-user's project, the same call succeeds.
    const moved = await client.ModifyCertificateProject({ CertificateIdList: [id], ProjectId: project.ProjectId });
    assert.deepEqual(moved.SuccessCertificates, [id]);
    const ok = await subClient.SubmitCertificateInformation({
      CertificateId: id,
      CertificateDomain: 'x.example',
      ContactEmail: 'a@b.example',
    });
    assert.equal(ok.CertificateId, id);
  });

  test('an account without identity verification gets FailedOperation.NoRealNameAuth', async () => {
    const unverified = await world.services.iam.createAccount({ realNameVerified: false });
    const c = sdkClient(world, { secretId: unverified.SecretId, secretKey: unverified.SecretKey });
    const { CertificateIds } = await c.CreateCertificate({ ProductId: DV_SINGLE, DomainNum: 1, TimeSpan: 1 });
    assert.equal(
      await sdkErrorCode(
        c.SubmitCertificateInformation({ CertificateId: CertificateIds[0], CertificateDomain: 'x.example' }),
      ),
      'FailedOperation.NoRealNameAuth',
    );
  });

  test('a free order past the account’s free quota gets FailedOperation.ExceedsFreeLimit', async () => {
    const acct = await world.services.iam.createAccount({ freeQuota: 1 });
    const c = sdkClient(world, { secretId: acct.SecretId, secretKey: acct.SecretKey });
    const first = (await c.CreateCertificate({ ProductId: 83, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    const second = (await c.CreateCertificate({ ProductId: 83, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    assert.equal((await c.DescribeCertificate({ CertificateId: first })).Status, Status.FreeInfoPending);
    await c.SubmitCertificateInformation({
      CertificateId: first,
      CertificateDomain: 'free1.example',
      ContactEmail: 'a@free1.example',
    });
    // Submitting the same free order again is not a new use of the quota.
    await c.SubmitCertificateInformation({
      CertificateId: first,
      CertificateDomain: 'free1.example',
      ContactEmail: 'b@free1.example',
    });
    assert.equal(
      await sdkErrorCode(c.SubmitCertificateInformation({ CertificateId: second, CertificateDomain: 'free2.example' })),
      'FailedOperation.ExceedsFreeLimit',
    );
    // Cancelling the first gives its place back.
    await c.CancelCertificateOrder({ CertificateId: first });
    const ok = await c.SubmitCertificateInformation({ CertificateId: second, CertificateDomain: 'free2.example' });
    assert.equal(ok.CertificateId, second);
  });

  test('re-submission replaces the earlier information whole; a rejected one changes nothing', async () => {
    const id = await order(client, DV_MULTI, 3);
    await client.SubmitCertificateInformation({
      CertificateId: id,
      CertificateDomain: 'one.example',
      DomainList: ['two.example'],
      ContactEmail: 'first@one.example',
      AdminFirstName: 'Ann',
    });
    await client.SubmitCertificateInformation({
      CertificateId: id,
      CertificateDomain: 'three.example',
      DomainList: ['four.example', 'five.example'],
      ContactEmail: 'second@three.example',
    });
    const before = await client.DescribeCertificateDetail({ CertificateId: id });
    assert.deepEqual(before.SubjectAltName, ['three.example', 'four.example', 'five.example']);
    assert.equal(before.SubmittedData.ContactEmail, 'second@three.example');
    assert.equal(before.SubmittedData.AdminFirstName, '', 'fields not sent again are cleared');
    await sdkErrorCode(
      client.SubmitCertificateInformation({
        CertificateId: id,
        CertificateDomain: 'six.example',
        ContactEmail: 'bad@',
      }),
    );
    const afterReject = await client.DescribeCertificateDetail({ CertificateId: id });
    assert.deepEqual(afterReject.SubmittedData, before.SubmittedData);
    assert.deepEqual(afterReject.SubjectAltName, before.SubjectAltName);
  });

  test('create -> submit -> commit -> describe, then Submit again gets FailedOperation.InvalidCertificateStatusCode', async () => {
    const id = await order(client, OV_WILDCARD);
    await client.SubmitCertificateInformation({ ...SEED_EXAMPLE, CertificateId: id, VerifyType: 'DNS' });
    // A file cannot prove a wildcard domain.
    assert.equal(
      await sdkErrorCode(client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'FILE' })),
      'FailedOperation.InvalidParam',
    );
    const committed = await client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' });
    assert.equal(committed.Status, Status.Reviewing);
    assert.match(committed.OrderId, /^tcssl-[0-9a-f]{16}$/);
    const d = await client.DescribeCertificate({ CertificateId: id });
    assert.equal(d.Status, Status.Reviewing);
    assert.equal(d.VerifyType, 'DNS_AUTO');
    assert.equal(d.DvAuthDetail.DvAuthKey, '_dnsauth');
    assert.equal(d.DvAuthDetail.DvAuthDomain, 'test-dq342da.com');
    assert.match(d.DvAuthDetail.DvAuthValue, /^\d{14}[a-z2-7]{26}$/);
    assert.equal(d.OrderId, committed.OrderId);
    assert.equal(d.ProjectId, '0');
    assert.equal(
      await sdkErrorCode(client.SubmitCertificateInformation({ ...SEED_EXAMPLE, CertificateId: id })),
      'FailedOperation.InvalidCertificateStatusCode',
    );
    const list = await client.DescribeCertificates({ CertificateStatus: [Status.Reviewing], SearchKey: id });
    assert.equal(list.TotalCount, 1);
    assert.equal(list.Certificates[0].CertificateId, id);
  });

  test('commit refuses incomplete information with FailedOperation.InvalidParam naming the missing fields', async () => {
    const id = await order(client, OV_WILDCARD);
    assert.equal(
      await sdkErrorCode(client.CommitCertificateInformation({ CertificateId: id })),
      'FailedOperation.InvalidParam',
    );
    await client.SubmitCertificateInformation({
      CertificateId: id,
      CertificateDomain: '*.ov.example',
      ContactEmail: 'a@ov.example',
    });
    try {
      await client.CommitCertificateInformation({ CertificateId: id });
      assert.fail('committed an OV order without organisation details');
    } catch (e) {
      assert.equal((e as { code: string }).code, 'FailedOperation.InvalidParam');
      assert.match((e as Error).message, /OrganizationName/);
      assert.match((e as Error).message, /AdminEmail/);
    }
    const dv = await order(client, DV_SINGLE);
    await client.SubmitCertificateInformation({
      CertificateId: dv,
      CertificateDomain: 'dv.example',
      ContactEmail: 'a@dv.example',
    });
    assert.equal((await client.CommitCertificateInformation({ CertificateId: dv })).Status, Status.Reviewing);
  });

  test('cancel, delete, alias, project and operate logs follow the lifecycle', async () => {
    const id = await order(client, DV_SINGLE);
    await client.ModifyCertificateAlias({ CertificateId: id, Alias: 'my-site' });
    assert.equal((await client.DescribeCertificates({ SearchKey: 'my-site' })).Certificates[0].CertificateId, id);
    assert.equal(
      await sdkErrorCode(client.DeleteCertificate({ CertificateId: id })),
      'FailedOperation.InvalidCertificateStatusCode',
    );
    assert.equal((await client.CancelCertificateOrder({ CertificateId: id })).CertificateId, id);
    assert.equal((await client.DescribeCertificate({ CertificateId: id })).Status, Status.Cancelled);
    assert.equal(
      await sdkErrorCode(client.CancelCertificateOrder({ CertificateId: id })),
      'FailedOperation.CertificateNotFoundOrCantCancel',
    );
    assert.equal((await client.DeleteCertificate({ CertificateId: id })).DeleteResult, true);
    assert.equal(
      await sdkErrorCode(client.DescribeCertificate({ CertificateId: id })),
      'FailedOperation.CertificateNotFound',
    );
    const logs = await client.DescribeCertificateOperateLogs({ Limit: 1000 });
    const mine = logs.OperateLogs.filter((l: { CertId: string }) => l.CertId === id).map(
      (l: { Action: string }) => l.Action,
    );
    assert.deepEqual(mine.reverse(), [
      'CreateCertificate',
      'ModifyCertificateAlias',
      'CancelCertificateOrder',
      'DeleteCertificate',
    ]);
    const cancelLog = logs.OperateLogs.find(
      (l: { CertId: string; Action: string }) => l.CertId === id && l.Action === 'CancelCertificateOrder',
    );
    assert.equal(cancelLog.Type, `${Status.PaidInfoPending}->${Status.Cancelled}`);
    assert.match(cancelLog.CreatedOn, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  test('CreateCertificate checks the product combination', async () => {
    assert.equal(
      await sdkErrorCode(client.CreateCertificate({ ProductId: 999, DomainNum: 1, TimeSpan: 1 })),
      'InvalidParameterValue',
    );
    assert.equal(
      await sdkErrorCode(client.CreateCertificate({ ProductId: DV_MULTI, DomainNum: 1, TimeSpan: 1 })),
      'InvalidParameterValue',
    );
    assert.equal(
      await sdkErrorCode(client.CreateCertificate({ ProductId: 99, DomainNum: 2, TimeSpan: 2 })),
      'InvalidParameterValue',
    );
    assert.equal(
      await sdkErrorCode(client.CreateCertificate({ ProductId: 33, DomainNum: 1, TimeSpan: 1 })),
      'UnsupportedOperation',
    );
  });

  test('the 21st Submit in one second from one account gets RequestLimitExceeded', async () => {
    const config = loadConfig({ overrides: { dataDir: world.dir, logLevel: 'silent' } });
    const frozen = Date.now();
    const app = buildServer({
      config,
      services: world.services,
      rateLimiter: new MemoryRateLimiter({ now: () => frozen }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const c = sdkClient({ ...world, port });
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, () => c.SubmitCertificateInformation({ CertificateId: 'nope0000' })),
      );
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
      assert.equal(codes.filter((c) => c === 'RequestLimitExceeded').length, 5);
      assert.equal(codes.filter((c) => c === 'FailedOperation.CertificateNotFound').length, 20);
    } finally {
      await app.close();
    }
  });
});
