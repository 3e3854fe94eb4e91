/**
 * Builds a recording's timeline columns off the main thread: a million-exit journal takes about a second to walk,
 * a second in which the server would otherwise answer nobody. The columns come back transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanJournal, transferables } from './timeline-columns.js';

const { path } = workerData as { path: string };
try {
  const cols = scanJournal(path);
  parentPort!.postMessage({ ok: true, cols }, transferables(cols));
} catch (e) {
  const err = e as { code?: string; message?: string };
  parentPort!.postMessage({ ok: false, code: err.code ?? 'INTERNAL', message: err.message ?? String(e) });
}
