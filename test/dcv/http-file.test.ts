import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, mock, test } from 'node:test';
import { FILE_PATH } from '../../src/dcv/challenge.js';
import { type CheckerOptions, createChecker } from '../../src/dcv/dcv.js';
import { type DnsServer, startDnsServer } from '../support/dns-server.js';
import { closedPort, selfSignedCert, startWebServer, type WebServer } from '../support/web-server.js';

const TOKEN = '20240305060708abcdefghijklmnopqrstuvwxyz';

describe('FILE check (strict)', () => {
  let dns: DnsServer;
  let web: WebServer;
  let tlsWeb: WebServer;
  let closed: number;
  let hostNo = 0;

  before(async () => {
    dns = await startDnsServer({
      records: {
        'private.test': { A: ['10.0.0.1'] },
        'metadata.test': { A: ['169.254.169.254'] },
        'both.test': { A: ['10.0.0.1'], AAAA: ['fd00::1'] },
        'v6.test': { AAAA: ['::1'] },
        'noaddr.test': { TXT: ['x'] },
      },
    });
    web = await startWebServer();
    tlsWeb = await startWebServer({ tls: await selfSignedCert('tls.test') });
    closed = await closedPort();
  });
  after(async () => {
    await Promise.all([dns.close(), web.close(), tlsWeb.close()]);
  });

  /** A fresh name that the test DNS points at 127.0.0.1. */
  function site(): string {
    const name = `site${++hostNo}.test`;
    dns.set(name, { A: ['127.0.0.1'] });
    return name;
  }

  function strict(over: Partial<CheckerOptions> = {}) {
    return createChecker({
      mode: 'strict',
      dnsServers: [dns.address],
      httpPort: web.port,
      httpsPort: closed,
      allowPrivateAddresses: true, // the test web server is on loopback
      timeoutMs: 1000,
      maxBytes: 1024,
      ...over,
    });
  }

  const fileUrl = (host: string, port = web.port, scheme = 'http') => `${scheme}://${host}:${port}${FILE_PATH}`;

  test('passes over http when the file holds the token (a trailing CRLF is fine)', async () => {
    const host = site();
    web.set(host, FILE_PATH, { body: `${TOKEN}\r\n` });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.deepEqual(result, { ok: true, detail: `GET ${fileUrl(host)} returned the expected content` });
    assert.deepEqual(web.requests.at(-1), { host, path: FILE_PATH });
  });

  test('a missing file fails with the status, after trying https too', async () => {
    const host = site();
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.equal(result.ok, false);
    assert.match(
      result.detail,
      new RegExp(
        `^http: GET ${esc(fileUrl(host))} answered 404; https: GET ${esc(fileUrl(host, closed, 'https'))} failed: .*ECONNREFUSED`,
      ),
    );
  });

  test('wrong content fails, naming what was found and what was expected', async () => {
    const host = site();
    web.set(host, FILE_PATH, { body: 'someone else' });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.equal(result.ok, false);
    assert.match(
      result.detail,
      new RegExp(`^http: GET ${esc(fileUrl(host))} returned "someone else", expected "${TOKEN}"; https: `),
    );
  });

  test('redirects that stay on the host are followed (relative and absolute, any path)', async () => {
    const host = site();
    web.set(host, FILE_PATH, { redirect: '/moved/fileauth.txt', status: 301 });
    web.set(host, '/moved/fileauth.txt', { redirect: `http://${host}:${web.port}/final.txt`, status: 307 });
    web.set(host, '/final.txt', { body: TOKEN });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.deepEqual(result, {
      ok: true,
      detail: `GET http://${host}:${web.port}/final.txt returned the expected content`,
    });
  });

  test('a redirect to another host fails without following it', async () => {
    const host = site();
    dns.set('evil.test', { A: ['127.0.0.1'] });
    web.set(host, FILE_PATH, { redirect: `http://evil.test:${web.port}/x` });
    web.set('evil.test', '/x', { body: TOKEN });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.equal(result.ok, false);
    assert.match(
      result.detail,
      new RegExp(`^http: redirect to http://evil\\.test:${web.port}/x leaves ${esc(host)}; https: `),
    );
    assert.equal(web.requests.filter((r) => r.host === 'evil.test').length, 0);
  });

  test('a redirect to another port fails', async () => {
    const host = site();
    web.set(host, FILE_PATH, { redirect: `http://${host}:${closed}/x` });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.match(
      result.detail,
      new RegExp(`^http: redirect to http://${esc(host)}:${closed}/x uses a port other than ${web.port}`),
    );
  });

  test('a redirect loop stops after 3 redirects', async () => {
    const host = site();
    web.set(host, FILE_PATH, { redirect: FILE_PATH });
    const result = await strict().check({ domain: host, method: 'FILE', token: TOKEN });
    assert.match(result.detail, new RegExp(`^http: GET ${esc(fileUrl(host))} redirected more than 3 times; https: `));
    assert.equal(web.requests.filter((r) => r.host === host).length, 4);
  });

  test('a slow server times out after timeoutMs', async () => {
    const host = site();
    web.set(host, FILE_PATH, { body: TOKEN, delayMs: 5000 });
    const started = Date.now();
    const result = await strict({ timeoutMs: 250 }).check({ domain: host, method: 'FILE', token: TOKEN });
    const took = Date.now() - started;
    assert.match(result.detail, new RegExp(`^http: GET ${esc(fileUrl(host))} timed out after 250 ms; https: `));
    assert.ok(took < 2000, `took ${took} ms`);
  });

  test('the time limit covers the whole chain of redirects', async () => {
    const host = site();
    web.set(host, FILE_PATH, { redirect: '/slow' });
    web.set(host, '/slow', { hang: true });
    const result = await strict({ timeoutMs: 250 }).check({ domain: host, method: 'FILE', token: TOKEN });
    assert.match(result.detail, new RegExp(`^http: GET http://${esc(host)}:${web.port}/slow timed out after 250 ms`));
  });

  test('a body larger than maxBytes is refused, declared or streamed', async () => {
    const declared = site();
    web.set(declared, FILE_PATH, { bytes: 100_000 });
    const a = await strict().check({ domain: declared, method: 'FILE', token: TOKEN });
    assert.match(a.detail, /^http: GET \S+ sent a body of 100000 bytes, over the limit of 1024; https: /);

    const streamed = site();
    web.set(streamed, FILE_PATH, { bytes: 100_000, chunked: true });
    const b = await strict().check({ domain: streamed, method: 'FILE', token: TOKEN });
    assert.match(b.detail, /^http: GET \S+ sent a body over the limit of 1024 bytes; https: /);
  });

  test('a name resolving to loopback is refused when private addresses are off, and checked when on', async () => {
    const host = site();
    web.set(host, FILE_PATH, { body: TOKEN });
    const before = web.requests.length;
    const refused = await strict({ allowPrivateAddresses: false }).check({
      domain: host,
      method: 'FILE',
      token: TOKEN,
    });
    assert.deepEqual(refused, {
      ok: false,
      detail: `${host} resolves only to addresses that are not public: 127.0.0.1 (loopback); checks of those are off (dcv.allowPrivateAddresses)`,
    });
    assert.equal(web.requests.length, before, 'no request reached the web server');
    const allowed = await strict({ allowPrivateAddresses: true }).check({ domain: host, method: 'FILE', token: TOKEN });
    assert.equal(allowed.ok, true, allowed.detail);
  });

  test('names resolving to 10.0.0.1, 169.254.169.254 or private IPv6 are refused without any connection attempt', async (t) => {
    const connect = mock.method(net.Socket.prototype, 'connect');
    t.after(() => connect.mock.restore());
    const checker = strict({ allowPrivateAddresses: false });
    const cases: [string, string][] = [
      ['private.test', '10.0.0.1 (private)'],
      ['metadata.test', '169.254.169.254 (link-local)'],
      ['both.test', '10.0.0.1 (private), fd00::1 (unique-local)'],
      ['v6.test', '::1 (loopback)'],
    ];
    for (const [domain, refused] of cases) {
      const result = await checker.check({ domain, method: 'FILE', token: TOKEN });
      assert.equal(result.ok, false);
      assert.equal(
        result.detail,
        `${domain} resolves only to addresses that are not public: ${refused}; checks of those are off (dcv.allowPrivateAddresses)`,
      );
    }
    assert.equal(connect.mock.callCount(), 0);
    // The spy does see connections: the same checker with private addresses on connects to loopback.
    const host = site();
    web.set(host, FILE_PATH, { body: TOKEN });
    assert.equal((await strict().check({ domain: host, method: 'FILE', token: TOKEN })).ok, true);
    assert.ok(connect.mock.callCount() >= 1);
  });

  test('a name without addresses fails clearly', async () => {
    const none = await strict().check({ domain: 'noaddr.test', method: 'FILE', token: TOKEN });
    assert.deepEqual(none, { ok: false, detail: 'noaddr.test has no A or AAAA record' });
    const nx = await strict().check({ domain: 'nxdomain.test', method: 'FILE', token: TOKEN });
    assert.deepEqual(nx, { ok: false, detail: 'nxdomain.test does not exist (NXDOMAIN)' });
  });

  test('falls back to https (self-signed certificate, SNI = the domain) when http has no file', async () => {
    const host = site();
    tlsWeb.set(host, FILE_PATH, { body: `${TOKEN}\n` });
    const result = await strict({ httpsPort: tlsWeb.port }).check({ domain: host, method: 'FILE', token: TOKEN });
    assert.deepEqual(result, {
      ok: true,
      detail: `GET ${fileUrl(host, tlsWeb.port, 'https')} returned the expected content`,
    });
    assert.deepEqual(tlsWeb.requests.at(-1), { host, path: FILE_PATH, sni: host });
  });

  test('follows a redirect from http to https on the same host', async () => {
    const host = site();
    web.set(host, FILE_PATH, { redirect: `https://${host}:${tlsWeb.port}${FILE_PATH}`, status: 301 });
    tlsWeb.set(host, FILE_PATH, { body: TOKEN });
    const result = await strict({ httpsPort: tlsWeb.port }).check({ domain: host, method: 'FILE', token: TOKEN });
    assert.equal(result.ok, true, result.detail);
    assert.equal(web.requests.filter((r) => r.host === host).length, 1, 'http was asked once, then https answered');
  });

  test('a wildcard domain cannot be proven by FILE, and nothing is looked up', async () => {
    const asked = dns.queries.length;
    const result = await strict().check({ domain: '*.site.test', method: 'FILE', token: TOKEN });
    assert.deepEqual(result, {
      ok: false,
      detail: '*.site.test is a wildcard domain; a file cannot prove it, use DNS',
    });
    assert.equal(dns.queries.length, asked);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
