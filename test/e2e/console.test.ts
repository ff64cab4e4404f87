// The web console in a real browser (Debian's Chromium through playwright-core) against a real server in auto mode:
// sign in, buy, fill and submit the seed's example values (the CSR paste box and its preview, a bad email refused
// while typing, a server error shown next to the field it names), commit, read the validation values, see the
// certificate issued, download the ZIP (all servers, and Nginx alone), revoke; then the Chinese switch, the browser's
// language, keyboard-only sign-in, and a 375 px wide screen. Screenshots of each page go to test-results/console/.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Status } from '../../src/orders/status.js';
import { buildConsole, launchChromium, skipWithoutChromium } from '../support/browser.js';
import { makeCsr } from '../support/openssl.js';
import { SEED_EXAMPLE, SEED_ORGANISATION } from '../support/seed.js';
import { type SslClient, sdkClient, startWorld, type World } from '../support/world.js';

const SHOTS = join('test-results', 'console');
/** SecureSite OV wildcard: the kind of certificate the seed's example asks for. */
const OV_WILDCARD = '7';
/** TrustAsia DV multi-domain. */
const DV_MULTI = '11';
const ISSUE_TIMEOUT_MS = 30_000;

const skip = skipWithoutChromium();

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Waits until the element with this id has the focus (pages move it after rendering). Browser-side code goes as a
 * string: this file is typed for node, not the DOM.
 */
async function focusOn(p: Page, id: string): Promise<void> {
  await p.waitForFunction(`document.activeElement?.id === ${JSON.stringify(id)}`);
}

/** Waits (auto-retrying, no sleeps) until the locator shows text matching `text`. */
async function seeText(locator: Locator, text: RegExp | string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible' });
}

describe('web console in a browser', { skip }, () => {
  let world: World;
  let client: SslClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let certificateId = '';
  const problems: string[] = [];
  const sentSecretKey: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole();
    world = await startWorld({ validation: 'auto' });
    client = sdkClient(world);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // A CSP violation, a script error or a failed load is a bug, whatever the page then shows.
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      const everything = `${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`;
      if (everything.includes(world.account.secretKey)) sentSecretKey.push(r.url());
    });
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('the console is served under /console with its CSP, and a wrong key is refused on sign-in', async () => {
    const res = await page.goto(`${world.url}/console`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    await seeText(page.locator('h1'), 'Sign in');
    await shot(page, '01-sign-in');
    await page.getByLabel('SecretId').fill(world.account.secretId);
    await page.getByLabel('SecretKey').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await seeText(page.getByRole('alert'), 'AuthFailure.SignatureFailure');
    assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
  });

  test('signs in with SecretId and SecretKey, kept in sessionStorage only, and lists certificates', async () => {
    await page.getByLabel('SecretKey').fill(world.account.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await seeText(page.locator('h1'), 'Certificates');
    await seeText(page.locator('#total'), /^Total: 0$/);
    const stored = await page.evaluate<{ session: string; local: string }>(
      '({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage) })',
    );
    assert.match(stored.session, new RegExp(world.account.secretId));
    assert.doesNotMatch(stored.local, new RegExp(world.account.secretKey));
    await shot(page, '02-certificates-empty');
  });

  test('buys a SecureSite OV wildcard certificate from the catalogue and lands on its submit form', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Buy a certificate' }).click();
    await seeText(page.locator('h1'), 'Buy a certificate');
    await page.getByLabel('Product').selectOption(OV_WILDCARD);
    await seeText(page.locator('#product-facts'), 'Wildcard');
    await shot(page, '03-buy');
    await page.getByRole('button', { name: 'Buy' }).click();
    await page.waitForURL(/\/console\/certificates\/[^/]+\/submit$/);
    certificateId = new URL(page.url()).pathname.split('/')[3];
    const detail = await client.DescribeCertificateDetail({ CertificateId: certificateId });
    assert.equal(detail.Status, Status.PaidInfoPending);
    assert.equal(detail.PackageType, OV_WILDCARD);
    await seeText(page.locator('h1'), 'Submit information');
  });

  test('the CSR paste box shows the parsed common name, SANs and key before anything is sent', async () => {
    const { csr } = await makeCsr({
      key: 'rsa:2048',
      subject: '/CN=*.test-dq342da.com/O=Tencent',
      sans: ['*.test-dq342da.com'],
    });
    await page.getByLabel('Paste my own CSR (parse)').check();
    await page.getByLabel('CSR (PEM)').fill(csr);
    await seeText(page.locator('[data-csr="cn"]'), '*.test-dq342da.com');
    await seeText(page.locator('[data-csr="sans"]'), '*.test-dq342da.com');
    await seeText(page.locator('[data-csr="key"]'), 'RSA 2048');
    await page
      .getByLabel('CSR (PEM)')
      .fill('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----');
    await seeText(page.getByRole('alert'), 'This CSR cannot be read');
    await page.getByLabel('Generate it here (online): tcssl makes the key and CSR').check();
    await page.getByLabel('CSR (PEM)').waitFor({ state: 'detached' });
  });

  test("refuses a bad email as it is typed, with the server's own message next to the field", async () => {
    const email = page.locator('#AdminEmail');
    await email.pressSequentially('test@');
    const error = page.locator('#AdminEmail-error');
    await seeText(error, 'AdminEmail "test@" is not a valid email address');
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    assert.match((await email.getAttribute('aria-describedby')) ?? '', /AdminEmail-error/);
    await shot(page, '04-submit-email-error');
    await email.pressSequentially('tencent.com');
    await error.waitFor({ state: 'hidden' });
    assert.equal(await email.getAttribute('aria-invalid'), null);
  });

  test("fills the seed's example values and submits them; Commit's missing-field error lands next to that field", async () => {
    await page.locator('#CertificateDomain').fill(SEED_EXAMPLE.CertificateDomain);
    // Everything of the seed but the administrator's email, which Commit requires for an OV certificate.
    for (const [wire, value] of Object.entries(SEED_ORGANISATION)) {
      await page.locator(`#${wire}`).fill(wire === 'AdminEmail' ? '' : value);
    }
    await page.getByLabel('DNS TXT record', { exact: true }).check();
    await page.getByRole('button', { name: 'Submit information' }).click();
    await seeText(page.getByRole('status'), 'Information submitted');
    await page.getByRole('button', { name: 'Commit for validation' }).click();
    const error = page.locator('#AdminEmail-error');
    await seeText(error, 'incomplete: AdminEmail missing');
    await seeText(page.getByRole('alert'), 'FailedOperation.InvalidParam');
    await focusOn(page, 'AdminEmail');
    await shot(page, '05-submit-server-error');

    await page.locator('#AdminEmail').fill(SEED_EXAMPLE.AdminEmail);
    await error.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Submit information' }).click();
    await seeText(page.getByRole('status'), 'Information submitted');
    const detail = await client.DescribeCertificateDetail({ CertificateId: certificateId });
    assert.equal(detail.Domain, SEED_EXAMPLE.CertificateDomain);
    for (const [wire, value] of Object.entries(SEED_ORGANISATION))
      assert.equal(detail.SubmittedData[wire], value, wire);
    assert.equal(detail.SubmittedData.CsrType, 'online');
    await shot(page, '06-submit-filled');
  });

  test('commits and shows the TXT record name and value, with copy buttons and "check now"', async () => {
    await page.getByRole('button', { name: 'Commit for validation' }).click();
    await page.waitForURL(/\/validation$/);
    await seeText(page.locator('h1'), 'Domain validation');
    const expected = (await client.DescribeCertificateDetail({ CertificateId: certificateId })).DvAuthDetail.DvAuths[0];
    await seeText(page.locator('[data-dv="value"]'), expected.DvAuthValue);
    await seeText(page.locator('[data-dv="name"]'), `${expected.DvAuthSubDomain}.${expected.DvAuthDomain}`);
    assert.equal(await page.getByRole('button', { name: 'Copy Value' }).count(), 1);
    await shot(page, '07-validation');
    await page.getByRole('button', { name: 'Check now' }).click();
    await seeText(page.locator('ul.results'), 'test-dq342da.com');
  });

  test('sees the certificate issued in auto mode', async () => {
    await page.locator('#issued').waitFor({ state: 'visible', timeout: ISSUE_TIMEOUT_MS });
    await seeText(page.locator('.badge'), 'Issued');
    await shot(page, '08-issued');
    await page.getByRole('link', { name: 'View the certificate' }).click();
    await seeText(page.locator('h1'), `Certificate ${certificateId}`);
    await seeText(page.locator('ol.timeline'), 'CommitCertificateInformation');
    await seeText(page.locator('ol.timeline'), 'Reviewing → Issued');
    await shot(page, '09-detail');
  });

  test('downloads the ZIP with every server type, and Nginx alone', async () => {
    const detail = await client.DescribeCertificateDetail({ CertificateId: certificateId });
    const leaf = new X509Certificate(detail.CertificatePublicKey);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    const zip = readFileSync(await download.path());
    assert.deepEqual([...zip.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
    const files = unzipSync(zip);
    const names = Object.keys(files);
    for (const re of [
      /^Nginx\/1_.+_bundle\.crt$/,
      /^Nginx\/2_.+\.key$/,
      /^Apache\//,
      /^IIS\/.+\.pfx$/,
      /^Tomcat\/.+\.jks$/,
    ]) {
      assert.ok(
        names.some((n) => re.test(n)),
        `${re} in ${names.join(', ')}`,
      );
    }
    const bundle = names.find((n) => /^Nginx\/1_/.test(n)) as string;
    assert.ok(new X509Certificate(Buffer.from(files[bundle])).fingerprint256 === leaf.fingerprint256);

    await page.getByLabel('Server type').selectOption('Nginx');
    const [nginx] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    assert.match(nginx.suggestedFilename(), /Nginx\.zip$/);
    const only = Object.keys(unzipSync(readFileSync(await nginx.path())));
    assert.ok(only.length >= 2 && only.every((n) => n.startsWith('Nginx/')), only.join(', '));
  });

  test('revokes after a confirmation, and the status follows', async () => {
    await page.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await seeText(dialog, 'Browsers will stop trusting it');
    await shot(page, '10-revoke-confirm');
    await dialog.getByLabel('Reason (optional)').fill('key compromise drill');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await seeText(page.locator('.badge'), /Revoked|Being revoked/);
    const detail = await client.DescribeCertificateDetail({ CertificateId: certificateId });
    assert.ok([Status.Revoking, Status.Revoked].includes(detail.Status), String(detail.Status));
    await shot(page, '11-revoked');
  });

  test('switches to Chinese and back, and the API answers in the chosen language', async () => {
    await page.getByLabel('Language').selectOption('zh');
    await seeText(page.locator('h1'), `证书 ${certificateId}`);
    await seeText(page.getByRole('navigation', { name: '主导航' }), '证书列表');
    assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'zh-CN');
    await page.getByRole('link', { name: '证书列表' }).click();
    await seeText(page.locator('h1'), '证书列表');
    await seeText(page.locator('table.list'), /已吊销|证书吊销中/);
    await shot(page, '12-list-zh');
    await page.getByLabel('语言').selectOption('en');
    await seeText(page.locator('h1'), 'Certificates');
  });

  test('the list searches, filters by status and product, and pages over real data', async () => {
    for (let k = 0; k < 11; k++) await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 });
    await page.reload();
    await seeText(page.locator('#total'), /^Total: 12$/);
    await seeText(page.locator('.pager'), 'Page 1 of 2');
    await page.locator('table.list[aria-busy="false"]').waitFor();
    assert.equal(await page.locator('table.list tbody tr').count(), 10);
    await page.getByRole('button', { name: 'Next' }).click();
    await seeText(page.locator('.pager'), 'Page 2 of 2');
    await page.locator('table.list[aria-busy="false"]').waitFor();
    assert.equal(await page.locator('table.list tbody tr').count(), 2);

    await page.getByLabel('Status').selectOption(String(Status.Revoked));
    await page.getByRole('button', { name: 'Apply' }).click();
    await seeText(page.locator('#total'), /^Total: 1$/);
    await page.locator(`tr[data-certificate-id="${certificateId}"]`).waitFor();

    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByLabel('Product').selectOption('48');
    await page.getByRole('button', { name: 'Apply' }).click();
    await seeText(page.locator('#total'), /^Total: 11$/);
    await page.locator(`tr[data-certificate-id="${certificateId}"]`).waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByLabel('Search').fill('test-dq342da');
    await page.getByRole('button', { name: 'Apply' }).click();
    await seeText(page.locator('#total'), /^Total: 1$/);
    await shot(page, '13-list-filtered');
  });

  test('a multi-domain order adds and removes domains up to its DomainNum', async () => {
    const res = await client.CreateCertificate({ ProductId: Number(DV_MULTI), DomainNum: 3, TimeSpan: 1 });
    await page.goto(`${world.url}/console/certificates/${res.CertificateIds[0]}/submit`);
    await seeText(page.locator('#domain-list-label'), '1 of 3 domains used');
    const add = page.getByRole('button', { name: 'Add a domain' });
    await add.click();
    await add.click();
    assert.equal(await add.isDisabled(), true);
    await page.getByLabel('Domain 2', { exact: true }).fill('b.example.com');
    await page.getByLabel('Domain 3', { exact: true }).fill('bad_name.example.com');
    await seeText(page.locator('#DomainList-1-error'), 'DomainList "bad_name.example.com" is not a valid domain name');
    await page.getByRole('button', { name: 'Remove domain 3' }).click();
    await seeText(page.locator('#domain-list-label'), '2 of 3 domains used');
    await page.locator('#CertificateDomain').fill('a.example.com');
    await page.locator('#ContactEmail').fill('ops@example.com');
    await shot(page, '14-submit-multi');
    await page.getByRole('button', { name: 'Submit information' }).click();
    await seeText(page.getByRole('status'), 'Information submitted');
    const detail = await client.DescribeCertificateDetail({ CertificateId: res.CertificateIds[0] });
    assert.deepEqual(detail.SubjectAltName, ['a.example.com', 'b.example.com']);
  });

  test('nothing broke the CSP or threw in the page, and the SecretKey never left it', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(sentSecretKey, []);
  });

  test("follows the browser's language: a Chinese browser gets the Chinese sign-in page", async () => {
    const zh = await browser.newContext({ locale: 'zh-CN' });
    const p = await zh.newPage();
    await p.goto(`${world.url}/console/`);
    await seeText(p.locator('h1'), '登录');
    await shot(p, '15-sign-in-zh');
    await zh.close();
  });

  test('signs in and reaches a certificate with the keyboard alone', async () => {
    const kb = await browser.newContext({ locale: 'en-US' });
    const p = await kb.newPage();
    await p.goto(`${world.url}/console/`);
    await seeText(p.locator('h1'), 'Sign in');
    // The page opens with focus on its heading; the next Tab is the first field, and the skip link is first of all.
    await focusOn(p, 'page-title');
    await p.keyboard.press('Tab');
    await focusOn(p, 'secretId');
    assert.equal(await p.locator('a.skip').getAttribute('href'), '#main');
    await p.keyboard.type(world.account.secretId);
    await p.keyboard.press('Tab');
    await p.keyboard.type(world.account.secretKey);
    await p.keyboard.press('Enter');
    await seeText(p.locator('h1'), 'Certificates');
    await focusOn(p, 'page-title');
    await p.getByLabel('Search').focus();
    await p.keyboard.type(certificateId);
    await p.keyboard.press('Enter');
    const link = p.getByRole('link', { name: certificateId });
    await link.focus();
    await p.keyboard.press('Enter');
    await seeText(p.locator('h1'), `Certificate ${certificateId}`);
    await kb.close();
  });

  test('is usable on a 375 px wide screen: nothing overflows sideways', async () => {
    const narrow = await browser.newContext({ locale: 'en-US', viewport: { width: 375, height: 812 }, isMobile: true });
    const p = await narrow.newPage();
    await p.goto(`${world.url}/console/`);
    await p.getByLabel('SecretId').fill(world.account.secretId);
    await p.getByLabel('SecretKey').fill(world.account.secretKey);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await seeText(p.locator('#total'), /^Total: \d+$/);
    for (const [path, name] of [
      ['/certificates', '16-narrow-list'],
      [`/certificates/${certificateId}`, '17-narrow-detail'],
      ['/buy', '18-narrow-buy'],
    ]) {
      await p.goto(`${world.url}/console${path}`);
      await p.locator('h1').waitFor();
      await p.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
      const width = await p.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 375, `${path} is ${width}px wide`);
      await shot(p, name);
    }
    await narrow.close();
  });
});
