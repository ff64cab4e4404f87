import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canProveByFile,
  DNS_HOST_LABEL,
  dnsChallenge,
  FILE_PATH,
  fileChallenge,
  isWildcard,
  newToken,
} from '../../src/dcv/challenge.js';
import { DomainError } from '../../src/errors.js';

describe('newToken', () => {
  test('is a UTC yyyymmddhhmmss stamp followed by 26 base32 characters (128 random bits)', () => {
    const token = newToken(new Date('2024-03-05T06:07:08.900Z'));
    assert.match(token, /^20240305060708[a-z2-7]{26}$/);
  });

  test('never repeats', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => newToken()));
    assert.equal(tokens.size, 2000);
  });

  test('the last base32 character carries only the 2 remaining bits', () => {
    // 128 bits = 25 × 5 + 3: the 26th character holds 3 bits shifted left by 2, so its low 2 bits are zero.
    for (let i = 0; i < 200; i++) {
      const last = newToken().at(-1)!;
      assert.equal('abcdefghijklmnopqrstuvwxyz234567'.indexOf(last) & 3, 0);
    }
  });
});

describe('dnsChallenge', () => {
  test('puts the token in a TXT record at _dnsauth.<domain>', () => {
    assert.deepEqual(dnsChallenge('www.example.com', 'tok'), {
      recordName: '_dnsauth.www.example.com',
      hostLabel: DNS_HOST_LABEL,
      baseDomain: 'www.example.com',
      value: 'tok',
    });
    assert.equal(DNS_HOST_LABEL, '_dnsauth');
  });

  test('a wildcard is proven at its base name', () => {
    const ch = dnsChallenge('*.example.com', 'tok');
    assert.equal(ch.recordName, '_dnsauth.example.com');
    assert.equal(ch.baseDomain, 'example.com');
  });

  test('names are compared lower case without a trailing dot', () => {
    assert.equal(dnsChallenge('WWW.Example.COM.', 't').recordName, '_dnsauth.www.example.com');
  });
});

describe('fileChallenge', () => {
  test('asks for /.well-known/pki-validation/fileauth.txt holding the token', () => {
    assert.deepEqual(fileChallenge('a.example.com', 'tok'), {
      path: '/.well-known/pki-validation/fileauth.txt',
      dir: '/.well-known/pki-validation/',
      fileName: 'fileauth.txt',
      urlHttp: 'http://a.example.com/.well-known/pki-validation/fileauth.txt',
      urlHttps: 'https://a.example.com/.well-known/pki-validation/fileauth.txt',
      content: 'tok',
    });
    assert.equal(FILE_PATH, '/.well-known/pki-validation/fileauth.txt');
  });

  test('a wildcard domain cannot be proven by a file', () => {
    assert.equal(isWildcard('*.example.com'), true);
    assert.equal(canProveByFile('*.example.com'), false);
    assert.equal(canProveByFile('example.com'), true);
    assert.throws(
      () => fileChallenge('*.example.com', 'tok'),
      (e: unknown) => e instanceof DomainError && e.kind === 'InvalidParam' && /wildcard.*use DNS/.test(e.message),
    );
  });
});
