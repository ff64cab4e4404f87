// The DownloadCertificate ZIP: one folder per server type (Nginx, Apache, Tomcat, IIS) plus the raw PEM files, laid
// out as Tencent Cloud's console download is. Knows files, keystores and their password; not orders or the wire.

import { randomInt, X509Certificate } from 'node:crypto';
import { strToU8, type ZipOptions, zipSync } from 'fflate';
import { buildJks } from './jks.js';
import { toPem } from './pem.js';
import { buildPfx, readCertificates, readPrivateKeyFor } from './pfx.js';

export interface DownloadInput {
  /** The certificate's primary domain; names the files ('*' becomes '_': '*.a.com' → '_.a.com.pfx'). */
  domain: string;
  certPem: string;
  /** Intermediates, the leaf's issuer first. */
  chainPems: string[];
  /** The trust anchor; packed into the PFX and JKS only (see buildDownloadZip). */
  rootPem?: string;
  /** Present only when the service generated the key (CsrType=online). */
  privateKeyPem: string | null;
  csrPem: string | null;
  /** The customer's KeyPassword for the PFX and JKS; null or '' means generate one. */
  keyPassword: string | null;
}

export interface DownloadZip {
  zip: Uint8Array;
  /** The ZIP's entries, in order. */
  files: string[];
  /** The password made up for the PFX and JKS, when keyPassword was empty and there was a key to protect. */
  generatedPassword: string | null;
}

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PASSWORD_LENGTH = 16;

/**
 * Builds the download. The layout follows Tencent Cloud's console ZIP as customers have listed it (e.g. "unzip
 * www.unionline.top.zip": the CSR, then Nginx/1_<d>_bundle.crt and 2_<d>.key, Apache/1_root_bundle.crt, 2_<d>.crt
 * and 3_<d>.key, IIS/<d>.pfx, Tomcat/<d>.jks, each keystore beside a keystorePass.txt) and the older
 * install guide, cloud.tencent.com/document/product/400/4143. To that we add <d>.pem (leaf + intermediates) and
 * <d>.key at the top, the "raw PEM files" of the issue.
 *
 * - No key (the customer sent a CSR, CsrType=parse): no .key file anywhere, and no Tomcat/ or IIS/ folder, since a
 *   keystore without its private key is of no use to those servers. Tencent offers no Tomcat download then either.
 * - keystorePass.txt holds the password the PFX and JKS were sealed with, whether the customer's or generated, and
 *   is the only file that holds it. Tencent's own ZIP leaves the file out when the customer set KeyPassword (its
 *   IIS and WebLogic install guides, intl.cloud.tencent.com/document/product/1007); this service always writes it.
 * - PEM files carry the leaf and intermediates but never the root: a TLS server need not send its trust anchor
 *   (RFC 8446 §4.4.2). The PFX and JKS do carry the root when given, as Windows' "include all certificates in the
 *   path" export and keytool's chain-completing import both do, so a private root travels with the keystore.
 * - '*' in a wildcard domain becomes '_' in file names. Widely reported for Tencent's ZIPs but not confirmed by a
 *   source we could cite; '*' would break Windows file names and unquoted shell globs in any case.
 *
 * Entries carry the leaf's notBefore as their modification time, so the same inputs give the same listing.
 */
export function buildDownloadZip(i: DownloadInput): DownloadZip {
  const d = fileBaseName(i.domain);
  const [leaf] = readCertificates([i.certPem]);
  const chain = readCertificates(i.chainPems);
  // A root already at the end of the chain is not packed twice.
  const root = (i.rootPem ? readCertificates([i.rootPem]) : []).filter((r) => !chain.some((c) => c.equals(r)));
  const keyPem = i.privateKeyPem === null ? null : toPem('PRIVATE KEY', readPrivateKeyFor(i.privateKeyPem, leaf));

  const leafPem = toPem('CERTIFICATE', leaf);
  const chainPem = chain.map((c) => toPem('CERTIFICATE', c)).join('');
  const bundlePem = leafPem + chainPem;

  const files: [string, Uint8Array][] = [];
  const add = (name: string, data: string | Uint8Array) =>
    files.push([name, typeof data === 'string' ? strToU8(data) : data]);

  if (i.csrPem !== null) add(`${d}.csr`, i.csrPem.trim() + '\n');
  add(`Nginx/1_${d}_bundle.crt`, bundlePem);
  if (keyPem) add(`Nginx/2_${d}.key`, keyPem);
  // Tencent's "root bundle" is the intermediate chain, Apache's SSLCertificateChainFile; the name is historical.
  add('Apache/1_root_bundle.crt', chainPem);
  add(`Apache/2_${d}.crt`, leafPem);
  if (keyPem) add(`Apache/3_${d}.key`, keyPem);

  let generatedPassword: string | null = null;
  if (keyPem) {
    const password = i.keyPassword || generatePassword();
    if (password !== i.keyPassword) generatedPassword = password;
    const keystoreChain = [...chain, ...root].map((c) => toPem('CERTIFICATE', c));
    add(
      `IIS/${d}.pfx`,
      buildPfx({ privateKeyPem: keyPem, certPem: leafPem, chainPems: keystoreChain, password, friendlyName: i.domain }),
    );
    add('IIS/keystorePass.txt', password);
    add(
      `Tomcat/${d}.jks`,
      buildJks({ alias: d, privateKeyPem: keyPem, chainPems: [leafPem, ...keystoreChain], storePassword: password }),
    );
    add('Tomcat/keystorePass.txt', password);
  }

  add(`${d}.pem`, bundlePem);
  if (keyPem) add(`${d}.key`, keyPem);

  const mtime = zipTime(new X509Certificate(leaf).validFrom);
  const zip = zipSync(Object.fromEntries(files.map(([name, data]) => [name, [data, { mtime }]])), { mtime });
  return { zip, files: files.map(([name]) => name), generatedPassword };
}

/** '*.A.com' → '_.a.com'; anything outside [a-z0-9.-] (there should be nothing) also becomes '_'. */
function fileBaseName(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '_');
}

/** 16 characters from [A-Za-z0-9], uniformly (randomInt is unbiased): about 95 bits. */
function generatePassword(): string {
  let out = '';
  for (let k = 0; k < PASSWORD_LENGTH; k++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

// ZIP's DOS timestamps cover 1980-2107, and fflate refuses dates outside 1980-2099.
function zipTime(validFrom: string): NonNullable<ZipOptions['mtime']> {
  const t = Date.parse(validFrom);
  const min = Date.UTC(1980, 0, 2);
  const max = Date.UTC(2099, 11, 30);
  return new Date(Number.isNaN(t) ? min : Math.min(Math.max(t, min), max));
}
