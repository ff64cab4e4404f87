// Moves SQLite's WAL checkpoints off the thread that serves requests. By default the connection that commits the
// transaction crossing wal_autocheckpoint (1000 pages) copies the WAL back into the database file and syncs it, inside
// that request: a quarter of a CreateCertificate's time in the benchmark. With a checkpointer, the serving connection
// never checkpoints; a worker thread with its own connection runs a PASSIVE checkpoint every few hundred
// milliseconds, which waits for no reader or writer and so never holds up the server.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker's whole program: plain CommonJS, so it runs the same under tsx and from dist/. */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  tick();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** one last checkpoint, then the worker ends */
  stop(): Promise<void>;
}

/**
 * Starts the worker for the database file at `path`; the caller sets its serving connection's wal_autocheckpoint to 0
 * and passes `onLost`, which must give that connection its checkpoints back should the worker ever end on its own.
 */
export function startCheckpointer(path: string, onLost: () => void, everyMs = 250): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  // Without the process's node flags: a --cpu-prof of the server should not profile this thread too (its profiler
  // kept a few percent of a core busy in an idle server).
  const worker = new Worker(PROGRAM, { eval: true, workerData: { path, module, everyMs }, execArgv: [] });
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!stopping) onLost();
      resolve();
    }),
  );
  worker.on('error', () => {});
  return {
    async stop() {
      stopping = true;
      // Held while it finishes: unref'd, the worker would not keep the process alive long enough to close cleanly.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
