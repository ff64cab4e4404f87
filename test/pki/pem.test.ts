import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toPem } from '../../src/pki/pem.js';

/** The form OpenSSL writes: 64-character lines, the last one shorter, no empty line. */
const reference = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`;

test('PEM of any bytes, any length around the 48-byte line boundaries, and of a view into a larger buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(8), (bytes, skip) => {
      assert.equal(toPem('X', bytes), reference('X', bytes));
      const view = bytes.subarray(Math.min(skip, bytes.length - 1));
      assert.equal(toPem('CERTIFICATE', view), reference('CERTIFICATE', view));
    }),
    { numRuns: 2000 },
  );
  for (const n of [47, 48, 49, 96]) assert.equal(toPem('K', new Uint8Array(n)), reference('K', new Uint8Array(n)));
});
