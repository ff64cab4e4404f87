import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as der from '../../src/pki/der.js';

describe('DER encoding', () => {
  test('OIDs encode as X.690 says, multi-byte arcs included', () => {
    assert.equal(der.oid('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
    assert.equal(der.oid('2.5.29.17').toString('hex'), '0603551d11');
    assert.equal(der.oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.throws(() => der.oid('1'), RangeError);
  });

  test('lengths use the short form below 128 bytes and the long form above', () => {
    assert.equal(der.tlv(0x04, Buffer.alloc(127)).subarray(0, 2).toString('hex'), '047f');
    assert.equal(der.tlv(0x04, Buffer.alloc(128)).subarray(0, 3).toString('hex'), '048180');
    assert.equal(der.tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c');
    assert.equal(der.tlv(0x04, Buffer.alloc(70000)).subarray(0, 5).toString('hex'), '0483011170');
  });

  test('a SET OF has its members in ascending order of their encodings; a SEQUENCE keeps its order', () => {
    const a = der.tlv(0x0c, Buffer.from('b'));
    const b = der.tlv(0x0c, Buffer.from('a'));
    assert.equal(der.set(a, b).toString('hex'), '3106' + '0c0161' + '0c0162');
    assert.equal(der.seq(a, b).toString('hex'), '3006' + '0c0162' + '0c0161');
  });
});
