// Puts the house together from a config: store, master key, identity, orders. Used by `serve` and by every
// admin command, so both always see the same store the same way.

import { join } from 'node:path';
import type { Services } from '../actions/context.js';
import type { Config } from '../config.js';
import { Iam } from '../iam/iam.js';
import { Orders } from '../orders/orders.js';
import { loadOrCreateMasterKey, SecretBox } from '../pki/secret-box.js';
import { certificateReader } from '../store/certificates-repo.js';
import { openStore, type Store } from '../store/db.js';

export interface Assembled extends Services {
  store: Store;
  box: SecretBox;
  close(): Promise<void>;
}

export async function assemble(config: Config): Promise<Assembled> {
  const store = await openStore({ url: config.db, dataDir: config.dataDir });
  const box = new SecretBox(
    loadOrCreateMasterKey({ keyHex: config.masterKey || undefined, file: join(config.dataDir, 'master.key') }),
  );
  const iam = new Iam({ store, box });
  const orders = new Orders({ store, projectBelongsTo: (uin, id) => iam.projectBelongsTo(uin, id) });
  return {
    store,
    box,
    iam,
    orders,
    certificates: certificateReader(store.db),
    async close() {
      await store.close();
    },
  };
}
