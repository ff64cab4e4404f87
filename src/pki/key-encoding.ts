// PKCS#8 and SPKI encodings of a freshly generated key, written from its JWK. Exporting a KeyObject to PEM goes through
// OpenSSL 3's encoder framework, which took a fifth of an online ECDSA Submit; the JWK export is a copy of the numbers,
// and the DER around them is fixed. The output is byte-for-byte what node's own export gives
// (test/pki/key-encoding.test.ts), so either may be read back by anything.

import type { JsonWebKey } from 'node:crypto';
import * as der from './der.js';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const CURVES: Record<string, { oid: string; bytes: number }> = {
  'P-256': { oid: '1.2.840.10045.3.1.7', bytes: 32 },
  'P-384': { oid: '1.3.132.0.34', bytes: 48 },
};

const b64u = (s: string | undefined): Buffer => {
  if (typeof s !== 'string') throw new TypeError('incomplete JWK');
  return Buffer.from(s, 'base64url');
};

/** A DER INTEGER of an unsigned big-endian number: minimal, with a 0 byte in front when the top bit is set. */
function uint(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return der.tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.of(0), v]) : v);
}

/** A fixed-width field element, left-padded: JWK coordinates are already that width, but be exact. */
function fixed(bytes: Buffer, width: number): Buffer {
  if (bytes.length > width) throw new RangeError('JWK coordinate too long');
  return bytes.length === width ? bytes : Buffer.concat([Buffer.alloc(width - bytes.length), bytes]);
}

/** PKCS#8 (PrivateKeyInfo) and SPKI DER of an RSA or EC (P-256, P-384) private JWK; null for anything else. */
export function encodeJwk(jwk: JsonWebKey): { pkcs8: Buffer; spki: Buffer } | null {
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && CURVES[jwk.crv]) {
    const curve = CURVES[jwk.crv];
    const point = Buffer.concat([Buffer.of(4), fixed(b64u(jwk.x), curve.bytes), fixed(b64u(jwk.y), curve.bytes)]);
    const algorithm = der.seq(der.oid(EC_PUBLIC_KEY), der.oid(curve.oid));
    const publicKey = der.tlv(0x03, Buffer.of(0), point);
    const ecPrivateKey = der.seq(
      der.tlv(0x02, Buffer.of(1)),
      der.tlv(0x04, fixed(b64u(jwk.d), curve.bytes)),
      der.tlv(0xa1, publicKey),
    );
    return {
      pkcs8: der.seq(der.tlv(0x02, Buffer.of(0)), algorithm, der.tlv(0x04, ecPrivateKey)),
      spki: der.seq(algorithm, publicKey),
    };
  }
  if (jwk.kty === 'RSA') {
    const algorithm = der.seq(der.oid(RSA_ENCRYPTION), der.NULL);
    const [n, e, d, p, q, dp, dq, qi] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map((x) =>
      uint(b64u(x)),
    );
    const rsaPrivateKey = der.seq(der.tlv(0x02, Buffer.of(0)), n, e, d, p, q, dp, dq, qi);
    return {
      pkcs8: der.seq(der.tlv(0x02, Buffer.of(0)), algorithm, der.tlv(0x04, rsaPrivateKey)),
      spki: der.seq(algorithm, der.tlv(0x03, Buffer.of(0), der.seq(n, e))),
    };
  }
  return null;
}
