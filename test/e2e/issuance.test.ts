// Issuance end to end in auto mode, through the official Node SDK against a real listening server: create ->
// submit -> commit (DNS_AUTO) -> issued -> download, for RSA and ECDSA, online and parse CSRs, DV and OV, and the
// free ApplyCertificate path. Then what servers and relying parties see, read by real tools: openssl verify and
// x509 -text (Baseline Requirements profile), a Node TLS handshake, the PFX (openssl) and JKS (keytool), and CRL
// and OCSP (POST and GET) after revocation. Also the lifecycle errors, UploadCertificate and exactly-once issuance.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import type { DcvChecker } from '../../src/dcv/dcv.js';
import { Status } from '../../src/orders/status.js';
import { Worker } from '../../src/orders/worker.js';
import { issueLeaf } from '../../src/pki/signer.js';
import { makeCsr } from '../support/openssl.js';
import { SEED_ORGANISATION } from '../support/seed.js';
import { handshake, startTlsServer } from '../support/tls.js';
import { type SslClient, sdkClient, sdkErrorCode, startWorld, tempDir, type World } from '../support/world.js';

const execFileP = promisify(execFile);

const PASSWORD = 'Passw0rd!';
const DAY_MS = 86_400_000;
const ISSUE_TIMEOUT_MS = 15_000;

const ORGANISATION = SEED_ORGANISATION;

/** CA/B Forum reserved policy identifiers (BR 7.1.6.1). */
const POLICY_OID = { DV: '2.23.140.1.2.1', OV: '2.23.140.1.2.2', EV: '2.23.140.1.1' } as const;

interface Flow {
  /** how the test names say it */
  label: string;
  /** online: the service makes the key; parse: the customer's openssl CSR; apply: ApplyCertificate (free) */
  kind: 'online' | 'parse' | 'apply';
  productId?: number;
  domainNum?: number;
  /** every domain, the primary (CN) first */
  domains: string[];
  csrKey?: 'rsa:4096' | 'ec:P-256';
  key: 'RSA' | 'EC';
  keyBits: number;
  level: 'DV' | 'OV';
  /** paid certificates live a year, free ones 90 days (orders/worker.ts validityMs) */
  days: number;
}

const FLOWS = {
  rsaOnline: {
    label: 'an RSA online order for DNSPod DV (48)',
    kind: 'online',
    productId: 48,
    domains: ['rsa-online.example'],
    key: 'RSA',
    keyBits: 2048,
    level: 'DV',
    days: 365,
  },
  ecParse: {
    label: 'an openssl ECDSA P-256 CSR for DNSPod DV (48)',
    kind: 'parse',
    productId: 48,
    domains: ['ec-parse.example'],
    csrKey: 'ec:P-256',
    key: 'EC',
    keyBits: 256,
    level: 'DV',
    days: 365,
  },
  rsaMulti: {
    label: 'an openssl RSA-4096 CSR for TrustAsia DV multi-domain (11) with 3 domains',
    kind: 'parse',
    productId: 11,
    domainNum: 3,
    domains: ['www.multi.example', 'api.multi.example', 'cdn.multi.example'],
    csrKey: 'rsa:4096',
    key: 'RSA',
    keyBits: 4096,
    level: 'DV',
    days: 365,
  },
  ovWildcard: {
    label: "an online SecureSite OV wildcard (7) with the seed's organisation",
    kind: 'online',
    productId: 7,
    domains: ['*.ov.example'],
    key: 'RSA',
    keyBits: 2048,
    level: 'OV',
    days: 365,
  },
  freeEc: {
    label: 'a free ECDSA ApplyCertificate (ECC prime256v1, DNS_AUTO)',
    kind: 'apply',
    domains: ['free-ec.example'],
    key: 'EC',
    keyBits: 256,
    level: 'DV',
    days: 90,
  },
} satisfies Record<string, Flow>;

type FlowName = keyof typeof FLOWS;

interface Issued {
  flow: Flow;
  id: string;
  /** temp dir holding leaf.pem, chain.pem (the intermediate) and, when downloaded, x.pfx and x.jks */
  dir: string;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's response model, read field by field.
  detail: any;
  contentType: string;
  zip: Record<string, Uint8Array>;
  /** the file-name form of the primary domain ('*' -> '_') */
  base: string;
  leafPem: string;
  chainPem: string;
  /** the zip's key (online, apply) or the customer's own (parse) */
  keyPem: string;
  leaf: X509Certificate;
  /** `openssl x509 -text -noout` of the leaf */
  text: string;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool without throwing on a non-zero exit, so refusals can be read as well as successes. */
async function run(cmd: string, args: string[], cwd?: string): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}

async function ok(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[^-]+-----END \1-----\n?/g;

function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => m[1] === label).map((m) => m[0]);
}

/** The SubjectPublicKeyInfo of a private key PEM or a public KeyObject, to tell whether a key belongs to a cert. */
function spki(key: string | KeyObject): Buffer {
  const pub = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  return pub.export({ type: 'spki', format: 'der' });
}

/** 'YYYY-MM-DD HH:mm:ss' in Beijing time (UTC+8), as the API writes times. */
function beijing(date: string): string {
  return new Date(Date.parse(date) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The leaf's extensions as `openssl x509 -text` prints them: name -> { critical, body lines joined by '\n' }. */
function extensionsOf(text: string): Map<string, { critical: boolean; body: string }> {
  const section = text.split('X509v3 extensions:\n')[1]?.split(/\n {4}Signature Algorithm/)[0] ?? '';
  const found: Array<{ name: string; critical: boolean; lines: string[] }> = [];
  for (const line of section.split('\n')) {
    const header = /^ {12}(\S[^:]*):\s*(critical)?\s*$/.exec(line);
    if (header) found.push({ name: header[1], critical: header[2] === 'critical', lines: [] });
    else if (found.length > 0 && line.trim()) found[found.length - 1].lines.push(line.trim());
  }
  return new Map(found.map((e) => [e.name, { critical: e.critical, body: e.lines.join('\n') }]));
}

/** The URL after `prefix` in the leaf's text (AIA, CRL DP). */
function urlAfter(text: string, prefix: string): string {
  const m = new RegExp(`${prefix}\\s*URI:(\\S+)`).exec(text);
  assert.ok(m, `no ${prefix} URI in the certificate`);
  return m[1];
}

function serialOf(leaf: X509Certificate): string {
  return leaf.serialNumber.toUpperCase();
}

describe('issuance end to end (auto mode)', () => {
  let world: World;
  let client: SslClient;
  let rootPem: string;
  let work: string;
  let rootFile: string;
  let dirs = 0;
  const memo = new Map<FlowName, Promise<Issued>>();

  before(async () => {
    world = await startWorld();
    client = sdkClient(world);
    rootPem = world.services.ca!.rootPem();
    work = tempDir('tcssl-issuance-');
    rootFile = join(work, 'root.pem');
    writeFileSync(rootFile, rootPem);
  });
  after(async () => {
    await world.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function waitIssued(c: SslClient, id: string): Promise<void> {
    const deadline = Date.now() + ISSUE_TIMEOUT_MS;
    for (;;) {
      const d = await c.DescribeCertificate({ CertificateId: id });
      if (d.Status === Status.Issued) return;
      assert.equal(d.Status, Status.Reviewing, `certificate ${id} left review with ${d.Status}: ${d.StatusMsg}`);
      if (Date.now() > deadline) assert.fail(`certificate ${id} was not issued within ${ISSUE_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Orders, submits and commits one certificate of `flow` (or applies for a free one); returns its id. */
  async function order(flow: Flow): Promise<{ id: string; customerKey: string | null }> {
    const [primary, ...rest] = flow.domains;
    if (flow.kind === 'apply') {
      const res = await client.ApplyCertificate({
        DvAuthMethod: 'DNS_AUTO',
        DomainName: primary,
        CsrEncryptAlgo: 'ECC',
        CsrKeyParameter: 'prime256v1',
        CsrKeyPassword: PASSWORD,
        ContactEmail: `ops@${primary}`,
      });
      return { id: res.CertificateId, customerKey: null };
    }
    const created = await client.CreateCertificate({
      ProductId: flow.productId,
      DomainNum: flow.domainNum ?? 1,
      TimeSpan: 1,
    });
    const id = created.CertificateIds[0];
    const common = {
      CertificateId: id,
      ...(rest.length ? { DomainList: rest } : {}),
      ...(flow.level === 'OV' ? ORGANISATION : { ContactEmail: `ops@${primary.replace('*.', '')}` }),
    };
    let customerKey: string | null = null;
    if (flow.kind === 'online') {
      await client.SubmitCertificateInformation({
        ...common,
        CsrType: 'online',
        CertificateDomain: primary,
        KeyPassword: PASSWORD,
      });
    } else {
      const csr = await makeCsr({ key: flow.csrKey ?? 'ec:P-256', subject: `/CN=${primary}`, sans: flow.domains });
      customerKey = csr.key;
      await client.SubmitCertificateInformation({ ...common, CsrType: 'parse', CsrContent: csr.csr });
    }
    const committed = await client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' });
    assert.equal(committed.Status, Status.Reviewing);
    return { id, customerKey };
  }

  /** A new certificate of `flow`, issued, described, downloaded and written out for the tools. */
  async function issue(flow: Flow): Promise<Issued> {
    const { id, customerKey } = await order(flow);
    await waitIssued(client, id);
    const detail = await client.DescribeCertificateDetail({ CertificateId: id });
    const dl = await client.DownloadCertificate({ CertificateId: id });
    const zip = unzipSync(Buffer.from(dl.Content, 'base64'));
    const base = flow.domains[0].replace('*', '_');
    const leafPem = Buffer.from(zip[`Apache/2_${base}.crt`]).toString();
    const chainPem = Buffer.from(zip['Apache/1_root_bundle.crt']).toString();
    // The customer's own key for a parse CSR; otherwise the one the service made, as downloaded.
    const keyPem = customerKey ?? Buffer.from(zip[`Nginx/2_${base}.key`]).toString();
    const dir = join(work, `${++dirs}-${base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    writeFileSync(join(dir, 'chain.pem'), chainPem);
    if (zip[`IIS/${base}.pfx`]) writeFileSync(join(dir, 'x.pfx'), zip[`IIS/${base}.pfx`]);
    if (zip[`Tomcat/${base}.jks`]) writeFileSync(join(dir, 'x.jks'), zip[`Tomcat/${base}.jks`]);
    const text = await ok('openssl', ['x509', '-in', 'leaf.pem', '-text', '-noout'], dir);
    return {
      flow,
      id,
      dir,
      detail,
      contentType: dl.ContentType,
      zip,
      base,
      leafPem,
      chainPem,
      keyPem,
      leaf: new X509Certificate(leafPem),
      text,
    };
  }

  /** One certificate per flow, shared by the tests that only read it. */
  function issued(name: FlowName): Promise<Issued> {
    let p = memo.get(name);
    if (!p) {
      p = issue(FLOWS[name]);
      memo.set(name, p);
    }
    return p;
  }

  /** A fresh certificate of the flow under other domains, for the tests that change it (revoke, delete). */
  function issueFresh(name: FlowName, prefix: string): Promise<Issued> {
    const flow = FLOWS[name];
    return issue({ ...flow, domains: flow.domains.map((d) => `${prefix}.${d.replace('*.', '')}`) });
  }

  // --- 1. The five issuance paths ---------------------------------------------------------------------------

  for (const name of Object.keys(FLOWS) as FlowName[]) {
    const flow: Flow = FLOWS[name];

    test(`${flow.label} is issued (status 1) and DescribeCertificateDetail returns the chain without the key`, async () => {
      const c = await issued(name);
      const d = c.detail;
      assert.equal(d.Status, Status.Issued);
      assert.equal(d.StatusName, 'Issued');
      assert.equal(d.Domain, flow.domains[0]);
      assert.deepEqual(d.SubjectAltName, flow.domains);
      assert.equal(d.VerifyType, 'DNS_AUTO');
      assert.equal(d.IsDv, flow.level === 'DV');
      assert.ok(d.CertificatePrivateKey === null || d.CertificatePrivateKey === undefined);
      // Leaf and intermediate, never the root: a server sends those two.
      const pems = pemBlocks(d.CertificatePublicKey);
      assert.equal(pems.length, 2, d.CertificatePublicKey);
      assert.ok(new X509Certificate(pems[0]).raw.equals(c.leaf.raw));
      const intermediate = new X509Certificate(pems[1]);
      assert.ok(intermediate.raw.equals(new X509Certificate(c.chainPem).raw));
      assert.ok(!intermediate.raw.equals(new X509Certificate(rootPem).raw));
      assert.ok(c.leaf.verify(intermediate.publicKey));
      assert.ok(intermediate.verify(new X509Certificate(rootPem).publicKey));
      assert.equal(d.CertBeginTime, beijing(c.leaf.validFrom));
      assert.equal(d.CertEndTime, beijing(c.leaf.validTo));
      // DNS_AUTO is validated as DNS: one _dnsauth TXT record per domain, under the wildcard's base.
      assert.ok(d.DvAuthDetail, 'DvAuthDetail');
      const auths = d.DvAuthDetail.DvAuths as Array<Record<string, string>>;
      assert.deepEqual(auths.map((a) => a.DvAuthDomain).sort(), flow.domains.map((x) => x.replace('*.', '')).sort());
      for (const auth of auths) {
        assert.equal(auth.DvAuthVerifyType, 'DNS');
        assert.equal(auth.DvAuthKey, '_dnsauth');
        assert.match(auth.DvAuthValue, /^\d{14}[a-z2-7]{26}$/);
      }
      assert.equal(d.SubmittedData.CsrType, flow.kind === 'parse' ? 'parse' : 'online');
      assert.equal(d.SubmittedData.KeyPassword, '', 'the KeyPassword is never returned');
    });

    test(`${flow.label} downloads as application/zip laid out for Nginx, Apache${flow.kind === 'parse' ? '' : ', IIS and Tomcat'}`, async () => {
      const c = await issued(name);
      const b = c.base;
      assert.equal(c.contentType, 'application/zip');
      const withKey = flow.kind !== 'parse';
      const expected = [
        `${b}.csr`,
        `${b}.pem`,
        `Nginx/1_${b}_bundle.crt`,
        'Apache/1_root_bundle.crt',
        `Apache/2_${b}.crt`,
        ...(withKey
          ? [
              `${b}.key`,
              `Nginx/2_${b}.key`,
              `Apache/3_${b}.key`,
              `IIS/${b}.pfx`,
              'IIS/keystorePass.txt',
              `Tomcat/${b}.jks`,
              'Tomcat/keystorePass.txt',
            ]
          : []),
      ].sort();
      assert.deepEqual(Object.keys(c.zip).sort(), expected);
      const text = (f: string) => Buffer.from(c.zip[f]).toString();
      assert.equal(text(`${b}.csr`).trim(), c.detail.SubmittedData.CsrContent.trim());
      assert.equal(text(`Nginx/1_${b}_bundle.crt`), c.leafPem + c.chainPem);
      assert.equal(text(`${b}.pem`), c.leafPem + c.chainPem);
      assert.equal(pemBlocks(c.leafPem).length, 1);
      assert.equal(pemBlocks(c.chainPem).length, 1);
      if (withKey) {
        assert.equal(text('IIS/keystorePass.txt'), PASSWORD);
        assert.equal(text('Tomcat/keystorePass.txt'), PASSWORD);
        assert.equal(text(`Apache/3_${b}.key`), c.keyPem);
        assert.equal(text(`${b}.key`), c.keyPem);
        assert.ok(spki(c.keyPem).equals(spki(c.leaf.publicKey)), 'the key belongs to the leaf');
      } else {
        // The customer kept the key: it is nowhere in the ZIP, and the leaf is for the customer's own key.
        assert.ok(spki(c.keyPem).equals(spki(c.leaf.publicKey)));
      }
    });

    test(`${flow.label} verifies against the root with openssl verify: OK`, async () => {
      const c = await issued(name);
      const out = await ok(
        'openssl',
        [
          'verify',
          '-x509_strict',
          '-purpose',
          'sslserver',
          '-verify_hostname',
          flow.domains[0].replace('*', 'www'),
          '-CAfile',
          rootFile,
          '-untrusted',
          'chain.pem',
          'leaf.pem',
        ],
        c.dir,
      );
      assert.match(out, /^leaf\.pem: OK$/m);
    });

    test(`${flow.label} carries the ${flow.level} ${flow.key} profile in openssl x509 -text: CN, SAN, policy ${POLICY_OID[flow.level]}, CRL and AIA URLs`, async () => {
      const c = await issued(name);
      const t = c.text;
      assert.match(t, /Version: 3 \(0x2\)/);
      // 16 octets, positive: openssl prints the serial as 16 hex pairs.
      const serial = /Serial Number:\s*\n\s*((?:[0-9a-f]{2}:)*[0-9a-f]{2})\s*\n/.exec(t);
      assert.ok(serial, 'serial');
      const octets = serial[1].split(':');
      assert.equal(octets.length, 16, serial[1]);
      assert.ok(Number.parseInt(octets[0], 16) < 0x80 && octets[0] !== '00');
      assert.equal(serialOf(c.leaf), octets.join('').toUpperCase());
      // Validity: a year for paid, 90 days for free; never more than 398 days (BR 6.3.2).
      const lifetime = Date.parse(c.leaf.validTo) - Date.parse(c.leaf.validFrom);
      assert.ok(lifetime <= 398 * DAY_MS);
      assert.equal(lifetime, flow.days * DAY_MS);
      assert.ok(Math.abs(Date.parse(c.leaf.validFrom) - Date.now()) < 10 * 60_000, c.leaf.validFrom);
      // Subject: CN only for DV; C, ST, L, O (no OU: BR 7.1.2.7.4) and CN for OV.
      const subject = /^ {8}Subject: (.*)$/m.exec(t)?.[1];
      assert.equal(
        subject,
        flow.level === 'DV'
          ? `CN = ${flow.domains[0]}`
          : `C = CN, ST = Guangdong, L = Shenzhen, O = Tencent, CN = ${flow.domains[0]}`,
      );
      if (flow.key === 'RSA') {
        assert.match(t, /Public Key Algorithm: rsaEncryption/);
        assert.match(t, new RegExp(`Public-Key: \\(${flow.keyBits} bit\\)`));
        assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
      } else {
        assert.match(t, /Public Key Algorithm: id-ecPublicKey/);
        assert.match(t, /NIST CURVE: P-256/);
        assert.match(t, /Signature Algorithm: ecdsa-with-SHA384/);
      }

      const ext = extensionsOf(t);
      assert.deepEqual([...ext.keys()].sort(), [
        'Authority Information Access',
        'X509v3 Authority Key Identifier',
        'X509v3 Basic Constraints',
        'X509v3 CRL Distribution Points',
        'X509v3 Certificate Policies',
        'X509v3 Extended Key Usage',
        'X509v3 Key Usage',
        'X509v3 Subject Alternative Name',
        'X509v3 Subject Key Identifier',
      ]);
      const get = (n: string) => ext.get(n) ?? assert.fail(n);
      assert.deepEqual(get('X509v3 Basic Constraints'), { critical: true, body: 'CA:FALSE' });
      assert.deepEqual(get('X509v3 Key Usage'), {
        critical: true,
        body: flow.key === 'RSA' ? 'Digital Signature, Key Encipherment' : 'Digital Signature',
      });
      assert.deepEqual(get('X509v3 Extended Key Usage'), { critical: false, body: 'TLS Web Server Authentication' });
      assert.deepEqual(get('X509v3 Subject Alternative Name'), {
        critical: false,
        body: flow.domains.map((d) => `DNS:${d}`).join(', '),
      });
      assert.deepEqual(get('X509v3 Certificate Policies'), {
        critical: false,
        body: `Policy: ${POLICY_OID[flow.level]}`,
      });
      // SKI is the leaf's own; AKI names the issuing intermediate's SKI.
      const ski = get('X509v3 Subject Key Identifier').body;
      const aki = get('X509v3 Authority Key Identifier').body.replace(/^keyid:/, '');
      assert.match(ski, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
      const chainText = await ok(
        'openssl',
        ['x509', '-in', 'chain.pem', '-noout', '-ext', 'subjectKeyIdentifier'],
        c.dir,
      );
      assert.equal(aki, chainText.split('\n')[1].trim());
      assert.notEqual(ski, aki);
      // AIA and CRL DP point at this server and name the same issuer.
      const ocsp = urlAfter(t, 'OCSP -');
      const caIssuers = urlAfter(t, 'CA Issuers -');
      const crl = urlAfter(get('X509v3 CRL Distribution Points').body, 'Full Name:\\s*');
      assert.equal(ocsp, `${world.url}/ocsp`);
      const issuerId = /\/ca\/([A-Za-z0-9-]+)\.crt$/.exec(caIssuers)?.[1];
      assert.ok(issuerId, caIssuers);
      assert.equal(caIssuers, `${world.url}/ca/${issuerId}.crt`);
      assert.equal(crl, `${world.url}/crl/${issuerId}.crl`);
      // RSA leaves come from the RSA intermediate, ECDSA ones from the ECDSA intermediate.
      assert.match(issuerId, flow.key === 'RSA' ? /^int-rsa-/ : /^int-ec-/);
      assert.equal(new X509Certificate(c.chainPem).publicKey.asymmetricKeyType, flow.key === 'RSA' ? 'rsa' : 'ec');
    });
  }

  // --- 2. A real TLS handshake with the downloaded files ----------------------------------------------------

  for (const name of ['rsaOnline', 'ecParse'] as const) {
    test(`a TLS server with the Nginx files of ${FLOWS[name].label} is authorized by a root-only client; another name gets ERR_TLS_CERT_ALTNAME_INVALID and the system CAs UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, async () => {
      const c = await issued(name);
      const domain = FLOWS[name].domains[0];
      const server = await startTlsServer({
        key: c.keyPem,
        cert: Buffer.from(c.zip[`Nginx/1_${c.base}_bundle.crt`]).toString(),
      });
      try {
        const good = await handshake({ port: server.port, servername: domain, ca: [rootPem] });
        assert.ok(good.ok, JSON.stringify(good));
        assert.equal(good.authorized, true);
        assert.equal(good.peerSubjectCN, domain);
        const wrongName = await handshake({ port: server.port, servername: 'other.example', ca: [rootPem] });
        assert.equal(wrongName.ok, false);
        assert.equal(!wrongName.ok && wrongName.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
        const systemOnly = await handshake({ port: server.port, servername: domain });
        assert.equal(systemOnly.ok, false);
        assert.equal(!systemOnly.ok && systemOnly.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      } finally {
        await server.close();
      }
    });
  }

  // --- 3. Keystores --------------------------------------------------------------------------------------

  for (const name of ['rsaOnline', 'freeEc'] as const) {
    test(`the PFX of ${FLOWS[name].label} opens with the KeyPassword (key, leaf, intermediate, root); a wrong one gets "Mac verify error"`, async () => {
      const c = await issued(name);
      const out = await ok('openssl', ['pkcs12', '-in', 'x.pfx', '-passin', `pass:${PASSWORD}`, '-nodes'], c.dir);
      const certs = pemBlocks(out).map((p) => new X509Certificate(p));
      assert.equal(certs.length, 3);
      assert.ok(certs.some((x) => x.raw.equals(c.leaf.raw)));
      assert.ok(certs.some((x) => x.raw.equals(new X509Certificate(c.chainPem).raw)));
      assert.ok(certs.some((x) => x.raw.equals(new X509Certificate(rootPem).raw)));
      const [key] = pemBlocks(out, 'PRIVATE KEY');
      assert.ok(spki(key).equals(spki(c.leaf.publicKey)), 'the PFX key belongs to the leaf');
      assert.match(out, new RegExp(`friendlyName: ${FLOWS[name].domains[0].replaceAll('.', '\\.')}`));
      const wrong = await run('openssl', ['pkcs12', '-in', 'x.pfx', '-passin', 'pass:wrong-pass', '-nodes'], c.dir);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /Mac verify error/);
    });
  }

  test('the JKS opens in keytool with the KeyPassword as a PrivateKeyEntry with a 3-certificate chain; a wrong one is refused', async () => {
    const c = await issued('ovWildcard');
    const list = await ok('keytool', ['-list', '-v', '-keystore', 'x.jks', '-storepass', PASSWORD], c.dir);
    assert.match(list, /Your keystore contains 1 entry/);
    assert.match(list, /Alias name: _\.ov\.example/);
    assert.match(list, /Entry type: PrivateKeyEntry/);
    assert.match(list, /Certificate chain length: 3/);
    assert.match(list, /Owner: CN=\*\.ov\.example, O=Tencent, L=Shenzhen, ST=Guangdong, C=CN/);
    const wrong = await run('keytool', ['-list', '-keystore', 'x.jks', '-storepass', 'wrong-pass'], c.dir);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout + wrong.stderr, /password was incorrect/);
  });

  // --- 4. Revocation: CRL and OCSP --------------------------------------------------------------------------

  for (const name of ['rsaOnline', 'ecParse'] as const) {
    test(`revoking ${FLOWS[name].label} gives status 10, the CRL lists the serial and OCSP (POST and GET) answers revoked`, async () => {
      const c = await issueFresh(name, 'revoke');
      const ocspUrl = urlAfter(c.text, 'OCSP -');
      const crlUrl = urlAfter(c.text, 'Full Name:\\s*');
      const serial = serialOf(c.leaf);
      const ocspArgs = ['ocsp', '-issuer', 'chain.pem', '-cert', 'leaf.pem', '-CAfile', rootFile, '-resp_text'];

      const fetchCrl = async (file: string) => {
        const res = await fetch(crlUrl);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
        writeFileSync(join(c.dir, `${file}.der`), Buffer.from(await res.arrayBuffer()));
        // Signed by the leaf's issuer, and readable as PEM for openssl verify.
        assert.match(
          await ok('openssl', ['crl', '-inform', 'DER', '-in', `${file}.der`, '-CAfile', 'chain.pem', '-noout'], c.dir),
          /verify OK/,
        );
        await ok('openssl', ['crl', '-inform', 'DER', '-in', `${file}.der`, '-out', `${file}.pem`], c.dir);
        return ok('openssl', ['crl', '-inform', 'DER', '-in', `${file}.der`, '-noout', '-text'], c.dir);
      };
      const verifyWithCrl = (file: string) =>
        run(
          'openssl',
          [
            'verify',
            '-crl_check',
            '-CRLfile',
            `${file}.pem`,
            '-CAfile',
            rootFile,
            '-untrusted',
            'chain.pem',
            'leaf.pem',
          ],
          c.dir,
        );

      // Before: OCSP good, the CRL does not list it, and a CRL-checking verify passes.
      const good = await ok('openssl', [...ocspArgs, '-url', ocspUrl], c.dir);
      assert.match(good, /^leaf\.pem: good$/m);
      assert.match(good, /Response verify OK/);
      const crlBefore = await fetchCrl('crl-before');
      assert.doesNotMatch(crlBefore, new RegExp(serial));
      const numberBefore = Number(/CRL Number:\s*\n\s*(\d+)/.exec(crlBefore)?.[1]);
      assert.match((await verifyWithCrl('crl-before')).stdout, /^leaf\.pem: OK$/m);

      const revoked = await client.RevokeCertificate({ CertificateId: c.id, Reason: 'keyCompromise' });
      assert.deepEqual(revoked.RevokeDomainValidateAuths, []);
      assert.equal((await client.DescribeCertificate({ CertificateId: c.id })).Status, Status.Revoked);

      const crlAfter = await fetchCrl('crl-after');
      assert.match(crlAfter, new RegExp(`Serial Number: ${serial}\\s*\\n\\s*Revocation Date:`));
      assert.match(crlAfter, /Key Compromise/);
      assert.ok(Number(/CRL Number:\s*\n\s*(\d+)/.exec(crlAfter)?.[1]) > numberBefore, 'the CRL number grows');
      const refused = await verifyWithCrl('crl-after');
      assert.notEqual(refused.code, 0);
      assert.match(refused.stdout + refused.stderr, /certificate revoked/);

      const post = await ok('openssl', [...ocspArgs, '-url', ocspUrl], c.dir);
      assert.match(post, /^leaf\.pem: revoked$/m);
      assert.match(post, /Revocation Reason: keyCompromise \(0x1\)/);
      assert.match(post, /Response verify OK/);

      // RFC 6960 A.1: GET <url>/<url-encoded base64 of the DER request>.
      await ok(
        'openssl',
        ['ocsp', '-issuer', 'chain.pem', '-cert', 'leaf.pem', '-no_nonce', '-reqout', 'req.der'],
        c.dir,
      );
      const b64 = readFileSync(join(c.dir, 'req.der')).toString('base64');
      const res = await fetch(`${ocspUrl}/${encodeURIComponent(b64)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
      writeFileSync(join(c.dir, 'resp.der'), Buffer.from(await res.arrayBuffer()));
      const get = await ok('openssl', [...ocspArgs, '-no_nonce', '-respin', 'resp.der'], c.dir);
      assert.match(get, /^leaf\.pem: revoked$/m);
      assert.match(get, /Response verify OK/);
    });
  }

  test('the AIA caIssuers URL of RSA and ECDSA leaves serves the issuing intermediate as DER that openssl x509 reads', async () => {
    for (const name of ['rsaOnline', 'freeEc'] as const) {
      const c = await issued(name);
      const res = await fetch(urlAfter(c.text, 'CA Issuers -'));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pkix-cert');
      const der = Buffer.from(await res.arrayBuffer());
      writeFileSync(join(c.dir, 'ca.der'), der);
      const subject = await ok('openssl', ['x509', '-inform', 'DER', '-in', 'ca.der', '-noout', '-subject'], c.dir);
      const intermediate = new X509Certificate(c.chainPem);
      assert.ok(der.equals(intermediate.raw));
      assert.match(subject, new RegExp(`CN = ${/CN=(.*)/.exec(intermediate.subject)?.[1]}`));
    }
    assert.equal((await fetch(`${world.url}/ca/int-nope.crt`)).status, 404);
  });

  // --- 5. Lifecycle errors --------------------------------------------------------------------------------

  test('DownloadCertificate before issuance gets FailedOperation.CertificateStatusNotAllowDownload', async () => {
    const id = (await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    assert.equal(
      await sdkErrorCode(client.DownloadCertificate({ CertificateId: id })),
      'FailedOperation.CertificateStatusNotAllowDownload',
    );
  });

  test('RevokeCertificate on an order that is not issued gets FailedOperation.InvalidCertificateStatusCode', async () => {
    const id = (await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
    assert.equal(
      await sdkErrorCode(client.RevokeCertificate({ CertificateId: id })),
      'FailedOperation.InvalidCertificateStatusCode',
    );
  });

  test('DeleteCertificate on an issued certificate gets FailedOperation.CannotBeDeletedIssued, and succeeds once it is revoked', async () => {
    const c = await issueFresh('ecParse', 'delete');
    assert.equal(
      await sdkErrorCode(client.DeleteCertificate({ CertificateId: c.id })),
      'FailedOperation.CannotBeDeletedIssued',
    );
    await client.RevokeCertificate({ CertificateId: c.id });
    const deleted = await client.DeleteCertificate({ CertificateId: c.id });
    assert.equal(deleted.DeleteResult, true);
    assert.equal(
      await sdkErrorCode(client.DescribeCertificate({ CertificateId: c.id })),
      'FailedOperation.CertificateNotFound',
    );
  });

  test('ApplyCertificate past the free quota gets FailedOperation.ExceedsFreeLimit', async () => {
    const acct = await world.services.iam.createAccount({ freeQuota: 1 });
    const c = sdkClient(world, { secretId: acct.SecretId, secretKey: acct.SecretKey });
    const apply = (domain: string) =>
      c.ApplyCertificate({
        DvAuthMethod: 'DNS_AUTO',
        DomainName: domain,
        CsrEncryptAlgo: 'ECC',
        CsrKeyParameter: 'prime256v1',
      });
    const first = await apply('quota1.example');
    assert.match(first.CertificateId, /^\w+$/);
    assert.equal(await sdkErrorCode(apply('quota2.example')), 'FailedOperation.ExceedsFreeLimit');
  });

  // --- 6. UploadCertificate -------------------------------------------------------------------------------

  test('UploadCertificate keeps a downloaded chain with its key as From upload, status 1, with its SubjectAltName', async () => {
    const c = await issued('rsaMulti');
    const up = await client.UploadCertificate({
      CertificatePublicKey: c.leafPem + c.chainPem,
      CertificatePrivateKey: c.keyPem,
    });
    assert.match(up.CertificateId, /^\w+$/);
    assert.notEqual(up.CertificateId, c.id);
    assert.equal(up.RepeatCertId, '');
    const d = await client.DescribeCertificate({ CertificateId: up.CertificateId });
    assert.equal(d.From, 'upload');
    assert.equal(d.Status, Status.Issued);
    assert.equal(d.CertificateType, 'SVR');
    assert.equal(d.Domain, FLOWS.rsaMulti.domains[0]);
    assert.deepEqual(d.SubjectAltName, FLOWS.rsaMulti.domains);
    assert.equal(d.CertBeginTime, beijing(c.leaf.validFrom));
  });

  test('UploadCertificate with the key of another certificate gets FailedOperation.CertificateMismatch', async () => {
    const c = await issued('rsaOnline');
    const other = await issued('ovWildcard');
    assert.equal(
      await sdkErrorCode(
        client.UploadCertificate({ CertificatePublicKey: c.leafPem + c.chainPem, CertificatePrivateKey: other.keyPem }),
      ),
      'FailedOperation.CertificateMismatch',
    );
  });

  test('UploadCertificate with garbage gets FailedOperation.CertificateParseError', async () => {
    const c = await issued('rsaOnline');
    for (const garbage of [
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    ]) {
      assert.equal(
        await sdkErrorCode(
          client.UploadCertificate({ CertificatePublicKey: garbage, CertificatePrivateKey: c.keyPem }),
        ),
        'FailedOperation.CertificateParseError',
        garbage,
      );
    }
  });

  test('UploadCertificate with Repeatable false twice returns the first upload as RepeatCertId', async () => {
    const c = await issued('ecParse');
    const params = { CertificatePublicKey: c.leafPem + c.chainPem, CertificatePrivateKey: c.keyPem, Repeatable: false };
    const first = await client.UploadCertificate(params);
    assert.equal(first.RepeatCertId, '');
    const second = await client.UploadCertificate(params);
    assert.equal(second.RepeatCertId, first.CertificateId);
    // Repeatable left at its default (true) uploads a new copy.
    const third = await client.UploadCertificate({ ...params, Repeatable: true });
    assert.equal(third.RepeatCertId, '');
    assert.notEqual(third.CertificateId, first.CertificateId);
  });

  test('DownloadCertificate of an uploaded certificate gives its chain and keystores without the root', async () => {
    const c = await issued('rsaOnline');
    const up = await client.UploadCertificate({
      CertificatePublicKey: c.leafPem + c.chainPem,
      CertificatePrivateKey: c.keyPem,
      Alias: 'uploaded copy',
    });
    const dl = await client.DownloadCertificate({ CertificateId: up.CertificateId });
    assert.equal(dl.ContentType, 'application/zip');
    const zip = unzipSync(Buffer.from(dl.Content, 'base64'));
    const b = c.base;
    assert.deepEqual(
      Object.keys(zip).sort(),
      [
        `${b}.key`,
        `${b}.pem`,
        'Apache/1_root_bundle.crt',
        `Apache/2_${b}.crt`,
        `Apache/3_${b}.key`,
        `IIS/${b}.pfx`,
        'IIS/keystorePass.txt',
        `Nginx/1_${b}_bundle.crt`,
        `Nginx/2_${b}.key`,
        `Tomcat/${b}.jks`,
        'Tomcat/keystorePass.txt',
      ].sort(),
    );
    assert.equal(Buffer.from(zip[`Nginx/1_${b}_bundle.crt`]).toString(), c.leafPem + c.chainPem);
    // No KeyPassword was given with the upload, so one was made up and written beside the keystores.
    const password = Buffer.from(zip['IIS/keystorePass.txt']).toString();
    assert.match(password, /^[A-Za-z0-9]{16}$/);
    const dir = join(work, 'uploaded');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.pfx'), zip[`IIS/${b}.pfx`]);
    const out = await ok('openssl', ['pkcs12', '-in', 'x.pfx', '-passin', `pass:${password}`, '-nodes'], dir);
    const certs = pemBlocks(out).map((p) => new X509Certificate(p));
    assert.equal(certs.length, 2, 'leaf and intermediate only');
    assert.ok(!certs.some((x) => x.raw.equals(new X509Certificate(rootPem).raw)), 'the root is not packed');
  });

  // --- 7. Exactly once -----------------------------------------------------------------------------------

  test('10 orders committed at once, with two more workers racing, are each issued exactly once with distinct serials', async () => {
    const { store, orders, ca } = world.services;
    const auto: DcvChecker = { check: async () => ({ ok: true, detail: 'auto' }) };
    // Extra workers on the same store, as other nodes would run them; each claims with its own lease.
    const racers = [1, 2].map(
      () =>
        new Worker({
          store,
          orders,
          checker: auto,
          signer: { issue: (req) => issueLeaf(ca!, { ...req, baseUrl: world.url }) },
          options: { pollMs: 20, backoffMs: 50, maxBackoffMs: 200, validationTimeoutSeconds: 60 },
        }),
    );
    for (const r of racers) r.start();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const id = (await client.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })).CertificateIds[0];
        const csr = await makeCsr({ key: 'ec:P-256', subject: `/CN=once${i}.example` });
        await client.SubmitCertificateInformation({
          CertificateId: id,
          CsrType: 'parse',
          CsrContent: csr.csr,
          ContactEmail: `ops@once${i}.example`,
        });
        ids.push(id);
      }
      const committed = await Promise.all(
        ids.map((id) => client.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' })),
      );
      assert.ok(committed.every((r) => r.Status === Status.Reviewing));
      await Promise.all(ids.map((id) => waitIssued(client, id)));
      // Let any straggling pass finish before counting.
      await new Promise((r) => setTimeout(r, 300));

      const logs = await client.DescribeCertificateOperateLogs({ Limit: 1000 });
      assert.ok(logs.AllTotal <= 1000, 'every log entry is on this page');
      const serials = new Set<string>();
      for (const id of ids) {
        const issues = (logs.OperateLogs as Array<{ Action: string; CertId: string; Type: string }>).filter(
          (l) => l.CertId === id && l.Action === 'IssueCertificate',
        );
        assert.equal(issues.length, 1, `certificate ${id} has ${issues.length} IssueCertificate entries`);
        assert.equal(issues[0].Type, `${Status.Reviewing}->${Status.Issued}`);
        const detail = await client.DescribeCertificateDetail({ CertificateId: id });
        serials.add(new X509Certificate(pemBlocks(detail.CertificatePublicKey)[0]).serialNumber);
      }
      assert.equal(serials.size, ids.length);
    } finally {
      await Promise.all(racers.map((r) => r.stop()));
    }
  });
});
