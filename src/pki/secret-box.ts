// Secrets at rest (SecretKeys, private keys, key passwords, CA keys): AES-256-GCM under one 32-byte master key,
// and the master key's file. Knows nothing of what it seals, and never puts a secret or key into a message.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 'v1.';
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends; random per seal
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== KEY_BYTES) throw new Error(`master key must be ${KEY_BYTES} bytes`);
    this.#key = Buffer.from(masterKey); // a copy: the caller may wipe or reuse its buffer
  }

  /** Returns 'v1.' + base64url(iv | tag | ciphertext). The aad binds the secret to its place (e.g. a row id). */
  seal(plaintext: string | Uint8Array, aad?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  /** Throws Error('secret could not be decrypted') on any tampering, wrong key or wrong aad. */
  open(sealed: string, aad?: string): Buffer {
    try {
      if (typeof sealed !== 'string' || !sealed.startsWith(VERSION)) throw new Error();
      const body = sealed.slice(VERSION.length);
      const raw = Buffer.from(body, 'base64url');
      // Buffer.from skips bad characters and ignores a last character's spare bits: demand the canonical form,
      // so every change to the string is a change to the bytes.
      if (raw.length < IV_BYTES + TAG_BYTES || raw.toString('base64url') !== body) throw new Error();
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error('secret could not be decrypted');
    }
  }

  openString(sealed: string, aad?: string): string {
    return this.open(sealed, aad).toString('utf8');
  }
}

/**
 * The master key: keyHex from config wins (empty counts as absent, as config's default is ''); else the file,
 * hex; else a new random key written to the file with mode 0600. Creation uses flag 'wx', so of two processes
 * starting together one writes and the other reads what was written.
 */
export function loadOrCreateMasterKey(opts: { keyHex?: string; file: string }): Buffer {
  if (opts.keyHex !== undefined && opts.keyHex !== '') {
    if (!KEY_HEX.test(opts.keyHex)) throw new Error('master key from config must be 64 hex characters (32 bytes)');
    return Buffer.from(opts.keyHex, 'hex');
  }
  const existing = readKeyFile(opts.file);
  if (existing) return existing;
  const hex = randomBytes(KEY_BYTES).toString('hex');
  mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(opts.file, hex + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create master key file ${opts.file}`);
    return readKeyFileWhenWritten(opts.file);
  }
  return Buffer.from(hex, 'hex');
}

/** The key in the file, or null if there is no file; throws naming the file (never the content) if it is bad. */
function readKeyFile(file: string): Buffer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read master key file ${file}`);
  }
  if (!KEY_HEX.test(text)) throw new Error(`master key file ${file} must hold 64 hex characters (32 bytes)`);
  return Buffer.from(text, 'hex');
}

// The racing winner opens the file before it writes 65 bytes, so we may see it empty for a moment: wait briefly
// (this runs once, at startup) rather than mistake a file being written for a bad one.
function readKeyFileWhenWritten(file: string): Buffer {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (readFileSync(file, 'utf8').trim() !== '') break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  const key = readKeyFile(file);
  if (!key) throw new Error(`master key file ${file} disappeared while being read`);
  return key;
}
