// Puts the house together from a config: store, master key, identity, orders. Used by `serve` and by every
// admin command, so both always see the same store the same way.

import { join } from 'node:path';
import type { Services } from '../actions/context.js';
import type { Config } from '../config.js';
import { Iam } from '../iam/iam.js';
import { Orders } from '../orders/orders.js';
import { KeySourcePools } from '../pki/key-source.js';
import { loadOrCreateMasterKey, SecretBox } from '../pki/secret-box.js';
import { certificateReader } from '../store/certificates-repo.js';
import { openStore, type Store } from '../store/db.js';
import { findAccount } from '../store/iam-repo.js';

export interface Assembled extends Services {
  store: Store;
  box: SecretBox;
  keys: KeySourcePools;
  close(): Promise<void>;
}

/**
 * `background` starts the key pools filling (the server); admin commands leave them empty and idle, so a
 * one-shot command never spends CPU on keys it will not use.
 */
export async function assemble(config: Config, opts: { background?: boolean } = {}): Promise<Assembled> {
  const store = await openStore({ url: config.db, dataDir: config.dataDir });
  const box = new SecretBox(
    loadOrCreateMasterKey({ keyHex: config.masterKey || undefined, file: join(config.dataDir, 'master.key') }),
  );
  const iam = new Iam({ store, box });
  const keys = new KeySourcePools(
    opts.background ? { 'RSA-2048': config.keys.rsaPoolSize, 'EC-P256': config.keys.ecPoolSize } : {},
  );
  if (opts.background) keys.start();
  const orders = new Orders({
    store,
    box,
    keys,
    projectBelongsTo: (uin, id) => iam.projectBelongsTo(uin, id),
    freeQuotaOf: async (db, uin) => (await findAccount(db, uin))?.free_quota ?? 0,
  });
  return {
    store,
    box,
    keys,
    iam,
    orders,
    certificates: certificateReader(store.db),
    async close() {
      await keys.close();
      await store.close();
    },
  };
}
