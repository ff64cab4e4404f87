// DescribeCertificates' filters over real rows: search, status, project, tags, source, paging and sorting.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SslClient, sdkClient, startWorld, type World } from '../support/world.js';

describe('DescribeCertificates filters', () => {
  let world: World;
  let client: SslClient;
  const ids: string[] = [];
  before(async () => {
    world = await startWorld({ worker: { enabled: false } });
    client = sdkClient(world);
    for (let i = 0; i < 6; i++) {
      const tags = i % 2 === 0 ? [{ TagKey: 'team', TagValue: 'web' }] : [{ TagKey: 'team', TagValue: 'api' }];
      const res = await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1, Tags: tags });
      ids.push(res.CertificateIds[0]);
    }
    await client.ModifyCertificateAlias({ CertificateId: ids[0], Alias: '100%_literal' });
    await client.ModifyCertificateAlias({ CertificateId: ids[1], Alias: '100x_other' });
    await client.CancelCertificateOrder({ CertificateId: ids[2] });
  });
  after(async () => {
    await world.close();
  });

  test('newest first, paged with Offset and Limit, with the total of all matches', async () => {
    const page1 = await client.DescribeCertificates({ Limit: 4 });
    const page2 = await client.DescribeCertificates({ Limit: 4, Offset: 4 });
    assert.equal(page1.TotalCount, 6);
    assert.equal(page1.Certificates.length, 4);
    assert.equal(page2.Certificates.length, 2);
    const all = [...page1.Certificates, ...page2.Certificates].map((c: { CertificateId: string }) => c.CertificateId);
    assert.deepEqual(new Set(all), new Set(ids));
  });

  test('SearchKey matches % and _ literally', async () => {
    const res = await client.DescribeCertificates({ SearchKey: '100%_' });
    assert.deepEqual(
      res.Certificates.map((c: { CertificateId: string }) => c.CertificateId),
      [ids[0]],
    );
  });

  test('Tags select certificates carrying every given tag', async () => {
    const web = await client.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 'web' }] });
    assert.equal(web.TotalCount, 3);
    const none = await client.DescribeCertificates({
      Tags: [
        { TagKey: 'team', TagValue: 'web' },
        { TagKey: 'team', TagValue: 'api' },
      ],
    });
    assert.equal(none.TotalCount, 0);
  });

  test('CertificateStatus, CertIds, FilterSource and ProjectId narrow the list', async () => {
    assert.equal((await client.DescribeCertificates({ CertificateStatus: [7] })).TotalCount, 1);
    assert.equal((await client.DescribeCertificates({ CertIds: [ids[3], ids[4]] })).TotalCount, 2);
    assert.equal((await client.DescribeCertificates({ FilterSource: 'buy' })).TotalCount, 6);
    assert.equal((await client.DescribeCertificates({ FilterSource: 'upload' })).TotalCount, 0);
    assert.equal((await client.DescribeCertificates({ ProjectId: 0 })).TotalCount, 6);
    assert.equal((await client.DescribeCertificates({ ProjectId: 1234567 })).TotalCount, 0);
  });

  test('a page read again from memory answers in each language and shows a change at the next call', async () => {
    const zh = sdkClient(world, world.account, { language: 'zh-CN' });
    const en1 = await client.DescribeCertificates({ Limit: 3 });
    const zh1 = await zh.DescribeCertificates({ Limit: 3 });
    const en2 = await client.DescribeCertificates({ Limit: 3 });
    const zh2 = await zh.DescribeCertificates({ Limit: 3 });
    const strip = (r: { RequestId: string }) => ({ ...r, RequestId: '' });
    assert.deepEqual(strip(en2), strip(en1));
    assert.deepEqual(strip(zh2), strip(zh1));
    // The same rows: only the names that follow the language differ.
    const names = (r: { Certificates: Array<{ StatusName: string; PackageTypeName: string }> }) =>
      r.Certificates.map((c) => [c.StatusName, c.PackageTypeName]);
    assert.notDeepEqual(names(en1), names(zh1));
    assert.deepEqual(
      en1.Certificates.map((c: { CertificateId: string }) => c.CertificateId),
      zh1.Certificates.map((c: { CertificateId: string }) => c.CertificateId),
    );
    const first = en1.Certificates[0] as { CertificateId: string; Alias: string };
    await client.ModifyCertificateAlias({ CertificateId: first.CertificateId, Alias: `renamed-${first.Alias}` });
    const en3 = await client.DescribeCertificates({ Limit: 3 });
    assert.equal(en3.Certificates[0].Alias, `renamed-${first.Alias}`);
    await client.ModifyCertificateAlias({ CertificateId: first.CertificateId, Alias: first.Alias });
  });

  test('a Limit over 1000 is treated as 1000, and items carry the SDK model’s types', async () => {
    const res = await client.DescribeCertificates({ Limit: 5000 });
    assert.equal(res.Certificates.length, 6);
    const c = res.Certificates[0];
    assert.equal(typeof c.ProjectId, 'string');
    assert.equal(typeof c.Status, 'number');
    assert.equal(typeof c.CertificateExtra.DomainNumber, 'string');
    assert.ok(Array.isArray(c.SubjectAltName));
    assert.match(c.InsertTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});
