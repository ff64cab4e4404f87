// Reads a pasted PKCS#10 CSR (RFC 2986) far enough to show what it asks for: common name, subjectAltName dNSNames,
// key type and size, signature algorithm. A small DER walker instead of an X.509 library keeps the bundle small;
// the server parses and verifies the CSR for real (src/pki/csr.ts) when it is submitted.

export interface CsrSummary {
  commonName: string | null;
  organization: string | null;
  dnsNames: string[];
  /** 'RSA 2048', 'EC P-256', or the algorithm's OID when unknown. */
  key: string;
  signatureAlgorithm: string;
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
  next: number;
}

const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.2.156.10197.1.301': 'SM2',
};
const SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
};
const RSA = '1.2.840.113549.1.1.1';
const EC = '1.2.840.10045.2.1';
const CN = '2.5.4.3';
const O = '2.5.4.10';
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SAN = '2.5.29.17';

class DerError extends Error {}

function tlv(der: Uint8Array, pos: number, limit = der.length): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated');
  const tag = der[pos];
  let len = der[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let k = 0; k < n; k++) len = (len << 8) | der[start + k];
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, start, end, next: end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.start; pos < parent.end; ) {
    const child = tlv(der, pos, parent.end);
    out.push(child);
    pos = child.next;
  }
  return out;
}

function oid(der: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.start) throw new DerError('expected an OID');
  const first = der[t.start];
  const parts = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let value = 0;
  for (let k = t.start + 1; k < t.end; k++) {
    value = value * 128 + (der[k] & 0x7f);
    if (!(der[k] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function text(der: Uint8Array, t: Tlv): string {
  const bytes = der.subarray(t.start, t.end);
  if (t.tag === 0x1e) {
    let s = '';
    for (let k = 0; k + 1 < bytes.length; k += 2) s += String.fromCharCode((bytes[k] << 8) | bytes[k + 1]);
    return s;
  }
  if (t.tag === 0x14) return String.fromCharCode(...bytes);
  return new TextDecoder().decode(bytes);
}

function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(
    pem,
  );
  if (!m) throw new DerError('no "BEGIN CERTIFICATE REQUEST" block');
  const b64 = m[1].replace(/\s+/g, '');
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function bitLength(der: Uint8Array, integer: Tlv): number {
  let k = integer.start;
  while (k < integer.end && der[k] === 0) k++;
  if (k === integer.end) return 0;
  return (integer.end - k - 1) * 8 + (32 - Math.clz32(der[k]));
}

/** What the CSR asks for, or an English reason why it cannot be read. */
export function readCsr(pem: string): CsrSummary | { error: string } {
  try {
    const der = pemToDer(pem);
    const top = tlv(der, 0);
    const [info, sigAlg] = children(der, top);
    const [, subject, spki, attrs] = children(der, info);
    let commonName: string | null = null;
    let organization: string | null = null;
    for (const rdn of children(der, subject)) {
      for (const atv of children(der, rdn)) {
        const [type, value] = children(der, atv);
        const id = oid(der, type);
        if (id === CN && commonName === null) commonName = text(der, value);
        if (id === O && organization === null) organization = text(der, value);
      }
    }
    const [alg, bits] = children(der, spki);
    const [algOid, params] = children(der, alg);
    const keyAlg = oid(der, algOid);
    let key = keyAlg;
    if (keyAlg === RSA) {
      // BIT STRING: one byte of unused bits, then RSAPublicKey ::= SEQUENCE { modulus, publicExponent }.
      const rsa = tlv(der, bits.start + 1, bits.end);
      key = `RSA ${bitLength(der, children(der, rsa)[0])}`;
    } else if (keyAlg === EC && params?.tag === 0x06) {
      key = `EC ${CURVES[oid(der, params)] ?? oid(der, params)}`;
    }
    const dnsNames: string[] = [];
    if (attrs && attrs.tag === 0xa0) {
      for (const attr of children(der, attrs)) {
        const [type, values] = children(der, attr);
        if (oid(der, type) !== EXTENSION_REQUEST) continue;
        for (const extensions of children(der, values)) {
          for (const ext of children(der, extensions)) {
            const parts = children(der, ext);
            if (oid(der, parts[0]) !== SAN) continue;
            const octets = parts[parts.length - 1];
            for (const name of children(der, tlv(der, octets.start, octets.end))) {
              if (name.tag === 0x82) dnsNames.push(text(der, name).toLowerCase());
            }
          }
        }
      }
    }
    const sigOid = oid(der, children(der, sigAlg)[0]);
    return { commonName, organization, dnsNames, key, signatureAlgorithm: SIGNATURES[sigOid] ?? sigOid };
  } catch (e) {
    return { error: e instanceof DerError ? e.message : 'not a readable PKCS#10 request' };
  }
}
