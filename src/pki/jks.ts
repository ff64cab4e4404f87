// Sun JKS keystores for Tomcat and other Java servers: one PrivateKeyEntry, its key sealed by Sun's KeyProtector.
// Written from the format as OpenJDK reads it (sun.security.provider.JavaKeyStore and KeyProtector); no orders here.

import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../errors.js';
import { der, readCertificates, readPrivateKeyFor } from './pfx.js';

export interface JksInput {
  /** The entry's name; lowercased, as Java's JKS stores every alias. */
  alias: string;
  /** PKCS#8, PKCS#1 or SEC1 PEM, unencrypted; must belong to the first certificate of chainPems. */
  privateKeyPem: string;
  /** The leaf first, then its issuers in order; each string may hold several PEM blocks. */
  chainPems: string[];
  storePassword: string;
  /** Seals the key entry; default storePassword (Tomcat assumes the two are equal unless told otherwise). */
  keyPassword?: string;
  /** The entry's creation date, ms since the epoch; default now. */
  now?: number;
}

const MAGIC = 0xfeedfeed;
const VERSION = 2; // version 2 names each certificate's type ("X.509"); version 1 did not
const PRIVATE_KEY_ENTRY = 1;
// Sun's proprietary key protection algorithm; JKS readers accept it (and PBEWithMD5AndTripleDES) for key entries.
const KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1';
// JavaKeyStore mixes this phrase into the integrity digest after the password.
const WHITENER = 'Mighty Aphrodite';
const SHA1_LEN = 20;

/** Builds a JKS holding one PrivateKeyEntry: the key and its certificate chain. */
export function buildJks(i: JksInput): Uint8Array {
  const alias = i.alias.toLowerCase();
  if (!alias) throw new DomainError('InvalidParam', 'a JKS alias must not be empty');
  const chain = readCertificates(i.chainPems);
  if (!chain.length) throw new DomainError('ParseError', 'a JKS key entry needs at least its own certificate');
  const pkcs8 = readPrivateKeyFor(i.privateKeyPem, chain[0]);

  const parts: Buffer[] = [u32(MAGIC), u32(VERSION), u32(1)];
  const sealed = protectKey(pkcs8, i.keyPassword ?? i.storePassword);
  parts.push(u32(PRIVATE_KEY_ENTRY), javaUtf(alias), u64(i.now ?? Date.now()), u32(sealed.length), sealed);
  parts.push(u32(chain.length));
  for (const cert of chain) parts.push(javaUtf('X.509'), u32(cert.length), cert);

  const body = Buffer.concat(parts);
  const digest = createHash('sha1')
    .update(passwordBytes(i.storePassword))
    .update(Buffer.from(WHITENER, 'utf8'))
    .update(body)
    .digest();
  return new Uint8Array(Buffer.concat([body, digest]));
}

/**
 * KeyProtector.protect: a SHA-1 keystream (d1 = SHA1(pw | salt), d_n = SHA1(pw | d_n-1)) XORed over the PKCS#8
 * key, framed as salt | ciphertext | SHA1(pw | plaintext), and wrapped in an EncryptedPrivateKeyInfo whose
 * algorithm is KEY_PROTECTOR_OID with NULL parameters (as keytool writes it).
 */
function protectKey(pkcs8: Buffer, password: string): Buffer {
  const pw = passwordBytes(password);
  const salt = randomBytes(SHA1_LEN);
  const stream = Buffer.alloc(pkcs8.length);
  let d = salt;
  for (let off = 0; off < pkcs8.length; off += SHA1_LEN) {
    d = createHash('sha1').update(pw).update(d).digest();
    d.copy(stream, off, 0, Math.min(SHA1_LEN, pkcs8.length - off));
  }
  const ciphertext = Buffer.alloc(pkcs8.length);
  for (let k = 0; k < pkcs8.length; k++) ciphertext[k] = pkcs8[k] ^ stream[k];
  const check = createHash('sha1').update(pw).update(pkcs8).digest();
  const encrypted = Buffer.concat([salt, ciphertext, check]);
  return der.seq(der.seq(der.oid(KEY_PROTECTOR_OID), der.null()), der.octets(encrypted));
}

/** Java's char[] password as bytes: each UTF-16 unit big-endian, no terminator. */
function passwordBytes(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2);
  for (let k = 0; k < password.length; k++) out.writeUInt16BE(password.charCodeAt(k), k * 2);
  return out;
}

/** DataOutputStream.writeUTF: a 16-bit byte count, then "modified UTF-8" (NUL as C0 80, surrogates one by one). */
function javaUtf(s: string): Buffer {
  const bytes: number[] = [];
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x01 && c <= 0x7f) bytes.push(c);
    else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (bytes.length > 0xffff) throw new DomainError('InvalidParam', 'a JKS alias must be under 64 KiB');
  return Buffer.concat([u16(bytes.length), Buffer.from(bytes)]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(Math.trunc(n)));
  return b;
}
