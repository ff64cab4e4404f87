// DescribeCertificate read again and again, as a client polls an order: the answer made once for the read cache's
// rows (src/actions/kept-answers.ts) answers in each language, and every change of the order shows at the next call.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { injectHeaders } from '../support/sign.js';
import { type SslClient, sdkClient, startWorld, type World } from '../support/world.js';

describe('DescribeCertificate polled', () => {
  let world: World;
  let en: SslClient;
  let zh: SslClient;
  before(async () => {
    world = await startWorld({ worker: { enabled: false } });
    en = sdkClient(world);
    zh = sdkClient(world, world.account, { language: 'zh-CN' });
  });
  after(async () => {
    await world.close();
  });

  const strip = (r: { RequestId: string }) => ({ ...r, RequestId: '' });

  test('a repeated call answers the same in each language, and each change shows at the next call', async () => {
    const id = (await en.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    const describe = async (c: SslClient) => c.DescribeCertificate({ CertificateId: id });
    const en1 = await describe(en);
    const zh1 = await describe(zh);
    const en2 = await describe(en);
    const zh2 = await describe(zh);
    assert.notEqual(en2.RequestId, en1.RequestId);
    assert.deepEqual(strip(en2), strip(en1));
    assert.deepEqual(strip(zh2), strip(zh1));
    assert.notEqual(en1.StatusName, zh1.StatusName);
    assert.equal(en1.ProductZhName, zh1.ProductZhName);
    assert.match(en1.ProductZhName, /[\u0080-\uffff]/, 'the Chinese product name survives the ASCII escapes');
    assert.equal(en1.SubmittedData, null);
    assert.equal(en1.DvAuthDetail, null);

    await en.ModifyCertificateAlias({ CertificateId: id, Alias: 'polled 轮询' });
    assert.equal((await describe(en)).Alias, 'polled 轮询');

    await en.SubmitCertificateInformation({
      CertificateId: id,
      CsrType: 'online',
      CertificateDomain: 'polled.example.com',
      ContactEmail: 'ops@example.com',
    });
    const submitted = await describe(zh);
    assert.equal(submitted.SubmittedData.CertificateDomain, 'polled.example.com');
    assert.equal(submitted.Domain, 'polled.example.com');
    assert.equal(submitted.DvAuthDetail, null);

    await en.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS' });
    const committed = await describe(en);
    assert.notEqual(committed.Status, submitted.Status);
    assert.equal(committed.VerifyType, 'DNS');
    assert.equal(committed.DvAuthDetail.DvAuths.length, 1);
    assert.equal(committed.DvAuthDetail.DvAuths[0].DvAuthVerifyType, 'DNS');
    assert.deepEqual(strip(await describe(en)), strip(committed));
  });

  test('the answer is ASCII JSON: characters beyond it are escapes of the same text', async () => {
    const id = (await en.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    await en.ModifyCertificateAlias({ CertificateId: id, Alias: '证书 ✓ "q"' });
    for (let i = 0; i < 2; i++) {
      const raw = await rawCall(world, 'DescribeCertificate', { CertificateId: id });
      assert.match(raw, /^[\x20-\x7e]*$/);
      const res = JSON.parse(raw).Response;
      assert.equal(res.Alias, '证书 ✓ "q"');
      assert.equal(res.CertificateId, id);
      assert.match(res.RequestId, /^[0-9a-f-]{36}$/);
    }
  });
});

/** One signed TC3 call; the answer's body as the server wrote it. */
async function rawCall(world: World, action: string, params: Record<string, unknown>): Promise<string> {
  const payload = JSON.stringify(params);
  const headers = injectHeaders({
    secretId: world.account.secretId,
    secretKey: world.account.secretKey,
    action,
    payload,
    host: new URL(world.url).host,
    language: 'zh-CN',
  });
  const res = await fetch(`${world.url}/`, { method: 'POST', headers, body: payload });
  return new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
}
