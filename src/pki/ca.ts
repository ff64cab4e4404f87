// The embedded CA: the root and issuing intermediates, made on first start or imported, their sealed keys, and
// which one signs a leaf. Storage arrives as an AuthorityStore; this file knows no SQL, orders or HTTP.

import { createPrivateKey, createPublicKey, X509Certificate as NodeX509, randomBytes } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { DomainError, isDomainError } from '../errors.js';
import { certificatePemToDer, derToCertificatePem, serialHexOfDer, splitPemChain } from './certificate-info.js';
import { generateKey, importKeyPairForWebCrypto, loadX509, type SigningHash, type WebCryptoSigner } from './keys.js';
import type { SecretBox } from './secret-box.js';

export interface AuthorityRecord {
  id: string;
  role: 'root' | 'intermediate';
  keyType: 'RSA' | 'EC';
  parentId: string | null;
  subject: string;
  /** Lowercase hex of the serial's DER INTEGER content. */
  serial: string;
  certPem: string;
  /** SecretBox-sealed PKCS#8 PEM (aad `authority-key:<id>`); null for a CA whose key is not ours (an imported
   * chain's root and upper intermediates). */
  keySealed: string | null;
  notBefore: number;
  notAfter: number;
  active: boolean;
  crlNumber: number;
  createdAt: number;
}

export interface AuthorityStore {
  list(): Promise<AuthorityRecord[]>;
  /** Inserts all records in one transaction unless a hierarchy exists ('exists'); of two concurrent first
   * starts exactly one gets 'inserted'. */
  insertHierarchy(records: AuthorityRecord[]): Promise<'inserted' | 'exists'>;
  /** For import: deactivates every authority and inserts these, active, in one transaction. */
  replaceActive(records: AuthorityRecord[]): Promise<void>;
  /** Atomically increments the authority's CRL number and returns the new value. */
  nextCrlNumber(authorityId: string): Promise<number>;
}

/** An authority whose key we hold, so it can sign leaves, CRLs and OCSP responses. */
export interface Issuer {
  id: string;
  keyType: 'RSA' | 'EC';
  certPem: string;
  subject: string;
  notBefore: number;
  notAfter: number;
  /** False once an import replaced it: it signs no new leaves, but still answers CRL/OCSP for its old ones. */
  active: boolean;
}

export interface ImportedCa {
  issuerId: string;
  rootPem: string;
  chainPem: string;
}

const BACKDATE_MS = 60_000;
const ROOT_YEARS = 20;
const INTERMEDIATE_YEARS = 10;
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';

/** 16 random bytes, positive (top bit clear) with a non-zero first byte, so every serial is 32 hex characters
 * and is its own DER INTEGER content: 127 bits of entropy, far above the BRs' 64 (7.1). */
export function randomSerialHex(): string {
  for (;;) {
    const b = randomBytes(16);
    b[0] &= 0x7f;
    if (b[0] !== 0) return b.toString('hex');
  }
}

/** RFC 5280 4.1.2.4: PrintableString where the value allows it (countryName must be one), else UTF8String. */
export function nameAttribute(short: string, value: string): Record<string, X509.JsonAttributeObject[]> {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  return { [short]: [printable ? { printableString: value } : { utf8String: value }] };
}

function addYears(ms: number, years: number): Date {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** Certificate times have whole seconds; keep records equal to what the certificate says. */
function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function keyAad(id: string): string {
  return `authority-key:${id}`;
}

function hashFor(privateKeyPem: string): SigningHash {
  // ECDSA's hash matches the curve (P-384 -> SHA-384, as BR 7.1.3.2 pairs them); RSA signs with SHA-256.
  return createPrivateKey(privateKeyPem).asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'SHA-384' : 'SHA-256';
}

function keyTypeOf(certPem: string): 'RSA' | 'EC' {
  const t = createPublicKey(certPem).asymmetricKeyType;
  if (t === 'rsa') return 'RSA';
  if (t === 'ec') return 'EC';
  throw new DomainError('Unsupported', `${t ?? 'unknown'} CA keys are not supported; use RSA or ECDSA`);
}

export class CertificateAuthority {
  readonly #store: AuthorityStore;
  readonly #box: SecretBox;
  readonly #records: AuthorityRecord[];
  readonly #keys = new Map<string, string>();
  readonly #signers = new Map<string, Promise<WebCryptoSigner>>();

  private constructor(store: AuthorityStore, box: SecretBox, records: AuthorityRecord[]) {
    this.#store = store;
    this.#box = box;
    this.#records = records;
    if (!this.#records.some((r) => r.active && r.role === 'root')) {
      throw new Error('the CA hierarchy in the store has no active root');
    }
    if (this.issuers().length === 0) throw new Error('the CA hierarchy in the store has no active issuing CA');
  }

  /**
   * Loads the active hierarchy, creating one first if the store has none: an ECDSA P-384 root and two issuing
   * intermediates, RSA 3072 and ECDSA P-384. A concurrent first start elsewhere may win the insert; then its
   * hierarchy is used and ours is dropped unsaved.
   */
  static async open(opts: {
    store: AuthorityStore;
    box: SecretBox;
    organization: string;
    now?: () => number;
    /** RSA intermediate size when one is created: 3072 by default. RSA 3072 key generation takes seconds, so
     * test suites that start many fresh stores may pass 2048 (still within BR 6.1.5). */
    intermediateRsaBits?: 2048 | 3072 | 4096;
  }): Promise<CertificateAuthority> {
    let records = await opts.store.list();
    if (!records.some((r) => r.active)) {
      const created = await createHierarchy(opts.box, opts.organization, (opts.now ?? Date.now)(), {
        rsaBits: opts.intermediateRsaBits ?? 3072,
      });
      await opts.store.insertHierarchy(created);
      records = await opts.store.list();
    }
    return new CertificateAuthority(opts.store, opts.box, records);
  }

  /** The PEM of the active root: what relying parties must trust. */
  rootPem(): string {
    const root = this.#records.filter((r) => r.active && r.role === 'root').at(-1);
    if (!root) throw new Error('no active root');
    return root.certPem;
  }

  /** Active authorities that sign leaves: those holding a key that sign no other active authority. */
  issuers(): Issuer[] {
    const active = this.#records.filter((r) => r.active);
    return active
      .filter((r) => r.keySealed !== null && !active.some((c) => c.parentId === r.id && c.id !== r.id))
      .map(toIssuer);
  }

  /** RSA leaves go to an RSA issuer and ECC leaves to an EC one; a single imported CA serves both. */
  issuerFor(leafKeyType: 'RSA' | 'ECC'): Issuer {
    const want = leafKeyType === 'RSA' ? 'RSA' : 'EC';
    const all = this.issuers();
    const chosen = all.filter((i) => i.keyType === want).at(-1) ?? all.at(-1);
    if (!chosen) throw new Error('no active issuing CA');
    return chosen;
  }

  /** Any authority whose key we hold, active or not, so CRLs and OCSP keep answering for replaced issuers. */
  issuerById(id: string): Issuer | undefined {
    const r = this.#records.find((x) => x.id === id);
    return r && r.keySealed !== null ? toIssuer(r) : undefined;
  }

  /** The issuer's key as PKCS#8 PEM, opened with the master key once and then kept in memory. */
  async privateKeyPem(issuerId: string): Promise<string> {
    const cached = this.#keys.get(issuerId);
    if (cached) return cached;
    const r = this.#records.find((x) => x.id === issuerId);
    if (!r?.keySealed) throw new Error(`authority ${issuerId} has no key here`);
    let pem: string;
    try {
      pem = this.#box.openString(r.keySealed, keyAad(r.id));
    } catch {
      throw new Error(
        `the key of authority ${issuerId} could not be decrypted: is this the master key it was sealed with?`,
      );
    }
    this.#keys.set(issuerId, pem);
    return pem;
  }

  /** The issuer's key imported for @peculiar/x509's generators, with the hash its signatures use. */
  signingKey(issuerId: string): Promise<WebCryptoSigner> {
    let s = this.#signers.get(issuerId);
    if (!s) {
      s = this.privateKeyPem(issuerId).then((pem) => importKeyPairForWebCrypto(pem, hashFor(pem)));
      s.catch(() => this.#signers.delete(issuerId));
      this.#signers.set(issuerId, s);
    }
    return s;
  }

  /** What a server sends after the leaf: the issuer and any intermediates above it, never the root. */
  chainPem(issuerId: string): string {
    let r = this.#records.find((x) => x.id === issuerId);
    if (!r) throw new Error(`unknown authority ${issuerId}`);
    let out = '';
    for (let hops = 0; r && r.role !== 'root' && hops < 16; hops++) {
      out += r.certPem;
      const parentId: string | null = r.parentId;
      r = this.#records.find((x) => x.id === parentId);
    }
    return out;
  }

  nextCrlNumber(issuerId: string): Promise<number> {
    return this.#store.nextCrlNumber(issuerId);
  }

  /**
   * Replaces the active hierarchy with an operator's CA. The certificate must be a CA (basicConstraints CA:TRUE,
   * keyUsage keyCertSign and cRLSign, since it also signs our CRLs), valid now, and the key must be its own.
   * A self-signed CA signs leaves directly (its chain is empty); a subordinate CA needs chainPem (or extra blocks
   * in certPem) up to a self-signed root, which becomes the root to trust. Running servers pick it up on restart.
   */
  static async importCa(opts: {
    store: AuthorityStore;
    box: SecretBox;
    certPem: string;
    keyPem: string;
    chainPem?: string;
    now?: () => number;
  }): Promise<ImportedCa> {
    const now = (opts.now ?? Date.now)();
    const given = splitPemChain(opts.certPem);
    if (given.length === 0) throw new DomainError('ParseError', 'no PEM certificate found in the imported certificate');
    const [caPem, ...rest] = given;
    const pool = [...rest, ...splitPemChain(opts.chainPem ?? '')].filter((p) => p !== caPem);
    const ca = nodeCert(caPem, 'the imported certificate');
    await requireCa(caPem, 'the imported certificate', true);
    if (now < Date.parse(ca.validFrom) || now > Date.parse(ca.validTo)) {
      throw new DomainError(
        'InvalidParam',
        `the imported certificate is not valid now (${ca.validFrom} to ${ca.validTo})`,
      );
    }
    let keyPem: string;
    try {
      keyPem = createPrivateKey(opts.keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch {
      throw new DomainError('ParseError', 'the CA private key could not be read (is it encrypted?)');
    }
    if (!ca.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new DomainError('Mismatch', 'the private key does not belong to the imported certificate');
    }
    await importKeyPairForWebCrypto(keyPem); // refuses curves and key types we cannot sign with
    const rsaBits = createPrivateKey(keyPem).asymmetricKeyDetails?.modulusLength;
    if (rsaBits !== undefined && rsaBits < 2048) {
      throw new DomainError(
        'Unsupported',
        `an RSA CA key of ${rsaBits} bits is too weak; BR 6.1.5 asks for 2048 or more`,
      );
    }

    // Build the path upward through the pool, in whatever order the blocks came.
    const path = [caPem];
    for (let cur = ca; !isSelfSigned(cur); ) {
      const parentPem = pool.find((p) => {
        const candidate = nodeCert(p, 'a chain certificate');
        return !path.includes(p) && cur.checkIssued(candidate) && cur.verify(candidate.publicKey);
      });
      if (!parentPem) {
        throw new DomainError(
          'InvalidParam',
          'the chain does not reach a self-signed root: give the intermediates and the root as the chain',
        );
      }
      await requireCa(parentPem, 'a chain certificate', false);
      path.push(parentPem);
      cur = nodeCert(parentPem, 'a chain certificate');
    }
    if (path.length === 1 && pool.length > 0) {
      throw new DomainError('InvalidParam', 'a self-signed CA takes no chain');
    }

    const ids = path.map((_, i) => `${i === 0 ? 'imp' : 'ext'}-${randomBytes(4).toString('hex')}`);
    const records = await Promise.all(
      path.map(async (pem, i): Promise<AuthorityRecord> => {
        const info = await certFacts(pem);
        return {
          id: ids[i],
          role: i === path.length - 1 ? 'root' : 'intermediate',
          keyType: keyTypeOf(pem),
          parentId: i === path.length - 1 ? null : ids[i + 1],
          subject: info.subject,
          serial: info.serial,
          certPem: pem,
          keySealed: i === 0 ? opts.box.seal(keyPem, keyAad(ids[0])) : null,
          notBefore: info.notBefore,
          notAfter: info.notAfter,
          active: true,
          crlNumber: 0,
          createdAt: now,
        };
      }),
    );
    await opts.store.replaceActive(records);
    return {
      issuerId: ids[0],
      rootPem: path[path.length - 1],
      chainPem: path.slice(0, -1).join(''),
    };
  }
}

function toIssuer(r: AuthorityRecord): Issuer {
  return {
    id: r.id,
    keyType: r.keyType,
    certPem: r.certPem,
    subject: r.subject,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    active: r.active,
  };
}

function nodeCert(pem: string, what: string): NodeX509 {
  try {
    return new NodeX509(certificatePemToDer(pem));
  } catch {
    throw new DomainError('ParseError', `${what} could not be parsed`);
  }
}

function isSelfSigned(c: NodeX509): boolean {
  return c.checkIssued(c) && c.verify(c.publicKey);
}

/** basicConstraints CA:TRUE and, for the CA that will sign, keyUsage with keyCertSign and cRLSign. */
async function requireCa(pem: string, what: string, signs: boolean): Promise<void> {
  const x509 = await loadX509();
  let cert: X509.X509Certificate;
  let bc: X509.BasicConstraintsExtension | null;
  let ku: X509.KeyUsagesExtension | null;
  try {
    cert = new x509.X509Certificate(certificatePemToDer(pem));
    bc = cert.getExtension(OID_BASIC_CONSTRAINTS);
    ku = cert.getExtension(OID_KEY_USAGE);
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw new DomainError('ParseError', `${what} could not be parsed`);
  }
  if (!bc?.ca) throw new DomainError('InvalidParam', `${what} is not a CA certificate (basicConstraints CA:TRUE)`);
  const need = x509.KeyUsageFlags.keyCertSign | (signs ? x509.KeyUsageFlags.cRLSign : 0);
  if (ku ? (ku.usages & need) !== need : signs) {
    throw new DomainError(
      'InvalidParam',
      `${what} lacks keyUsage ${signs ? 'keyCertSign and cRLSign' : 'keyCertSign'}, which a CA that signs needs`,
    );
  }
}

async function certFacts(pem: string): Promise<Pick<AuthorityRecord, 'subject' | 'serial' | 'notBefore' | 'notAfter'>> {
  const x509 = await loadX509();
  const cert = new x509.X509Certificate(certificatePemToDer(pem));
  return {
    subject: cert.subject,
    serial: serialHexOfDer(Buffer.from(cert.rawData)),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
  };
}

/** The generated hierarchy: root and intermediates signed and their keys sealed, not yet stored. */
async function createHierarchy(
  box: SecretBox,
  organization: string,
  nowMs: number,
  opts: { rsaBits: number },
): Promise<AuthorityRecord[]> {
  const x509 = await loadX509();
  const tag = randomBytes(3).toString('hex');
  const notBefore = floorSecond(nowMs - BACKDATE_MS);
  const [rootKey, rsaKey, ecKey] = await Promise.all([
    generateKey({ algorithm: 'ECC', curve: 'P-384' }),
    generateKey({ algorithm: 'RSA', rsaBits: opts.rsaBits }),
    generateKey({ algorithm: 'ECC', curve: 'P-384' }),
  ]);
  const rootSigner = await importKeyPairForWebCrypto(rootKey.privateKeyPem, 'SHA-384');
  const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootSigner.keys.publicKey);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: new x509.Name([nameAttribute('O', organization), nameAttribute('CN', `${organization} Root CA ${tag}`)]),
    notBefore: new Date(notBefore),
    notAfter: addYears(notBefore, ROOT_YEARS),
    keys: rootSigner.keys,
    signingAlgorithm: rootSigner.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      rootSki,
    ],
  });
  const rootId = `root-${randomBytes(4).toString('hex')}`;
  const records: AuthorityRecord[] = [record(rootId, 'root', 'EC', null, root.toString('pem'), rootKey.privateKeyPem)];
  for (const [key, keyType, label] of [
    [rsaKey, 'RSA', 'RSA'],
    [ecKey, 'EC', 'ECC'],
  ] as const) {
    const publicKey = new x509.PublicKey(key.publicKeyPem);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject: new x509.Name([
        nameAttribute('O', organization),
        nameAttribute('CN', `${organization} ${label} Issuing CA ${tag}`),
      ]),
      issuer: root.subjectName,
      notBefore: new Date(notBefore),
      notAfter: addYears(notBefore, INTERMEDIATE_YEARS),
      publicKey,
      signingKey: rootSigner.keys.privateKey,
      signingAlgorithm: rootSigner.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        // digitalSignature lets the intermediate sign OCSP responses itself (RFC 6960 4.2.2.2, no delegate).
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        // BR 7.1.2.2 wants an EKU in subordinate CAs: serverAuth only, so this CA cannot vouch for mail or code.
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
      ],
    });
    const id = `int-${keyType.toLowerCase()}-${randomBytes(4).toString('hex')}`;
    records.push(record(id, 'intermediate', keyType, rootId, cert.toString('pem'), key.privateKeyPem));
  }
  return records;

  function record(
    id: string,
    role: AuthorityRecord['role'],
    keyType: AuthorityRecord['keyType'],
    parentId: string | null,
    certPem: string,
    keyPem: string,
  ): AuthorityRecord {
    const cert = new x509.X509Certificate(certPem);
    return {
      id,
      role,
      keyType,
      parentId,
      subject: cert.subject,
      serial: serialHexOfDer(Buffer.from(cert.rawData)),
      certPem: derToCertificatePem(Buffer.from(cert.rawData)),
      keySealed: box.seal(keyPem, keyAad(id)),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      active: true,
      crlNumber: 0,
      createdAt: nowMs,
    };
  }
}
