import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Symbolizer } from '../export/symbolizer.js';
import { VmRequestError } from '../vm/vm-request-error.js';
import { extendColumns, revive, scanJournal, type TimelineColumns } from './timeline-columns.js';

/** Recordings whose columns are kept (a million exits take about 50 MB of them). */
const KEEP = 4;
const SCAN_WORKER = new URL('./scan-worker.js', import.meta.url);

interface Entry {
  columns: Promise<TimelineColumns>;
  symbols?: Symbolizer | null;
}

/** Journals smaller than this are walked on the main thread: a few milliseconds, less than starting a worker. */
const SMALL = 4 << 20;

/** Walks a journal in a worker thread (or at once when it is small). */
function scanInWorker(path: string): Promise<TimelineColumns> {
  if (statSync(path).size < SMALL) return Promise.resolve().then(() => scanJournal(path));
  return new Promise((resolve, reject) => {
    const worker = new Worker(SCAN_WORKER, { workerData: { path } });
    worker.once('message', (m: { ok: true; cols: TimelineColumns } | { ok: false; code: string; message: string }) => {
      if (m.ok) resolve(revive(m.cols));
      else reject(new VmRequestError(m.code, m.message));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * The timeline columns of the recordings the UI looks at: built once per file in a worker thread, extended in place
 * when the file grows (a live VM's recording is appended to; a journal never changes otherwise). The least recently
 * used go first.
 */
export class TimelineCache {
  private readonly entries = new Map<string, Entry>();

  async columns(path: string): Promise<TimelineColumns> {
    return this.entry(path).then((e) => e.columns);
  }

  /** The symbols of the recording's image (null when it has none). */
  async symbols(path: string): Promise<Symbolizer | null> {
    const e = await this.entry(path);
    const cols = await e.columns;
    if (e.symbols === undefined) e.symbols = cols.image === null ? null : Symbolizer.fromImage(cols.image.bytes);
    return e.symbols;
  }

  private async entry(path: string): Promise<Entry> {
    let e = this.entries.get(path);
    if (e !== undefined) {
      let cols: TimelineColumns | null;
      try {
        cols = await e.columns;
      } catch {
        cols = null;
      }
      // Checked after the wait, so that requests that waited together see one another's extension.
      const st = statSync(path);
      if (cols === null || st.size < cols.fileSize || (st.size === cols.fileSize && st.mtimeMs !== cols.fileMtime)) {
        if (this.entries.get(path) === e) this.entries.delete(path);
        e = this.entries.get(path);
      } else if (st.size > cols.fileSize) {
        extendColumns(cols, path);
        cols.fileSize = st.size;
        cols.fileMtime = st.mtimeMs;
      }
    }
    if (e === undefined) {
      const st = statSync(path);
      const entry: Entry = {
        columns: scanInWorker(path).then((cols) => {
          cols.fileSize = st.size;
          cols.fileMtime = st.mtimeMs;
          return cols;
        }),
      };
      // A scan that fails is not kept: the next request tries again.
      entry.columns.catch(() => { if (this.entries.get(path) === entry) this.entries.delete(path); });
      e = entry;
    }
    // Most recently used last.
    this.entries.delete(path);
    this.entries.set(path, e);
    while (this.entries.size > KEEP) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }
}
