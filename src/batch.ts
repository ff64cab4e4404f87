// Whether the running code is part of the API's batch: the requests one poll phase of the event loop read, started
// together in one callback of the check phase (gateway/api-fast-path.ts). Group commit (store/db.ts) asks, because a
// group that began in the batch's drain has been joined by every write of the batch by the time that drain ends, and
// need not wait a further turn for company. Imports nothing, like errors.ts.

let inBatch = false;

/**
 * Runs `starts` as the batch. The mark lasts for the callback's drain: until the first round of ticks after it, once
 * the promise jobs queued until then (and those they queue) have run.
 */
export function runAsBatch(starts: () => void): void {
  inBatch = true;
  try {
    starts();
  } finally {
    queueMicrotask(() =>
      process.nextTick(() => {
        inBatch = false;
      }),
    );
  }
}

/** True while the API's batch is running its drain. */
export function runningBatch(): boolean {
  return inBatch;
}
