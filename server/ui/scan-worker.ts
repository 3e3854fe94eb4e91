/**
 * Builds a recording's timeline columns off the main thread, handing them out as it goes: a million-exit journal
 * takes seconds to walk, seconds in which the server would otherwise answer nobody and the page would show nothing.
 * Every `periodMs` (checked every `periodRecords` records; the first batch at the first check) it posts the exits
 * walked since the last batch, the first batch with the header's image and RAM size, the last with where the walk
 * stopped. Batches are transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { scanJournal, transferables, type TimelineColumns } from './timeline-columns.js';

export interface WalkJob {
  path: string;
  periodRecords: number;
  periodMs: number;
}

function walk({ path, periodRecords, periodMs }: WalkJob): void {
  let first = true;
  let last = -Infinity;
  const post = (cols: TimelineColumns, done: boolean) => {
    const batch = cols.drain();
    parentPort!.postMessage({
      ok: true, batch, head: first ? { image: cols.image, ramSize: cols.ramSize } : undefined, done: done ? cols.walkState : undefined,
    }, transferables(batch));
    first = false;
    last = Date.now();
  };
  try {
    const cols = scanJournal(path, periodRecords, (c) => { if (Date.now() - last >= periodMs) post(c, false); });
    post(cols, true);
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
