// The ends of the event loop's units of work, where more than one room times something by them: the drain of a
// callback's ticks and promise jobs (`afterDrain`), and the API's batch, the requests one poll phase read, started
// together in one callback of the check phase (gateway/api-fast-path.ts). The read cache holds its header for a drain
// (store/read-cache.ts); group commit waits for one, and asks whether it began in the batch (store/db.ts), because a
// group that did has been joined by every write of the batch by the time that drain ends and need not wait a further
// turn for company. Imports nothing, like errors.ts.

/**
 * Runs `fn` at the first round of ticks from now, once the promise jobs queued until then (and those they queue) have
 * run: the end of the current drain. A tick queued from a promise job runs once all promise jobs have; queued at once
 * from within a tick (a stream's 'end' event is one), it would run before them.
 */
export function afterDrain(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}

let inBatch = false;

/** Runs `starts` as the batch. The mark lasts until the end of the callback's drain (`afterDrain`). */
export function runAsBatch(starts: () => void): void {
  inBatch = true;
  try {
    starts();
  } finally {
    afterDrain(() => {
      inBatch = false;
    });
  }
}

/** True while the API's batch is running its drain. */
export function runningBatch(): boolean {
  return inBatch;
}
