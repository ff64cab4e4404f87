// PKCS#12 (RFC 7292) files for IIS and other PFX consumers, plus the small DER writer and PEM reading that the
// keystore packagers (jks.ts) and the download builder (export.ts) share. Knows no orders, storage or wire names.

import {
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  pbkdf2Sync,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { DomainError } from '../errors.js';

export interface PfxInput {
  /** PKCS#8, PKCS#1 or SEC1 PEM, unencrypted; must belong to certPem. */
  privateKeyPem: string;
  certPem: string;
  /** Issuers of certPem, the leaf's issuer first; each string may hold several PEM blocks. */
  chainPems: string[];
  password: string;
  /** Shown by Windows' certificate store and by `openssl pkcs12 -info`; attached to the key and leaf. */
  friendlyName?: string;
}

/*
 * What OpenSSL 3 writes by default (`openssl pkcs12 -export`), and so what it reads without the legacy provider:
 * key and certificates each under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), and an HMAC-SHA256 MAC keyed by the
 * PKCS#12 KDF. Windows imports this since Windows 10 1709 / Server 2019 (certutil calls it "AES256-SHA256"), and
 * Java's keytool reads it. Server 2016 and older import only the TripleDES-SHA1 PFX, which we do not write: its
 * SHA-1 PBE and RC2/3DES need OpenSSL 3's legacy provider.
 *
 * The count is OpenSSL's default, 2,048, for all three. The MAC's PKCS#12 KDF is a plain hash chain that node can
 * only run one createHash at a time (about 35 µs each under OpenSSL 3 on a slow host), on the event loop; 10,000
 * rounds cost a third of a second there. A guesser attacks the cheapest of the three, so raising only the
 * native PBKDF2 counts would buy nothing. Generated passwords carry about 95 bits, so the count matters only for a
 * customer's own KeyPassword.
 */
export const PFX_ITERATIONS = 2048;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Builds a password-protected PKCS#12 holding the key, certPem and its chain. */
export function buildPfx(i: PfxInput): Uint8Array {
  const [leaf, ...rest] = readCertificates([i.certPem]);
  if (!leaf || rest.length) throw new DomainError('ParseError', 'certPem must hold exactly one certificate');
  const chain = readCertificates(i.chainPems);
  const pkcs8 = readPrivateKeyFor(i.privateKeyPem, leaf);

  const leafAttrs = [attribute(OID.localKeyId, der.octets(createHash('sha1').update(leaf).digest()))];
  if (i.friendlyName !== undefined) leafAttrs.push(attribute(OID.friendlyName, der.bmp(i.friendlyName)));

  const certBags = [leaf, ...chain].map((cert, n) =>
    safeBag(
      OID.certBag,
      der.seq(der.oid(OID.x509Certificate), der.explicit(0, der.octets(cert))),
      n === 0 ? leafAttrs : [],
    ),
  );
  const certs = pbes2Encrypt(der.seq(...certBags), i.password);
  const certsInfo = der.seq(
    der.oid(OID.encryptedData),
    der.explicit(0, der.seq(der.int(0), der.seq(der.oid(OID.data), certs.algorithm, der.tlv(0x80, certs.ciphertext)))),
  );

  const key = pbes2Encrypt(pkcs8, i.password);
  const keyBag = safeBag(OID.pkcs8ShroudedKeyBag, der.seq(key.algorithm, der.octets(key.ciphertext)), leafAttrs);
  const keyInfo = der.seq(der.oid(OID.data), der.explicit(0, der.octets(der.seq(keyBag))));

  const authSafe = der.seq(certsInfo, keyInfo);
  const macSalt = randomBytes(16);
  const macKey = pkcs12Kdf('sha256', i.password, macSalt, 3, PFX_ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  const macData = der.seq(
    der.seq(der.seq(der.oid(OID.sha256), der.null()), der.octets(mac)),
    der.octets(macSalt),
    der.int(PFX_ITERATIONS),
  );
  return new Uint8Array(
    der.seq(der.int(3), der.seq(der.oid(OID.data), der.explicit(0, der.octets(authSafe))), macData),
  );
}

function safeBag(bagId: string, value: Buffer, attrs: Buffer[]): Buffer {
  return der.seq(der.oid(bagId), der.explicit(0, value), ...(attrs.length ? [der.set(...attrs)] : []));
}

function attribute(type: string, value: Buffer): Buffer {
  return der.seq(der.oid(type), der.set(value));
}

/** PBES2 (RFC 8018 §6.2) with PBKDF2-HMAC-SHA256 and AES-256-CBC; the password enters PBKDF2 as UTF-8, as in OpenSSL. */
function pbes2Encrypt(plain: Buffer, password: string): { algorithm: Buffer; ciphertext: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, PFX_ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = der.seq(
    der.oid(OID.pbes2),
    der.seq(
      der.seq(
        der.oid(OID.pbkdf2),
        der.seq(der.octets(salt), der.int(PFX_ITERATIONS), der.seq(der.oid(OID.hmacWithSha256), der.null())),
      ),
      der.seq(der.oid(OID.aes256Cbc), der.octets(iv)),
    ),
  );
  return { algorithm, ciphertext };
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2), used here only for the MAC key (id 3). The password is a
 * BMPString with its two-byte terminator, as the RFC and OpenSSL have it.
 */
function pkcs12Kdf(
  hash: 'sha256',
  password: string,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
): Buffer {
  const u = 32;
  const v = 64;
  const fill = (b: Buffer) => {
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let k = 0; k < out.length; k++) out[k] = b[k % b.length];
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(Buffer.concat([utf16be(password), Buffer.alloc(2)]))]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let done = 0; done < length; done += u) {
    let a = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    out.push(a);
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block, with B the digest repeated to v bytes.
    const B = fill(a);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

function utf16be(s: string): Buffer {
  const out = Buffer.alloc(s.length * 2);
  for (let k = 0; k < s.length; k++) out.writeUInt16BE(s.charCodeAt(k), k * 2);
  return out;
}

/**
 * Every CERTIFICATE block in the PEM strings, in order, as DER. Each is parsed, so junk is DomainError('ParseError')
 * here rather than an unreadable file in a customer's download.
 */
export function readCertificates(pems: string[]): Buffer[] {
  return pems.flatMap((pem) => {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (!blocks.length) throw new DomainError('ParseError', 'a certificate PEM holds no CERTIFICATE block');
    return blocks.map((block) => {
      try {
        return new X509Certificate(block).raw;
      } catch {
        throw new DomainError('ParseError', 'a certificate could not be read');
      }
    });
  });
}

/**
 * The private key as PKCS#8 DER, after checking it is the other half of the certificate (DER) it will be packed
 * with: DomainError('ParseError') if unreadable, DomainError('Mismatch') if it belongs to another certificate.
 */
export function readPrivateKeyFor(privateKeyPem: string, certDer: Buffer): Buffer {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new DomainError('ParseError', 'the private key could not be read');
  }
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(new X509Certificate(certDer).publicKey))) {
    throw new DomainError('Mismatch', 'the private key does not belong to the certificate');
  }
  return key.export({ type: 'pkcs8', format: 'der' });
}

/** A DER writer for the few types PKCS#12 and JKS need; nothing here parses. */
export const der = {
  tlv(tag: number, ...parts: Uint8Array[]): Buffer {
    const body = Buffer.concat(parts);
    const len: number[] = [];
    for (let n = body.length; n > 0; n = Math.floor(n / 256)) len.unshift(n & 0xff);
    const header = body.length < 0x80 ? [tag, body.length] : [tag, 0x80 | len.length, ...len];
    return Buffer.concat([Buffer.from(header), body]);
  },
  seq: (...parts: Uint8Array[]) => der.tlv(0x30, ...parts),
  /** SET OF: DER orders the members by their encodings (X.690 §11.6). */
  set: (...parts: Buffer[]) => der.tlv(0x31, ...[...parts].sort(Buffer.compare)),
  explicit: (n: number, ...parts: Uint8Array[]) => der.tlv(0xa0 | n, ...parts),
  octets: (b: Uint8Array) => der.tlv(0x04, b),
  null: () => Buffer.from([0x05, 0x00]),
  bmp: (s: string) => der.tlv(0x1e, utf16be(s)),
  int(n: number): Buffer {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    if (!bytes.length || bytes[0] & 0x80) bytes.unshift(0);
    return der.tlv(0x02, Buffer.from(bytes));
  },
  oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split('.').map(Number);
    const out = [40 * a + b];
    for (const arc of rest) {
      const base128 = [arc & 0x7f];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f));
      out.push(...base128);
    }
    return der.tlv(0x06, Buffer.from(out));
  },
};
