// Puts the house together from a config: store, master key, identity, orders, and for a server also the CA, the
// domain checker, the worker and the CRL/OCSP responder. Used by `serve` and by every admin command, so both
// always see the same store the same way.

import { join } from 'node:path';
import type { Services } from '../actions/context.js';
import type { Config } from '../config.js';
import { createChecker } from '../dcv/dcv.js';
import { Iam } from '../iam/iam.js';
import { Orders } from '../orders/orders.js';
import { Worker } from '../orders/worker.js';
import { CertificateAuthority } from '../pki/ca.js';
import { KeySourcePools } from '../pki/key-source.js';
import { PkiResponder } from '../pki/responder.js';
import { loadOrCreateMasterKey, SecretBox } from '../pki/secret-box.js';
import { issueLeaf } from '../pki/signer.js';
import { authorityStore } from '../store/authorities-repo.js';
import * as certs from '../store/certificates-repo.js';
import { openStore, type Store } from '../store/db.js';
import { withHotReads } from '../store/hot-reads.js';
import { findAccount } from '../store/iam-repo.js';

export interface Assembled extends Services {
  store: Store;
  box: SecretBox;
  keys: KeySourcePools;
  /** present for a server (`issuing: true`) */
  ca?: CertificateAuthority;
  worker?: Worker;
  responder?: PkiResponder;
  close(): Promise<void>;
}

export interface AssembleOptions {
  /**
   * A server: open (or create) the CA, fill the key pools in the background and run the worker. Admin commands
   * leave all of that idle, so a one-shot command never spends CPU on keys or checks it will not use.
   */
  issuing?: boolean;
  log?: { info(o: object, m?: string): void; error(o: object, m?: string): void };
}

export function publicBaseUrl(config: Config): string {
  return (config.publicBaseUrl || `http://${config.listen}`).replace(/\/+$/, '');
}

export async function assemble(config: Config, opts: AssembleOptions = {}): Promise<Assembled> {
  // A server's store checkpoints its WAL from a worker thread; a one-off admin command's need not start one.
  const store = await openStore({
    url: config.db,
    dataDir: config.dataDir,
    backgroundCheckpoints: opts.issuing === true,
  });
  const box = new SecretBox(
    loadOrCreateMasterKey({ keyHex: config.masterKey || undefined, file: join(config.dataDir, 'master.key') }),
  );
  const iam = new Iam({ store, box });
  const keys = new KeySourcePools(
    opts.issuing ? { 'RSA-2048': config.keys.rsaPoolSize, 'EC-P256': config.keys.ecPoolSize } : {},
    { keyThreads: config.keys.threads, log: opts.log },
  );
  const ca = opts.issuing
    ? await CertificateAuthority.open({
        store: authorityStore(store),
        box,
        organization: config.ca.organization,
        intermediateRsaBits: config.ca.intermediateRsaBits,
      })
    : undefined;
  const checker = createChecker({ mode: config.validation, ...config.dcv });
  let worker: Worker | undefined;
  const orders = new Orders({
    store,
    box,
    keys,
    checker,
    rootPem: ca ? () => ca.rootPem() : undefined,
    onDue: () => worker?.kick(),
    projectBelongsTo: (uin, id) => iam.projectBelongsTo(uin, id),
    freeQuotaOf: async (db, uin) => (await findAccount(db, uin))?.free_quota ?? 0,
  });
  let responder: PkiResponder | undefined;
  if (ca) {
    const baseUrl = publicBaseUrl(config);
    worker = new Worker({
      store,
      orders,
      checker,
      signer: { issue: (req) => issueLeaf(ca, { ...req, baseUrl }) },
      options: config.worker,
      log: opts.log,
    });
    responder = new PkiResponder(ca, {
      revokedBy: async (issuerId) =>
        (await certs.revokedBy(store.db, issuerId)).map((r) => ({
          serialHex: r.serial,
          revokedAt: r.revoked_at,
          reason: r.revocation_reason ?? undefined,
        })),
      lookup: async (issuerId, serial) => {
        const r = await certs.findBySerial(store.db, issuerId, serial);
        return r && { revokedAt: r.revoked_at, reason: r.revocation_reason };
      },
      stamp: (issuerId) => certs.revocationStamp(store.db, issuerId),
    });
    keys.start();
    if (config.worker.enabled) worker.start();
  }
  return {
    store,
    box,
    keys,
    ca,
    worker,
    responder,
    iam,
    orders,
    certificates: withHotReads(store, certs.certificateReader(store.db, store.read)),
    async close() {
      await worker?.stop();
      await keys.close();
      await store.close();
    },
  };
}
