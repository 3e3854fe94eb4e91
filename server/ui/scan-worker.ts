/**
 * Walks on through a recording's journal off the main thread (the server has read its header and first records),
 * handing out the timeline columns as it goes: a million-exit journal takes seconds to walk, seconds in which the
 * server would otherwise answer nobody and the page would show nothing. Every `periodMs` (checked every
 * `periodRecords` records) it posts the exits walked since the last batch, the last batch with where the walk
 * stopped. Batches are transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { extendColumns, TimelineColumns, transferables, type WalkState } from './timeline-columns.js';

export interface WalkJob {
  path: string;
  /** Where to walk on from (the server has read the header and the first records itself). */
  from: WalkState;
  periodRecords: number;
  periodMs: number;
}

function walk({ path, from, periodRecords, periodMs }: WalkJob): void {
  const cols = new TimelineColumns();
  cols.walkState = from;
  let last = Date.now();
  const post = (done: boolean) => {
    const batch = cols.drain();
    parentPort!.postMessage({ ok: true, batch, done: done ? cols.walkState : undefined }, transferables(batch));
    last = Date.now();
  };
  try {
    extendColumns(cols, path, periodRecords, () => { if (Date.now() - last >= periodMs) post(false); });
    post(true);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ ok: false, code: err.code ?? 'INTERNAL', message: err.message ?? String(e) });
  }
}

// The job comes by message: a worker may be started (its modules loaded) before anyone asks for a recording.
parentPort!.once('message', (job: WalkJob) => {
  walk(job);
  parentPort!.close();
});
