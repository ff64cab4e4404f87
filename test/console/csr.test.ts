// The console's CSR preview reads what openssl writes: common name, organisation, SAN dNSNames, key and signature.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readCsr } from '../../console/src/csr.js';
import { makeCsr } from '../support/openssl.js';

describe('console CSR preview', () => {
  test('reads an RSA 2048 CSR with SANs', async () => {
    const { csr } = await makeCsr({
      key: 'rsa:2048',
      subject: '/CN=www.example.com/O=Example Ltd/C=CN',
      sans: ['www.example.com', 'API.example.com'],
    });
    assert.deepEqual(readCsr(csr), {
      commonName: 'www.example.com',
      organization: 'Example Ltd',
      dnsNames: ['www.example.com', 'api.example.com'],
      key: 'RSA 2048',
      signatureAlgorithm: 'sha256WithRSAEncryption',
    });
  });

  test('reads an EC P-384 CSR without SANs, signed with SHA-384', async () => {
    const { csr } = await makeCsr({ key: 'ec:P-384', subject: '/CN=ec.example.org', digest: 'sha384' });
    assert.deepEqual(readCsr(csr), {
      commonName: 'ec.example.org',
      organization: null,
      dnsNames: [],
      key: 'EC P-384',
      signatureAlgorithm: 'ecdsa-with-SHA384',
    });
  });

  test('says why something is not a CSR instead of throwing', () => {
    assert.deepEqual(readCsr('hello'), { error: 'no "BEGIN CERTIFICATE REQUEST" block' });
    const broken = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjAN\n-----END CERTIFICATE REQUEST-----';
    assert.ok('error' in readCsr(broken));
  });
});
