// Key pairs: generation off the event loop, and the one door to @peculiar/x509 and the WebCrypto keys it signs with.
// Knows nothing of orders, storage or the wire; callers seal private keys (SecretBox) before they keep them.

import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { DomainError } from '../errors.js';
import { encodeJwk } from './key-encoding.js';
import { toPem } from './pem.js';

export type KeyAlgorithm = 'RSA' | 'ECC';
export type EcCurve = 'P-256' | 'P-384';

export interface KeySpec {
  algorithm: KeyAlgorithm;
  /** RSA modulus size; default 2048. */
  rsaBits?: number;
  /** EC curve; default P-256. */
  curve?: EcCurve;
}

/** A KeySpec with its defaults filled in: RSA specs carry rsaBits, ECC specs carry curve. */
export type ResolvedKeySpec =
  | { algorithm: 'RSA'; rsaBits: number; curve?: undefined }
  | { algorithm: 'ECC'; curve: EcCurve; rsaBits?: undefined };

export interface GeneratedKey {
  /** PKCS#8 PEM, unencrypted: seal it before storing. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  spec: ResolvedKeySpec;
  /** the private key as generated, when it was generated here: signing with it skips reading the PEM back */
  privateKey?: KeyObject;
}

export type SigningHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** What @peculiar/x509's generators take: a WebCrypto key pair and the algorithm to sign with. */
export interface WebCryptoSigner {
  keys: webcrypto.CryptoKeyPair;
  signingAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;
}

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 8192;

// Node's names for the curves (OpenSSL's); 'P-256' works too, but these also match asymmetricKeyDetails.
export const NODE_CURVE: Readonly<Record<EcCurve, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };

/** A freshly generated key pair, as OpenSSL's objects. */
export interface KeyPairObjects {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A key pair as KeyObjects on libuv's threadpool (node's async generateKeyPair), so the event loop keeps turning.
 * Kept as objects rather than PEM: signing with a key read back from PEM costs most of a millisecond in OpenSSL 3's
 * decoders, far more than exporting the PEM once from the object.
 */
export function generateKeyPairObjects(spec: ResolvedKeySpec): Promise<KeyPairObjects> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      err ? reject(err) : resolve({ privateKey, publicKey });
    if (spec.algorithm === 'RSA')
      generateKeyPair('rsa', { modulusLength: spec.rsaBits, publicExponent: 0x10001 }, done);
    else generateKeyPair('ec', { namedCurve: NODE_CURVE[spec.curve] }, done);
  });
}

/** Fills in defaults and refuses what the service will not issue for (Unsupported). */
export function resolveKeySpec(spec: KeySpec): ResolvedKeySpec {
  if (spec.algorithm === 'RSA') {
    const rsaBits = spec.rsaBits ?? 2048;
    if (!Number.isInteger(rsaBits) || rsaBits < RSA_MIN_BITS || rsaBits > RSA_MAX_BITS || rsaBits % 8 !== 0) {
      throw new DomainError('Unsupported', `RSA keys must be ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits, a multiple of 8`);
    }
    return { algorithm: 'RSA', rsaBits };
  }
  if (spec.algorithm === 'ECC') {
    const curve = spec.curve ?? 'P-256';
    if (curve !== 'P-256' && curve !== 'P-384') {
      throw new DomainError('Unsupported', 'ECC keys must use P-256 or P-384');
    }
    return { algorithm: 'ECC', curve };
  }
  throw new DomainError('Unsupported', 'key algorithm must be RSA or ECC');
}

/**
 * Generates a key pair, by default on libuv's threadpool; `pairs` may make it elsewhere (key-threads.ts), so long as
 * it hands back KeyObjects.
 */
export async function generateKey(
  spec: KeySpec,
  pairs: (spec: ResolvedKeySpec) => Promise<KeyPairObjects> = generateKeyPairObjects,
): Promise<GeneratedKey> {
  const resolved = resolveKeySpec(spec);
  const { privateKey, publicKey } = await pairs(resolved);
  // The PEMs are written from the JWK (key-encoding.ts): OpenSSL 3's own PEM encoders cost a fifth of an online Submit.
  const encoded = encodeJwk(privateKey.export({ format: 'jwk' }));
  return {
    privateKeyPem: encoded
      ? toPem('PRIVATE KEY', encoded.pkcs8)
      : privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: encoded
      ? toPem('PUBLIC KEY', encoded.spki)
      : publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    spec: resolved,
    privateKey,
  };
}

/**
 * Imports a private key PEM (PKCS#8, or PKCS#1 / SEC1: node reads them all) as a WebCrypto pair for x509's
 * generators. The public half is derived from the private key, so the pair cannot mismatch. An unreadable key is
 * DomainError('ParseError'); RSA and EC P-256/P-384 only (else 'Unsupported').
 */
export async function importKeyPairForWebCrypto(
  privateKeyPem: string,
  hash: SigningHash = 'SHA-256',
): Promise<WebCryptoSigner> {
  let priv: KeyObject;
  try {
    priv = createPrivateKey(privateKeyPem);
  } catch {
    throw new DomainError('ParseError', 'the private key could not be read');
  }
  const pkcs8 = priv.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  let importAlg: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  let signingAlgorithm: WebCryptoSigner['signingAlgorithm'];
  if (priv.asymmetricKeyType === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash };
    signingAlgorithm = importAlg;
  } else if (priv.asymmetricKeyType === 'ec') {
    const named = priv.asymmetricKeyDetails?.namedCurve;
    const curve = (Object.keys(NODE_CURVE) as EcCurve[]).find((c) => NODE_CURVE[c] === named);
    if (!curve) throw new DomainError('Unsupported', `EC curve ${named ?? 'unknown'} is not supported`);
    importAlg = { name: 'ECDSA', namedCurve: curve };
    signingAlgorithm = { name: 'ECDSA', hash };
  } else {
    throw new DomainError('Unsupported', `${priv.asymmetricKeyType ?? 'unknown'} keys are not supported`);
  }
  const subtle = webcrypto.subtle;
  const [privateKey, publicKey] = await Promise.all([
    subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']),
    subtle.importKey('spki', spki, importAlg, true, ['verify']),
  ]);
  return { keys: { privateKey, publicKey }, signingAlgorithm };
}

let x509Loaded: Promise<typeof X509> | undefined;

/**
 * Loads @peculiar/x509 with node's WebCrypto as its provider. Go through here rather than importing the package:
 * x509 v2 uses tsyringe, which throws at import time unless a Reflect metadata API exists, and no polyfill
 * (reflect-metadata) is installed. The import is dynamic so the shim below is in place first.
 */
export function loadX509(): Promise<typeof X509> {
  x509Loaded ??= (async () => {
    installReflectMetadataShim();
    const x509 = await import('@peculiar/x509');
    // x509's types name the DOM Crypto, which this project's libs leave out; node's webcrypto is that object.
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Loaded;
}

type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

// The three calls tsyringe 4 makes (dist/*/reflection-helpers.js), over a WeakMap; left alone if a real polyfill
// is already loaded. x509's injectable classes take no constructor parameters, so metadata is almost never read.
function installReflectMetadataShim(): void {
  const r = Reflect as MetadataReflect;
  if (typeof r.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  r.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  r.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const v = store.get(t)?.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  r.defineMetadata = (key, value, target) => {
    const m = store.get(target) ?? new Map<unknown, unknown>();
    store.set(target, m);
    m.set(key, value);
  };
}
