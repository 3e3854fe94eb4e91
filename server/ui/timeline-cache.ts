import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { probeEnd, type ProbedEnd } from '../../sim/journal/end-probe.js';
import { Symbolizer } from '../export/symbolizer.js';
import { VmRequestError } from '../vm/vm-request-error.js';
import type { WalkJob } from './scan-worker.js';
import { exitsGuess, extendColumns, scanJournal, TimelineColumns, type ColumnsBatch, type WalkState } from './timeline-columns.js';

/** Recordings whose columns are kept (a million exits take about 50 MB of them). */
const KEEP = 4;
const SCAN_WORKER = new URL('./scan-worker.js', import.meta.url);

export interface IndexOptions {
  /** Journals smaller than this are walked at once on the main thread: a few milliseconds, less than starting a worker. */
  small: number;
  /** A bigger journal's walk hands out what it has every `periodMs`, checked every `periodRecords` records. */
  periodRecords: number;
  periodMs: number;
}

const DEFAULTS: IndexOptions = { small: 4 << 20, periodRecords: 4096, periodMs: 120 };

/**
 * The options, with HINDSIGHT_UI_INDEX=small,periodRecords,periodMs over the defaults: the tests walk a small
 * journal in a worker, batch by batch, as a big one is walked.
 */
export function indexOptions(env = process.env.HINDSIGHT_UI_INDEX): IndexOptions {
  if (env === undefined || env === '') return DEFAULTS;
  const [small, periodRecords, periodMs] = env.split(',').map(Number);
  if (![small, periodRecords, periodMs].every((n) => Number.isSafeInteger(n) && n >= 0) || periodRecords < 1) {
    throw new Error(`HINDSIGHT_UI_INDEX must be small,periodRecords,periodMs (integers), not '${env}'`);
  }
  return { small, periodRecords, periodMs };
}

type WorkerMessage =
  | { ok: true; batch: ColumnsBatch; head?: { image: TimelineColumns['image']; ramSize: number }; done?: WalkState }
  | { ok: false; code: string; message: string };

/**
 * One recording's timeline columns: complete, or still being built by a walk in a worker thread, which hands out
 * its exits in order as it goes. What is served before the walk ends is a true prefix of the recording (the exits
 * walked so far), marked incomplete; nothing is guessed.
 */
export class RecordingIndex {
  readonly cols = new TimelineColumns();
  complete = false;
  /** The header has been read (image, RAM size). */
  headed = false;
  failure: Error | null = null;
  /** A closed journal's end record, read from its tail at once: the run's length and exit count, before the walk confirms them. */
  readonly probed: ProbedEnd | null;
  readonly done: Promise<TimelineColumns>;
  symbols?: Symbolizer | null;
  private worker: Worker | null = null;
  private waiters: (() => void)[] = [];

  /** `spare`: a walker started beforehand (its modules loaded), to use rather than start one. */
  constructor(readonly path: string, opts: IndexOptions, spare?: Worker) {
    const st = statSync(path);
    this.cols.fileSize = st.size;
    this.cols.fileMtime = st.mtimeMs;
    if (st.size < opts.small) {
      this.probed = null;
      try {
        const cols = scanJournal(path);
        this.cols.image = cols.image;
        this.cols.ramSize = cols.ramSize;
        this.cols.walkState = cols.walkState;
        this.cols.addBatch(cols.drain());
        this.headed = this.complete = true;
        this.done = Promise.resolve(this.cols);
      } catch (e) {
        this.failure = e as Error;
        this.done = Promise.reject(e);
        this.done.catch(() => undefined);
      }
      return;
    }
    this.probed = probeEnd(path);
    this.cols.reserve(exitsGuess(st.size));
    this.done = new Promise((resolve, reject) => {
      const worker = spare ?? new Worker(SCAN_WORKER);
      worker.postMessage({ path, periodRecords: opts.periodRecords, periodMs: opts.periodMs } satisfies WalkJob);
      this.worker = worker;
      const fail = (e: Error) => {
        if (this.complete || this.failure !== null) return;
        this.failure = e;
        reject(e);
        this.wake();
        void worker.terminate();
      };
      worker.on('message', (m: WorkerMessage) => {
        if (!m.ok) return fail(new VmRequestError(m.code, m.message));
        if (m.head !== undefined) {
          this.cols.image = m.head.image;
          this.cols.ramSize = m.head.ramSize;
          this.headed = true;
        }
        this.cols.addBatch(m.batch);
        if (m.done !== undefined) {
          this.cols.walkState = m.done;
          this.complete = true;
          this.worker = null;
          resolve(this.cols);
        }
        this.wake();
      });
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new VmRequestError('INTERNAL', `the journal walk stopped (exit code ${code})`)));
    });
    // Waiters see the failure; nobody need catch it here.
    this.done.catch(() => undefined);
  }

  /** Until `enough()` holds or the walk has ended (a failed walk throws). */
  async until(enough: () => boolean): Promise<void> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (this.complete || enough()) return;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  /** Until the walk has passed exit `seq` (or ended): all that the exits before it carry is then known. */
  reached(seq: number): Promise<void> {
    const c = this.cols;
    return this.until(() => c.count > 0 && c.seq[c.count - 1] >= seq);
  }

  /** Of what the walk has to do, how much it has done: exits (of the end record's count) or else bytes. */
  get progress(): { done: number; of: number; unit: 'exits' | 'bytes' } {
    const c = this.cols;
    if (this.probed !== null) return { done: this.complete ? this.probed.exits : Math.min(c.count, this.probed.exits), of: this.probed.exits, unit: 'exits' };
    const at = c.count === 0 ? 0 : c.offset[c.count - 1];
    return { done: this.complete ? c.fileSize : at, of: c.fileSize, unit: 'bytes' };
  }

  stop(): void {
    void this.worker?.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * The timeline columns of the recordings the UI looks at: built once per file (in a worker thread, served as they
 * are built), extended in place when the file grows (a live VM's recording is appended to; a journal never changes
 * otherwise). The least recently used go first.
 */
export class TimelineCache {
  private readonly entries = new Map<string, RecordingIndex>();

  private spare: Worker | null = null;

  constructor(private readonly opts: IndexOptions = indexOptions()) {}

  /**
   * Starts a walker with nothing to do yet, for the next recording opened for the first time: the page asks for a
   * timeline a moment after it loads, and a worker takes about that long to load its modules. One at most; it is
   * unref'd (it holds nothing up) and ends when the server does.
   */
  prewarm(): void {
    if (this.spare !== null) return;
    const worker = new Worker(SCAN_WORKER);
    worker.unref();
    worker.once('error', () => { if (this.spare === worker) this.spare = null; });
    this.spare = worker;
  }

  private takeSpare(): Worker | undefined {
    const w = this.spare;
    this.spare = null;
    w?.ref();
    return w ?? undefined;
  }

  /** The complete columns. */
  async columns(path: string): Promise<TimelineColumns> {
    return this.index(path).done;
  }

  /** The symbols of the recording's image (null when it has none): as soon as the header is read. */
  async symbols(path: string): Promise<Symbolizer | null> {
    const ix = this.index(path);
    await ix.until(() => ix.headed);
    if (ix.symbols === undefined) ix.symbols = ix.cols.image === null ? null : Symbolizer.fromImage(ix.cols.image.bytes);
    return ix.symbols;
  }

  /** The recording's index, complete or being built (a complete one brought up to date with its file first). */
  index(path: string): RecordingIndex {
    let e = this.entries.get(path);
    if (e !== undefined && (e.complete || e.failure !== null)) {
      const cols = e.complete ? e.cols : null;
      const st = statSync(path);
      if (cols === null || st.size < cols.fileSize || (st.size === cols.fileSize && st.mtimeMs !== cols.fileMtime)) {
        // Failed, or not the file it was built from: built again (a failed walk is not kept).
        this.entries.delete(path);
        e = undefined;
      } else if (st.size > cols.fileSize) {
        extendColumns(cols, path);
        cols.fileSize = st.size;
        cols.fileMtime = st.mtimeMs;
      }
    }
    if (e === undefined) {
      const st = statSync(path);
      e = new RecordingIndex(path, this.opts, st.size >= this.opts.small ? this.takeSpare() : undefined);
    }
    // Most recently used last.
    this.entries.delete(path);
    this.entries.set(path, e);
    while (this.entries.size > KEEP) {
      const [oldest, ix] = this.entries.entries().next().value!;
      ix.stop();
      this.entries.delete(oldest);
    }
    return e;
  }
}
