import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { probeEnd, type ProbedEnd } from '../../sim/journal/end-probe.js';
import { Symbolizer } from '../export/symbolizer.js';
import { VmRequestError } from '../vm/vm-request-error.js';
import type { WalkJob } from './scan-worker.js';
import { exitsGuess, extendColumns, scanHead, TimelineColumns, type ColumnsBatch, type WalkState } from './timeline-columns.js';

/** Recordings whose columns are kept (a million exits take about 50 MB of them). */
const KEEP = 4;
const SCAN_WORKER = new URL('./scan-worker.js', import.meta.url);

export interface IndexOptions {
  /** Journals smaller than this are walked at once on the main thread: a few milliseconds, less than starting a worker. */
  small: number;
  /**
   * A bigger journal's first `headRecords` records are read at once on the main thread (a few milliseconds: the
   * page's first picture), the rest in a worker, which hands out what it has every `periodMs`, checked every
   * `periodRecords` records.
   */
  headRecords: number;
  periodRecords: number;
  periodMs: number;
}

const DEFAULTS: IndexOptions = { small: 4 << 20, headRecords: 8192, periodRecords: 4096, periodMs: 120 };

/**
 * The options, with HINDSIGHT_UI_INDEX=small,headRecords,periodRecords,periodMs over the defaults: the tests walk
 * a small journal in a worker, batch by batch, as a big one is walked.
 */
export function indexOptions(env = process.env.HINDSIGHT_UI_INDEX): IndexOptions {
  if (env === undefined || env === '') return DEFAULTS;
  const [small, headRecords, periodRecords, periodMs] = env.split(',').map(Number);
  if (![small, headRecords, periodRecords, periodMs].every((n) => Number.isSafeInteger(n) && n >= 0) || headRecords < 1 || periodRecords < 1) {
    throw new Error(`HINDSIGHT_UI_INDEX must be small,headRecords,periodRecords,periodMs (integers), not '${env}'`);
  }
  return { small, headRecords, periodRecords, periodMs };
}

type WorkerMessage =
  | { ok: true; batch: ColumnsBatch; done?: WalkState }
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
  probed: ProbedEnd | null = null;
  readonly done: Promise<TimelineColumns>;
  symbols?: Symbolizer | null;
  private waiters: (() => void)[] = [];

  constructor(readonly path: string, opts: IndexOptions) {
    const st = statSync(path);
    this.cols.fileSize = st.size;
    this.cols.fileMtime = st.mtimeMs;
    const big = st.size >= opts.small;
    let whole: boolean;
    try {
      this.probed = big ? probeEnd(path) : null;
      // The header and the first records at once, here: the page has something to draw without waiting for a worker.
      const head = scanHead(path, big ? opts.headRecords : Infinity);
      whole = head.whole;
      this.cols.image = head.cols.image;
      this.cols.ramSize = head.cols.ramSize;
      this.cols.walkState = head.cols.walkState;
      if (big) this.cols.reserve(exitsGuess(st.size));
      this.cols.addBatch(head.cols.drain());
      this.headed = true;
    } catch (e) {
      this.failure = e as Error;
      this.done = Promise.reject(e);
      this.done.catch(() => undefined);
      return;
    }
    if (whole) {
      this.complete = true;
      this.done = Promise.resolve(this.cols);
      return;
    }
    const job: WalkJob = { path, from: this.cols.walkState, periodRecords: opts.periodRecords, periodMs: opts.periodMs };
    this.done = new Promise((resolve, reject) => {
      // Once the first answer is out: starting a thread takes CPU the answer should have on a busy machine.
      setImmediate(() => this.walkOn(job, resolve, reject));
    });
    // Waiters see the failure; nobody need catch it here.
    this.done.catch(() => undefined);
  }

  private walkOn(job: WalkJob, resolve: (cols: TimelineColumns) => void, reject: (e: Error) => void): void {
    const worker = new Worker(SCAN_WORKER);
    worker.postMessage(job);
    const fail = (e: Error) => {
      if (this.complete || this.failure !== null) return;
      this.failure = e;
      reject(e);
      this.wake();
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (!m.ok) return fail(new VmRequestError(m.code, m.message));
      this.cols.addBatch(m.batch);
      if (m.done !== undefined) {
        this.cols.walkState = m.done;
        this.complete = true;
        resolve(this.cols);
      }
      this.wake();
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new VmRequestError('INTERNAL', `the journal walk stopped (exit code ${code})`)));
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

  constructor(private readonly opts: IndexOptions = indexOptions()) {}

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
    if (e === undefined) e = new RecordingIndex(path, this.opts);
    // Most recently used last.
    this.entries.delete(path);
    this.entries.set(path, e);
    // (One still being built finishes its walk for those waiting on it, and is then let go.)
    while (this.entries.size > KEEP) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }
}
