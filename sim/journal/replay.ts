import type { Hart, TierOptions } from '../cpu/hart.js';
import { SimError } from '../errors.js';
import { needsAnswer, type ExitAnswer, type VcpuExit } from '../kvm/exits.js';
import type { ObserverStop, Vcpu } from '../kvm/vcpu.js';
import { isaFeatures, Machine } from '../machine.js';
import { StateDigester } from '../state-digest.js';
import {
  decodeAnswerAt, decodeAt, encodeVcpuExit, exitIcountAt, INTR_HALT, INTR_IMMEDIATE_EXIT, MAX_FIXED_RECORD, RecordError, TAG_ANSWER_MMIO,
  TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO,
} from './codec.js';
import { JournalFormatError } from './journal-error.js';
import { inputMisfit } from './schema.js';
import { JournalHeader, JournalRecord } from './format.js';
import { ParsedJournal, RecordTable, recordTable } from './reader.js';
import { applyInput, sha256 } from './session.js';

/** The first place a replay differs from its recording. */
export interface Divergence {
  /** Index of the journal record (0 = first after the header) and its file offset. */
  record: number;
  offset: number;
  icount: number;
  /** Which field differs: `reason`, `physAddr`, `data`, `digest`, ... */
  field: string;
  expected: string;
  actual: string;
}

export interface ReplayOptions {
  /** Replay against this image instead of the one the journal holds (refused unless it is the same). */
  image?: Uint8Array;
  /** Called with every replayed exit, the answer fed to it, and the machine (in the state right after the answer). */
  onExit?: (exit: VcpuExit, answer: ExitAnswer | undefined, machine: Machine) => void;
  /** Stop after this exit seq has been replayed (and answered). */
  stopAfterSeq?: number;
  /**
   * Called with every replayed exit before its recorded answer is fed, the machine as userspace saw it at the exit
   * (onExit comes after the answer: an MMIO load's register written, the pc moved on).
   */
  beforeAnswer?: (exit: VcpuExit, machine: Machine) => void;
  /** Told every PROGRESS_INSNS instructions and every 4096 exits, with the instructions and exits so far (a progress line). */
  onProgress?: (icount: number, exits: number) => void;
  /** Which execution tiers run the replay (any tier replays any recording: the tier is not part of the run). */
  tier?: TierOptions;
}

/** How far apart onProgress is told. */
const PROGRESS_INSNS = 20_000_000;

export interface ReplayResult {
  ok: boolean;
  divergence?: Divergence;
  /** Exits replayed and instructions retired. */
  exits: number;
  icount: number;
  /** Whether the journal had an end record, and the digests there and here. */
  closed: boolean;
  recordedDigest?: string;
  finalDigest: string;
  machine: Machine;
}

/** Builds the machine a journal describes; refuses an image or configuration that is not the recorded one. */
export function machineForJournal(header: JournalHeader, image?: Uint8Array, tier?: TierOptions): Machine {
  const recorded = header.images.find((i) => i.role === 'kernel');
  if (recorded === undefined) throw new SimError('JOURNAL_CORRUPT', 'the journal header names no kernel image');
  // The embedded initrd is checked as the kernel is: the bytes used must be the bytes recorded.
  const initrd = header.images.find((i) => i.role === 'initrd');
  if (initrd !== undefined && sha256(initrd.bytes) !== initrd.sha256) {
    throw new SimError('JOURNAL_IMAGE_MISMATCH', `the initrd the journal holds is not the one recorded (sha256 ${initrd.sha256.slice(0, 16)}…)`);
  }
  const bytes = image ?? recorded.bytes;
  const digest = sha256(bytes);
  if (digest !== recorded.sha256) {
    throw new SimError('JOURNAL_IMAGE_MISMATCH', `the image (sha256 ${digest.slice(0, 16)}…) is not the one recorded (${recorded.name}, sha256 ${recorded.sha256.slice(0, 16)}…)`);
  }
  const m = header.machine;
  try {
    isaFeatures(m.isa);
  } catch (e) {
    throw new SimError('JOURNAL_CONFIG_MISMATCH', `the journal's machine cannot be built here: ${(e as Error).message}`);
  }
  const machine = new Machine(bytes, { ramSize: m.ramSize, isa: m.isa, bootargs: m.bootargs, mmuType: m.mmuType as 'riscv,sv39' | 'riscv,sv48', initrd: initrd?.bytes, tier });
  const dtb = sha256(machine.dtb);
  if (dtb !== header.dtbSha256) {
    throw new SimError('JOURNAL_CONFIG_MISMATCH', `this hindsight builds a different machine (device tree sha256 ${dtb.slice(0, 16)}…, recorded ${header.dtbSha256.slice(0, 16)}…)`);
  }
  return machine;
}

/** What one step of a Replayer did. */
export type ReplayStep =
  /**
   * An exit was replayed and matched the recording, and (when it needs one) the recorded answer was fed to the vCPU.
   * `answer` is undefined for an exit that needs none, and for one whose answer the journal does not hold (it
   * ends, or was closed, right after the exit).
   */
  | { kind: 'exit'; exit: VcpuExit; answer: ExitAnswer | undefined }
  /** The instruction budget of the step ran out before the next exit; step again to go on. */
  | { kind: 'budget' }
  /** The replay is over: the journal ended, or was closed (final digest checked), or the replay diverged. */
  | { kind: 'done'; result: ReplayResult }
  /**
   * With pauseAtExits: the exit was replayed and matched, and its recorded answer is next (the state is the one
   * userspace saw at the exit). Step again to feed it.
   */
  | { kind: 'at-exit'; exit: VcpuExit }
  /** An observer's trigger stopped the guest (not an exit of the run: it goes on unchanged when stepped again). */
  | { kind: 'observer'; stop: ObserverStop };

/** Where a Replayer stands between steps, for a checkpoint. */
export interface ReplayPosition {
  record: number;
  exitOrdinal: number;
  exitsReplayed: number;
  recordedDigest: string | undefined;
}

const BUDGET: ReplayStep = { kind: 'budget' };

/**
 * Replays a journal step by step: each step() re-runs the guest to the next recorded exit, compares the exit,
 * applies the inputs and digests recorded around it and feeds it the recorded answer. A caller that slices time
 * (a service, time travel) gives step() an instruction budget and steps again when it returns 'budget'.
 *
 * The common case costs no decoding: the exit the vCPU returns is encoded the way the recorder encoded it and its
 * bytes are compared with the recorded ones; only when they differ is the record decoded and searched for the
 * first differing field.
 */
export class Replayer {
  readonly journal: ParsedJournal;
  readonly machine: Machine;
  private readonly vcpu: Vcpu;
  private readonly hart: Hart;
  private readonly digester: StateDigester;
  private readonly table: RecordTable;
  private readonly bytes: Uint8Array;
  private readonly scratch = new Uint8Array(MAX_FIXED_RECORD);
  private pos = 0;
  /** The number of exit records before `pos` (the table's exit index, in record order). */
  private exitOrdinal = 0;
  private exitsReplayed = 0;
  private recordedDigest: string | undefined;
  private final: ReplayResult | null = null;
  /** The replayed exit whose recorded answer comes next. */
  private awaiting: VcpuExit | null = null;
  /** Whether step() stops at an exit before feeding its answer ('at-exit'). */
  pauseAtExits = false;

  /** Builds the machine the journal describes (JOURNAL_IMAGE_MISMATCH / JOURNAL_CONFIG_MISMATCH when it cannot). */
  constructor(journal: ParsedJournal, options: { image?: Uint8Array; tier?: TierOptions } = {}) {
    this.journal = journal;
    this.machine = machineForJournal(journal.header, options.image, options.tier);
    this.vcpu = this.machine.vcpu;
    this.hart = this.machine.hart;
    this.digester = new StateDigester(this.machine);
    this.table = recordTable(journal);
    this.bytes = this.table.bytes;
  }

  /** The number of the next record to replay (0 = the first after the header). */
  get record(): number {
    return this.pos;
  }

  /** Exits replayed so far. */
  get exits(): number {
    return this.exitsReplayed;
  }

  /** The exit replayed last, when its recorded answer has not been fed yet (the replay stands at it). */
  get standingAt(): VcpuExit | null {
    return this.awaiting;
  }

  /** Where the replay stands, for a checkpoint: only between exits (no answer due) and before the end. */
  savePosition(): ReplayPosition {
    if (this.awaiting !== null || this.final !== null) throw new SimError('VCPU_BAD_STATE', 'a replay position is saved between exits, before the end');
    return { record: this.pos, exitOrdinal: this.exitOrdinal, exitsReplayed: this.exitsReplayed, recordedDigest: this.recordedDigest };
  }

  /** Goes back (or forward) to a saved position; the machine's state must be restored with it. */
  restorePosition(p: ReplayPosition): void {
    this.pos = p.record;
    this.exitOrdinal = p.exitOrdinal;
    this.exitsReplayed = p.exitsReplayed;
    this.recordedDigest = p.recordedDigest;
    this.awaiting = null;
    this.final = null;
  }

  /** The state digest of the machine as it stands (registers, CSRs, timer, every byte of RAM). */
  stateDigest(): string {
    return this.digester.digest();
  }

  /** The replay is over (step() returns the same 'done' again). */
  get done(): boolean {
    return this.final !== null;
  }

  /**
   * The result: once the replay is over, how it ended; before that, where it stands (ok, with the state digest
   * of the machine now).
   */
  result(): ReplayResult {
    return this.final ?? this.snapshot();
  }

  /**
   * Replays up to the next exit and its answer. With `maxInsns`, runs at most that many instructions: when they
   * are spent before the exit is reached it returns 'budget' (a slice leaves no trace: stepping on is the same as
   * one longer step).
   */
  step(maxInsns = Infinity): ReplayStep {
    if (this.final !== null) return { kind: 'done', result: this.final };
    const t = this.table, b = this.bytes;
    while (this.pos < t.count) {
      const i = this.pos, start = t.start(i), len = t.length(i);
      const tag = b[start];
      // The tables readJournal and RecordTable.fromEntries build hold only records whose layout has been checked.
      if (tag >= TAG_EXIT_MMIO && tag <= TAG_EXIT_INTR && len > 0) {
        const cause = tag === TAG_EXIT_INTR ? b[start + len - 1] : -1;
        const k = this.exitOrdinal;
        const icount = t.exitRecord[k] === i && k < t.exitCount ? t.exitIcount[k] : exitIcountAt(b, start, len);
        const got = this.runToExit(i, icount, tag === TAG_EXIT_INTR && cause !== INTR_HALT, cause === INTR_IMMEDIATE_EXIT, maxInsns);
        if (got === null) return this.notYet();
        if (got === undefined) return this.doneStep();
        if (!this.sameAsRecorded(got, start, len, tag)) {
          const want = (this.decode(i) as ExitRecord).exit;
          const field = firstDifference(want, got);
          if (field !== null) return this.divergeExit(i, field, want, got);
        }
        this.pos = i + 1;
        this.exitOrdinal = k + 1;
        if (!needsAnswer(got)) return { kind: 'exit', exit: got, answer: undefined };
        this.awaiting = got;
        if (this.pauseAtExits) return { kind: 'at-exit', exit: got };
        continue;
      }
      if ((tag === TAG_ANSWER_SBI || tag === TAG_ANSWER_MMIO) && len > 0) {
        const answered = this.answer(i, decodeAnswerAt(b, start, len));
        if (answered !== null) return answered;
        continue;
      }
      const record = this.decode(i);
      switch (record.t) {
        case 'exit': {
          const want = record.exit;
          const got = this.runToExit(i, want.icount, want.reason === 'INTR' && want.cause !== 'halt', want.reason === 'INTR' && want.cause === 'immediate_exit', maxInsns);
          if (got === null) return this.notYet();
          if (got === undefined) return this.doneStep();
          const field = firstDifference(want, got);
          if (field !== null) return this.divergeExit(i, field, want, got);
          this.pos = i + 1;
          this.exitOrdinal++;
          if (!needsAnswer(got)) return { kind: 'exit', exit: got, answer: undefined };
          this.awaiting = got;
          if (this.pauseAtExits) return { kind: 'at-exit', exit: got };
          break;
        }
        case 'answer': {
          const answered = this.answer(i, record.answer);
          if (answered !== null) return answered;
          break;
        }
        case 'input': {
          if (record.icount !== this.hart.icount) return this.diverge(i, 'input.icount', record.icount, this.hart.icount);
          // readJournal has checked this against the header's machine; a journal put together by hand has not.
          const misfit = inputMisfit(record.input, this.machine.ram.size, this.hart.hasFpu);
          if (misfit !== null) throw new JournalFormatError('JOURNAL_BAD_RECORD', i, this.table.offsets[i], misfit);
          applyInput(this.machine, record.input);
          this.pos = i + 1;
          break;
        }
        case 'digest': {
          const d = this.digester.digest();
          if (d !== record.digest) return this.diverge(i, 'digest', record.digest, d);
          this.pos = i + 1;
          break;
        }
        case 'end': {
          // The exit before was replayed but its answer was never recorded: report it before ending.
          const unanswered = this.takeUnanswered();
          if (unanswered !== null) return unanswered;
          this.recordedDigest = record.digest;
          const r = this.snapshot();
          if (r.finalDigest !== record.digest) return this.diverge(i, 'digest', record.digest, r.finalDigest);
          if (record.icount !== this.hart.icount) return this.diverge(i, 'icount', record.icount, this.hart.icount);
          this.pos = i + 1;
          this.final = r;
          return { kind: 'done', result: r };
        }
      }
    }
    const unanswered = this.takeUnanswered();
    if (unanswered !== null) return unanswered;
    this.final = this.snapshot();
    return { kind: 'done', result: this.final };
  }

  /** Record i, decoded and checked (a JournalFormatError naming it when it is not a valid record). */
  private decode(i: number): JournalRecord {
    const t = this.table;
    try {
      return decodeAt(this.bytes, t.start(i), t.length(i));
    } catch (e) {
      if (e instanceof RecordError) throw new JournalFormatError('JOURNAL_BAD_RECORD', i, t.offsets[i], e.message);
      throw e;
    }
  }

  /** The guest stopped short of the next exit: its budget ran out, or an observer's trigger fired. */
  private notYet(): ReplayStep {
    const stop = this.vcpu.observerStop;
    return stop === null ? BUDGET : { kind: 'observer', stop };
  }

  /**
   * Runs the vCPU to the recorded exit at `wantIcount`. Returns the exit the vCPU returned, null when `maxInsns`
   * ran out first (or an observer's trigger stopped the guest), undefined when the replay diverged (already past
   * that count).
   */
  private runToExit(i: number, wantIcount: number, stops: boolean, immediate: boolean, maxInsns: number): VcpuExit | null | undefined {
    const h = this.hart;
    if (wantIcount < h.icount) {
      this.setDivergence(i, 'icount', wantIcount, `past it (${h.icount})`);
      return undefined;
    }
    // An INTR stop lands exactly where it was recorded; any other exit must come by then (one instruction more
    // lets the trapping instruction be reached, and no further).
    const need = wantIcount - h.icount + (stops ? 0 : 1);
    let got: VcpuExit | null;
    if (immediate) {
      // The recorder may have let the guest run (in slices that left no trace) before it asked for the immediate
      // exit: run there first, then take it.
      const ahead = wantIcount - h.icount;
      got = ahead > 0 ? this.vcpu.resume(Math.min(ahead, maxInsns > 0 ? Math.floor(maxInsns) : 0)) : null;
      if (got === null) {
        if (h.icount < wantIcount) return null;
        this.vcpu.requestImmediateExit();
        got = this.vcpu.run(0);
      }
    } else {
      got = this.vcpu.runOrObserve(maxInsns < need ? (maxInsns > 0 ? Math.floor(maxInsns) : 0) : need, maxInsns >= need);
      if (got === null) return null;
    }
    this.exitsReplayed++;
    return got;
  }

  /**
   * Whether the exit the vCPU returned is byte for byte the recorded one (a fixed layout: tag 1..3 at `start`).
   * INTR's cause (how the stop was requested) is not compared. False sends the caller to the field-by-field check.
   */
  private sameAsRecorded(got: VcpuExit, start: number, len: number, tag: number): boolean {
    const s = this.scratch, b = this.bytes;
    const n = encodeVcpuExit(s, 0, got, this.vcpu.exitWordsOf(got));
    if (n !== len || s[0] !== tag) return false;
    const m = tag === TAG_EXIT_INTR ? n - 1 : n;
    for (let k = 1; k < m; k++) if (s[k] !== b[start + k]) return false;
    return true;
  }

  /** Feeds a recorded answer; returns the step to report, or null to go on. */
  private answer(i: number, answer: ExitAnswer): ReplayStep | null {
    try {
      this.vcpu.answer(answer);
    } catch (e) {
      return this.diverge(i, 'answer', `answer to exit ${answer.seq}`, e instanceof Error ? e.message : String(e));
    }
    this.pos = i + 1;
    const exit = this.awaiting;
    if (exit === null) return null;
    this.awaiting = null;
    return { kind: 'exit', exit, answer };
  }

  private takeUnanswered(): ReplayStep | null {
    const exit = this.awaiting;
    if (exit === null) return null;
    this.awaiting = null;
    return { kind: 'exit', exit, answer: undefined };
  }

  private snapshot(divergence?: Divergence): ReplayResult {
    return {
      ok: divergence === undefined, divergence, exits: this.exitsReplayed, icount: this.hart.icount, closed: this.journal.closed,
      recordedDigest: this.recordedDigest, finalDigest: this.digester.digest(), machine: this.machine,
    };
  }

  private setDivergence(i: number, field: string, expected: unknown, actual: unknown): void {
    this.awaiting = null;
    this.final = this.snapshot({
      record: i, offset: this.table.offsets[i], icount: this.hart.icount, field, expected: show(expected), actual: show(actual),
    });
  }

  private diverge(i: number, field: string, expected: unknown, actual: unknown): ReplayStep {
    this.setDivergence(i, field, expected, actual);
    return this.doneStep();
  }

  private divergeExit(i: number, field: string, want: VcpuExit, got: VcpuExit): ReplayStep {
    return this.diverge(i, field, pick(want, field), pick(got, field));
  }

  private doneStep(): ReplayStep {
    return { kind: 'done', result: this.final! };
  }
}

type ExitRecord = Extract<JournalRecord, { t: 'exit' }>;

/**
 * Re-runs a recording: builds the machine from the header, feeds the recorded answers and inputs instead of asking
 * anyone, and compares every exit and digest with the recorded ones. The first difference stops the replay.
 */
export function replayJournal(journal: ParsedJournal, options: ReplayOptions = {}): ReplayResult {
  const replayer = new Replayer(journal, { image: options.image, tier: options.tier });
  const { onExit, stopAfterSeq, beforeAnswer, onProgress } = options;
  replayer.pauseAtExits = beforeAnswer !== undefined;
  let exits = 0;
  for (;;) {
    const s = onProgress === undefined ? replayer.step() : replayer.step(PROGRESS_INSNS);
    if (s.kind === 'done') return s.result;
    if (s.kind === 'exit' && (++exits & 4095) === 0) onProgress?.(replayer.machine.hart.icount, exits);
    if (s.kind === 'budget') onProgress!(replayer.machine.hart.icount, exits);
    if (s.kind === 'at-exit') beforeAnswer!(s.exit, replayer.machine);
    if (s.kind !== 'exit') continue;
    // An exit whose answer the journal does not hold is not reported (it was never completed).
    if (s.answer === undefined && needsAnswer(s.exit)) continue;
    // An exit that takes no answer is reported at once: the machine still stands at it.
    if (!needsAnswer(s.exit)) beforeAnswer?.(s.exit, replayer.machine);
    onExit?.(s.exit, s.answer, replayer.machine);
    if (stopAfterSeq === s.exit.seq) return replayer.result();
  }
}

const LEAD_KEYS = ['reason', 'seq', 'icount', 'pc'];

/** The first field (in a fixed order) where two exits differ, or null. INTR causes budget/immediate_exit are one kind of stop. */
export function firstDifference(want: VcpuExit, got: VcpuExit): string | null {
  for (const key of LEAD_KEYS) {
    if (!same(pick(want, key), pick(got, key))) return key;
  }
  const w = want as unknown as Record<string, unknown>, g = got as unknown as Record<string, unknown>;
  let differs: string | null = null;
  for (const key in w) {
    if (key === 'cause' && want.reason === 'INTR') continue;
    if (!same(w[key], g[key]) && (differs === null || key < differs)) differs = key;
  }
  for (const key in g) {
    if (!(key in w) && (differs === null || key < differs)) differs = key;
  }
  return differs;
}

/** Structural equality for exit fields: numbers, strings, booleans, bigints, byte arrays, arrays of those. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  return false;
}

function pick(o: unknown, key: string): unknown {
  return (o as Record<string, unknown>)[key];
}

/** A canonical text form for comparisons and reports (bigints in hex, bytes in hex). */
export function show(v: unknown): string {
  if (typeof v === 'bigint') return `0x${BigInt.asUintN(64, v).toString(16)}`;
  if (v instanceof Uint8Array) return `[${[...v].map((b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v === undefined) return '(none)';
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')}}`;
  return String(v);
}
