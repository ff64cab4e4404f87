import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CheckerOptions, createChecker } from '../../src/dcv/dcv.js';
import { type DnsServer, startDnsServer } from '../support/dns-server.js';

const TOKEN = '20240305060708abcdefghijklmnopqrstuvwxyz';

function strict(dns: DnsServer, over: Partial<CheckerOptions> = {}) {
  return createChecker({
    mode: 'strict',
    dnsServers: [dns.address],
    httpPort: 1,
    httpsPort: 1,
    allowPrivateAddresses: false,
    timeoutMs: 1000,
    maxBytes: 1024,
    ...over,
  });
}

describe('DNS check (strict)', () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer({
      records: {
        '_dnsauth.ok.test': { TXT: ['v=spf1 -all', TOKEN] },
        '_dnsauth.wrong.test': { TXT: ['20240101000000stale'] },
        '_dnsauth.split.test': { TXT: [[TOKEN.slice(0, 10), TOKEN.slice(10)]] },
        '_dnsauth.wild.test': { TXT: [TOKEN] },
        '_dnsauth.empty.test': { A: ['192.0.2.1'] },
      },
    });
  });
  after(() => dns.close());

  test('passes when a TXT record at _dnsauth.<domain> holds the token', async () => {
    const result = await strict(dns).check({ domain: 'ok.test', method: 'DNS', token: TOKEN });
    assert.deepEqual(result, { ok: true, detail: `TXT _dnsauth.ok.test has "${TOKEN}"` });
    assert.deepEqual(dns.queries.at(-1), { name: '_dnsauth.ok.test', type: 'TXT' });
  });

  test('joins the character-strings of one TXT record', async () => {
    const result = await strict(dns).check({ domain: 'split.test', method: 'DNS', token: TOKEN });
    assert.equal(result.ok, true, result.detail);
  });

  test('looks up a wildcard at its base name, whatever the case', async () => {
    const result = await strict(dns).check({ domain: '*.WILD.test', method: 'DNS', token: TOKEN });
    assert.equal(result.ok, true, result.detail);
    assert.deepEqual(dns.queries.at(-1), { name: '_dnsauth.wild.test', type: 'TXT' });
  });

  test('a wrong value fails, naming what was found and what was expected', async () => {
    const result = await strict(dns).check({ domain: 'wrong.test', method: 'DNS', token: TOKEN });
    assert.deepEqual(result, {
      ok: false,
      detail: `TXT _dnsauth.wrong.test has "20240101000000stale", expected "${TOKEN}"`,
    });
  });

  test('a missing record fails as NXDOMAIN', async () => {
    const result = await strict(dns).check({ domain: 'nope.test', method: 'DNS', token: TOKEN });
    assert.deepEqual(result, { ok: false, detail: '_dnsauth.nope.test does not exist (NXDOMAIN)' });
  });

  test('a name with other records but no TXT fails as such', async () => {
    const result = await strict(dns).check({ domain: 'empty.test', method: 'DNS', token: TOKEN });
    assert.deepEqual(result, { ok: false, detail: '_dnsauth.empty.test has no TXT record' });
  });

  test('a DNS server that never answers times out after timeoutMs', async () => {
    const silent = await startDnsServer({ silent: true });
    try {
      const started = Date.now();
      const result = await strict(silent, { timeoutMs: 250 }).check({ domain: 'ok.test', method: 'DNS', token: TOKEN });
      const took = Date.now() - started;
      assert.deepEqual(result, { ok: false, detail: 'DNS query for TXT _dnsauth.ok.test timed out after 250 ms' });
      assert.ok(took >= 200 && took < 2000, `took ${took} ms`);
      assert.ok(silent.queries.length >= 1, 'the query reached the server');
    } finally {
      await silent.close();
    }
  });
});
