import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, mock, test } from 'node:test';
import { createChecker } from '../../src/dcv/dcv.js';

const base = {
  dnsServers: [],
  httpPort: 80,
  httpsPort: 443,
  allowPrivateAddresses: false,
  timeoutMs: 5000,
  maxBytes: 65536,
};

describe('createChecker', () => {
  test('auto mode passes every check at once, without touching the network', async (t) => {
    const connect = mock.method(net.Socket.prototype, 'connect');
    t.after(() => connect.mock.restore());
    // Servers that could not even be parsed: auto mode never builds a resolver.
    const checker = createChecker({ ...base, mode: 'auto', dnsServers: ['not an address'] });
    for (const ch of [
      { domain: 'example.com', method: 'DNS' as const, token: 't' },
      { domain: '*.example.com', method: 'DNS' as const, token: 't' },
      { domain: 'example.com', method: 'FILE' as const, token: 't' },
    ]) {
      assert.deepEqual(await checker.check(ch), { ok: true, detail: 'validation mode is auto' });
    }
    assert.equal(connect.mock.callCount(), 0);
  });

  test('strict mode refuses malformed DNS servers at construction', () => {
    assert.throws(() => createChecker({ ...base, mode: 'strict', dnsServers: ['not an address'] }), /dcv\.dnsServers/);
  });

  test('strict mode accepts IP and IP:PORT servers', () => {
    createChecker({ ...base, mode: 'strict', dnsServers: ['127.0.0.1', '127.0.0.1:5353', '[::1]:53'] });
  });

  test('an unknown method fails instead of throwing', async () => {
    const checker = createChecker({ ...base, mode: 'strict', dnsServers: ['127.0.0.1:1'] });
    const result = await checker.check({ domain: 'a.test', method: 'EMAIL' as never, token: 't' });
    assert.deepEqual(result, { ok: false, detail: 'unknown validation method "EMAIL"' });
  });
});
