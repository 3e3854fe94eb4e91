import { TriggerOwner } from '../cpu/debug.js';
import { SimError } from '../errors.js';
import { needsAnswer, type ExitAnswer, type VcpuExit } from '../kvm/exits.js';
import type { ObserverStop } from '../kvm/vcpu.js';
import type { Machine } from '../machine.js';
import type { ParsedJournal, RecordTable } from '../journal/reader.js';
import { recordTable } from '../journal/reader.js';
import { Replayer, type Divergence, type ReplayStep } from '../journal/replay.js';
import { applyInput } from '../journal/session.js';
import { CheckpointList, type Checkpoint, type CheckpointStats } from './checkpoints.js';
import { ScratchPoints, type ScratchPoint } from './scratch.js';
import { timelineOf, type TimelineEntry, type TimelineFilter } from './timeline.js';
import { PAGE_SIZE } from '../memory.js';

import { DEFAULT_BUDGET_BYTES, DEFAULT_INTERVAL_EXITS, DEFAULT_INTERVAL_INSNS } from './defaults.js';

export interface TimeTravelOptions {
  image?: Uint8Array;
  intervalInsns?: number;
  intervalExits?: number;
  budgetBytes?: number;
  /**
   * The checkpoints the recording session took of its own machine (VcpuSession.enableCheckpoints): the traveller
   * restores them into its machine instead of replaying from the start. It takes none of its own then, and the
   * recording must take none while the traveller is in use.
   */
  checkpoints?: CheckpointList;
  /** How far back a reverse step leaves a scratch point (default STEP_BACK_SCRATCH_INSNS). */
  stepBackScratchInsns?: number;
  /** How far apart a reverse-continue's scan leaves scratch points (default SCAN_SCRATCH_INSNS). */
  scanScratchInsns?: number;
  /** The first window a reverse-continue scans back from where it stands (default FIRST_WINDOW_INSNS). */
  firstWindowInsns?: number;
}

/** Where the traveller stands. */
export interface Place {
  icount: number;
  /** Exits taken so far (the seq the next exit takes; standing at exit N it is N + 1). */
  nextSeq: number;
  pc: bigint;
  /** The exit the traveller stands at, before its recorded answer, or null between exits. */
  atExit: VcpuExit | null;
}

/** Why a travel stopped where it did. */
export type TravelStop =
  | { kind: 'arrived' }
  /** One of the observer's breakpoints or watchpoints (or a recorded DEBUG exit at one of them). */
  | { kind: 'breakpoint' | 'watchpoint'; pc: bigint; address?: bigint; isWrite?: boolean; seq?: number }
  /** Going backwards found nothing before the start of the recording: the traveller stands at its start. */
  | { kind: 'history-start' }
  /** Going forwards reached the end of the recording (or of its last complete record). */
  | { kind: 'history-end'; closed: boolean }
  /** The replay no longer matched the recording (a different image or machine model). */
  | { kind: 'diverged'; divergence: Divergence }
  /** In a diversion, the guest ended its run (it shut down, wrote the finisher, failed, or halted for good). */
  | { kind: 'diversion-end'; reason: string };

/**
 * Answers the exits of a diversion (device models: nothing is recorded there), or says the run ends at this one.
 */
export type DiversionAnswerer = (exit: VcpuExit) => ExitAnswer | { end: string };

/** How far a `continue` in a diversion goes at most before it stops, nothing having stopped it. */
export const DIVERSION_CONTINUE_INSNS = 1_000_000_000;

export interface TravelResult {
  stop: TravelStop;
  place: Place;
}

/** The instruction count or exit a forward run heads for. */
type Goal = { icount?: number; seq?: number };

/** A place a replay can start from: a checkpoint, or a scratch point near where the traveller works. */
type Start = Checkpoint | ScratchPoint;

/** One stop of the observer's triggers while scanning an interval backwards: where, and why. */
interface Hit {
  icount: number;
  stop: Extract<TravelStop, { kind: 'breakpoint' | 'watchpoint' }>;
}

/**
 * How far back a reverse step leaves a scratch point when it has to replay from further away: the reverse steps
 * after it (gdb sends one per instruction of a `reverse-next`) replay at most this many instructions each.
 */
export const STEP_BACK_SCRATCH_INSNS = 4096;
/** A reverse-continue's scan leaves a scratch point every so many instructions, so that going to the hit it found
 * replays at most this many instead of the interval again. */
export const SCAN_SCRATCH_INSNS = 1_000_000;
/** The first window a reverse-continue scans: the instructions just before where it stands. */
export const FIRST_WINDOW_INSNS = 1_000_000;

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/** Whether RAM page `page` holds `bytes` (a native compare: most candidates are unchanged). */
function samePage(ram: Uint8Array, page: number, bytes: Uint8Array): boolean {
  return Buffer.compare(ram.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE), bytes) === 0;
}

/**
 * Time travel through one recording: seek to any exit or instruction count, step and continue forwards and
 * backwards, with breakpoints and watchpoints set now (not when recording).
 *
 * It replays the journal with a Replayer, taking checkpoints (CheckpointList) on the way at most `intervalInsns`
 * instructions or `intervalExits` exits apart, the first time the replay passes a place. Going anywhere restores the
 * latest checkpoint before it and replays forward with the journal's answers, so a seek re-executes a bounded
 * number of instructions and the state it reaches is the state the run had there. Going backwards to a trigger
 * replays the interval before the current place with the triggers armed, and the one before that, until a hit
 * (as rr does).
 */
export class TimeTravel {
  readonly replayer: Replayer;
  readonly machine: Machine;
  private readonly table: RecordTable;
  private readonly checkpoints: CheckpointList;
  /** Set while scanning backwards: the checkpoint list stays as it is. */
  private frozen = false;
  private readonly scratch = new ScratchPoints();
  private readonly stepBackScratchInsns: number;
  private readonly scanScratchInsns: number;
  private readonly firstWindowInsns: number;
  /**
   * The checkpoint whose RAM the machine's RAM builds on (the last one restored or taken), and the pages written
   * since. A scratch point copies those pages.
   */
  private base!: Checkpoint;
  private readonly sinceBase: Uint8Array;
  /**
   * The last state the machine stood exactly on (a checkpoint or a scratch point; always on `base`), and the pages
   * written since: going back to a scratch point on the same base rewrites only those and the two points' own.
   */
  private anchor!: Start;
  private readonly sinceAnchor: Uint8Array;
  /** A diversion: where it left the recorded run, and who answers its exits. */
  private diversion: { from: Place; answer: DiversionAnswerer } | null = null;

  constructor(journal: ParsedJournal, options: TimeTravelOptions = {}) {
    this.replayer = new Replayer(journal, { image: options.image });
    this.replayer.pauseAtExits = true;
    this.stepBackScratchInsns = options.stepBackScratchInsns ?? STEP_BACK_SCRATCH_INSNS;
    this.scanScratchInsns = options.scanScratchInsns ?? SCAN_SCRATCH_INSNS;
    this.firstWindowInsns = options.firstWindowInsns ?? FIRST_WINDOW_INSNS;
    this.machine = this.replayer.machine;
    this.table = recordTable(journal);
    const spacing = {
      intervalInsns: options.intervalInsns ?? options.checkpoints?.intervalInsns ?? DEFAULT_INTERVAL_INSNS,
      intervalExits: options.intervalExits ?? options.checkpoints?.intervalExits ?? DEFAULT_INTERVAL_EXITS,
      budgetBytes: options.budgetBytes ?? DEFAULT_BUDGET_BYTES,
    };
    this.checkpoints = new CheckpointList(this.machine, spacing, options.checkpoints);
    this.sinceBase = this.machine.ram.addDirtyTracker();
    this.sinceAnchor = this.machine.ram.addDirtyTracker();
    if (options.checkpoints === undefined) this.standOn(this.checkpoints.take(this.replayer.savePosition()));
    else {
      // The recording's checkpoints past the end of the journal handed over (not flushed yet) are of no use here.
      const records = this.table.count;
      while (this.checkpoints.list.length > 1 && this.checkpoints.last!.position.record > records) this.checkpoints.list.pop();
      if (this.checkpoints.list.length === 0 || this.checkpoints.list[0].icount !== 0) throw new SimError('VCPU_BAD_STATE', 'the recording took no checkpoint at its start');
      this.restore(this.checkpoints.list[0]);
    }
  }

  /** The number of exits the recording holds. */
  get exitCount(): number {
    return this.table.exitCount;
  }

  place(): Place {
    const h = this.machine.hart;
    return { icount: h.icount, nextSeq: this.machine.vcpu.nextSeq, pc: h.pc, atExit: this.replayer.standingAt };
  }

  checkpointStats(): CheckpointStats {
    return this.checkpoints.stats();
  }

  /**
   * The scratch points kept now (near where reverse steps and reverse-continues went), the bytes of their page copies
   * (a copy points share counted once) and the pages they hold in all.
   */
  scratchStats(): { points: number; bytes: number; pageRefs: number } {
    return this.scratch.stats();
  }

  timeline(filter: TimelineFilter = {}): TimelineEntry[] {
    return timelineOf(this.table, filter);
  }

  // ---- The observer's triggers: they stop travels, never the run. ----

  addBreakpoint(pc: bigint): void {
    this.machine.hart.addBreakpoint(pc, TriggerOwner.Observer);
  }

  removeBreakpoint(pc: bigint): boolean {
    return this.machine.hart.removeBreakpoint(pc, TriggerOwner.Observer);
  }

  addWatchpoint(addr: bigint, len: number, kind: { read: boolean; write: boolean }): void {
    this.machine.hart.addWatchpoint(addr, len, kind, TriggerOwner.Observer);
  }

  removeWatchpoint(addr: bigint, len: number): boolean {
    return this.machine.hart.removeWatchpoint(addr, len, TriggerOwner.Observer);
  }

  // ---- Going places. ----

  /** Stands at exit `seq`, as userspace saw it: before its answer. */
  seekExit(seq: number): TravelResult {
    this.refuseDiverted('seek');
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.table.exitCount || this.table.exitSeq[seq] !== seq) {
      throw new SimError('TT_NO_SUCH_EXIT', `the recording has no exit ${seq} (it holds exits 0 to ${this.table.exitCount - 1})`);
    }
    const c = this.startFor((k) => k.nextSeq <= seq);
    const fromHere = this.machine.vcpu.nextSeq <= seq && this.isAfter(c);
    if (!fromHere) this.restoreStart(c);
    this.scratchOnTheWay(fromHere ? this.machine.hart.icount : c.icount, this.table.exitIcount[seq]);
    return this.result(this.seekForward({ seq }));
  }

  /** Stands where `icount` instructions have retired (before any exit the next instruction takes). */
  seekIcount(icount: number): TravelResult {
    this.refuseDiverted('seek');
    if (!Number.isSafeInteger(icount) || icount < 0) throw new SimError('TT_BAD_TARGET', `not an instruction count: ${icount}`);
    return this.result(this.seekTo(icount, true));
  }

  /** One instruction forwards (through the exits on the way), stopping early at a trigger. */
  step(): TravelResult {
    if (this.diversion !== null) return this.result(this.runDiverted(1));
    this.scratchHereIfFar();
    this.stepOffObserverBreakpoint();
    return this.result(this.forward({ icount: this.machine.hart.icount + 1 }, true));
  }

  /** Forwards until a trigger stops the guest or the recording ends. */
  continue(): TravelResult {
    if (this.diversion !== null) return this.result(this.runDiverted(DIVERSION_CONTINUE_INSNS));
    this.scratchHereIfFar();
    this.stepOffObserverBreakpoint();
    return this.result(this.forward({}, true));
  }

  /** One instruction back. At the start of the recording: history-start, staying there. */
  reverseStep(): TravelResult {
    this.refuseDiverted('reverse-step');
    const icount = this.machine.hart.icount;
    if (icount === 0) return this.result({ kind: 'history-start' });
    // Reverse steps come in runs (a debugger's reverse-next sends one per instruction): the seek leaves a scratch
    // point a little before its target when it comes from far, and the next ones start there.
    return this.seekIcount(icount - 1);
  }

  /**
   * Backwards to the latest earlier place where the observer's triggers stop the guest. Scans windows of the past
   * with the triggers armed, nearest first, noting the last hit: the window just before the current place, then
   * one as wide as all before it, and so on back to the start (then: history-start, standing at the start). A
   * window starts at a checkpoint or scratch point, or where a seek with the breakpoints out of the way got to:
   * an armed breakpoint slows a replay several times, so only the windows scanned pay for it. Scans leave scratch
   * points on the way, so going to the hit found replays a short stretch, not the window again.
   */
  reverseContinue(): TravelResult {
    this.refuseDiverted('reverse-continue');
    // Scanning goes back over places already passed: no checkpoint is taken (or dropped) meanwhile.
    this.frozen = true;
    try {
      const origin = this.machine.hart.icount;
      for (let end = origin; end > 0;) {
        // Each window as wide as all those scanned before it (the first, firstWindowInsns): a short one that started
        // at a scratch point close by does not count as a step of the doubling.
        const width = Math.max(this.firstWindowInsns, origin - end);
        const start = this.startFor((k) => k.icount < end);
        if (end - start.icount > width) {
          this.seekTo(end - width, false);
          this.takeScratch();
        } else {
          this.restoreStart(start);
        }
        const from = this.machine.hart.icount;
        const hit = this.lastHit(end);
        if (hit !== null) return this.goToHit(hit);
        end = from;
      }
      this.restore(this.checkpoints.list[0]);
      return this.result({ kind: 'history-start' });
    } finally {
      this.frozen = false;
    }
  }

  /** Forwards to the end of the recording, taking the checkpoints on the way (what a debugger does on opening one). */
  runToEnd(): TravelResult {
    this.refuseDiverted('run to the end');
    return this.result(this.forward({}, false));
  }

  // ---- Diversions: leaving the recorded run to try something, and coming back. ----

  /**
   * Leaves the recorded run where the traveller stands, as rr's diversions do: from here registers and memory may be
   * written, step and continue run the guest with `answer` answering its exits (nothing is recorded, nothing is
   * checked against the recording), and the other travels are refused until undivert() comes back.
   */
  divert(answer: DiversionAnswerer): TravelResult {
    if (this.diversion !== null) throw new SimError('TT_DIVERTED', 'the traveller is in a diversion already');
    this.diversion = { from: this.place(), answer };
    // Standing at an exit, it takes its recorded answer first: a diversion starts between exits, where the guest's
    // registers are its own (an SBI call's answer would otherwise land on whatever the debugger wrote).
    if (this.replayer.standingAt !== null) this.replayer.step(0);
    return this.result({ kind: 'arrived' });
  }

  /** Back from a diversion to the recorded run, at the place the diversion left it (as it was there). */
  undivert(): TravelResult {
    const d = this.diversion;
    if (d === null) throw new SimError('TT_NOT_DIVERTED', 'the traveller is not in a diversion');
    this.diversion = null;
    // The machine is not the recording's any more: whatever the seek would go on from, it restores first.
    const seq = d.from.atExit?.seq, icount = d.from.icount;
    this.restoreStart(seq !== undefined ? this.startFor((k) => k.nextSeq <= seq) : this.startFor((k) => k.icount < icount));
    return this.result(this.seekForward(seq !== undefined ? { seq } : { icount }));
  }

  get diverted(): boolean {
    return this.diversion !== null;
  }

  /** In a diversion: writes x1..x31, or the pc (32). */
  setRegister(reg: number, value: bigint): void {
    this.needDiversion('a register write');
    if (reg === 32) this.machine.hart.pc = BigInt.asUintN(64, value);
    else this.machine.hart.setReg(reg, BigInt.asUintN(64, value));
  }

  /** In a diversion, on a machine with F/D: writes f0..f31 as a raw 64-bit pattern, as a live VM's input would. */
  setFloatRegister(reg: number, value: bigint): void {
    this.needDiversion('a register write');
    applyInput(this.machine, { kind: 'set-freg', reg, value });
  }

  /** In a diversion, on a machine with F/D: writes fcsr (frm << 5 | fflags). */
  setFcsr(value: number): void {
    this.needDiversion('a register write');
    applyInput(this.machine, { kind: 'set-fcsr', value });
  }

  /** In a diversion: writes guest-physical RAM. */
  writeMemory(addr: number, data: Uint8Array): void {
    this.needDiversion('a memory write');
    this.machine.writePhys(addr, data);
  }

  // ---- Inside. ----

  private refuseDiverted(what: string): void {
    if (this.diversion !== null) throw new SimError('TT_DIVERTED', `${what} needs the recorded run, and the traveller is in a diversion: end it first`);
  }

  private needDiversion(what: string): void {
    if (this.diversion === null) throw new SimError('TT_NOT_DIVERTED', `${what} would change the recorded run: only a diversion may`);
  }

  /**
   * Runs a diversion's guest forwards by up to `insns` instructions, its exits answered by the diversion's answerer,
   * stopping early at the observer's triggers or where its run ends.
   */
  private runDiverted(insns: number): TravelStop {
    const { vcpu, hart: h } = this.machine;
    const answer = this.diversion!.answer;
    const goal = h.icount + insns;
    if (vcpu.waiting === null && h.debug.breakpointOwners(h.pcLo, h.pcHi) === TriggerOwner.Observer) vcpu.stepOverBreakpointOnce();
    for (;;) {
      const waiting = vcpu.waiting;
      if (waiting !== null) {
        const a = answer(waiting);
        if ('end' in a) return { kind: 'diversion-end', reason: a.end };
        vcpu.answer(a);
        if (h.icount >= goal) return { kind: 'arrived' };
        continue;
      }
      if (h.icount >= goal) return { kind: 'arrived' };
      const exit = vcpu.runOrObserve(goal - h.icount, false);
      if (exit === null) {
        const o = vcpu.observerStop;
        if (o !== null) return observerStop(o);
        continue;
      }
      if (!needsAnswer(exit) && !(exit.reason === 'INTR' && exit.cause !== 'halt')) return { kind: 'diversion-end', reason: describeEnd(exit) };
    }
  }

  /**
   * Replays forwards to a seek's goal with the observer's breakpoints out of the way: a seek stops at none of them,
   * and an armed breakpoint slows the whole replay (every block checks its address).
   */
  private seekForward(goal: Goal): TravelStop {
    const h = this.machine.hart;
    const observed = h.debug.listBreakpoints(TriggerOwner.Observer).map(({ lo, hi }) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    for (const pc of observed) h.removeBreakpoint(pc, TriggerOwner.Observer);
    try {
      return this.forward(goal, false);
    } finally {
      for (const pc of observed) h.addBreakpoint(pc, TriggerOwner.Observer);
    }
  }

  /** A seek to an instruction count; a long one leaves a scratch point a little before it (`onTheWay`). */
  private seekTo(icount: number, onTheWay: boolean): TravelStop {
    const c = this.startFor((k) => k.icount < icount);
    const fromHere = this.machine.hart.icount < icount && this.isAfter(c) && !this.replayer.done;
    if (!fromHere) this.restoreStart(c);
    if (onTheWay) this.scratchOnTheWay(fromHere ? this.machine.hart.icount : c.icount, icount);
    return this.seekForward({ icount });
  }

  /**
   * A seek from `from` to `to` that is long leaves a scratch point a little before `to`: a debugger that arrived
   * somewhere often goes back a little (reverse-stepi, reverse-next), and starts there instead of far away.
   */
  private scratchOnTheWay(from: number, to: number): void {
    if (to - from <= 2 * this.stepBackScratchInsns) return;
    this.seekForward({ icount: to - this.stepBackScratchInsns });
    this.takeScratch();
  }

  /**
   * Before going forwards from a place far from every checkpoint and scratch point, leaves one here: going back from
   * where the travel stops (reverse-stepi after a continue, reverse-next after a next) then starts near.
   */
  private scratchHereIfFar(): void {
    const h = this.machine.hart;
    if (h.icount - this.startFor((k) => k.icount <= h.icount).icount > this.stepBackScratchInsns) this.takeScratch();
  }

  /** The last hit of the observer's triggers from here to `end`, or null; leaves scratch points on the way. */
  private lastHit(end: number): Hit | null {
    const h = this.machine.hart;
    let last: Hit | null = null;
    let mark = h.icount + this.scanScratchInsns;
    for (;;) {
      const stop = this.forward({ icount: Math.min(end, mark) }, true);
      if (stop.kind === 'breakpoint' || stop.kind === 'watchpoint') {
        last = { icount: h.icount, stop };
        continue;
      }
      if (stop.kind !== 'arrived' || h.icount >= end) return last;
      this.takeScratch();
      mark = h.icount + this.scanScratchInsns;
    }
  }

  /**
   * Stands at a hit a scan found, as the scan stood there: at the recorded exit for a recorded DEBUG stop; otherwise
   * just before the instruction whose trigger fires, reached by a seek (from the nearest scratch point) and one
   * observed step that the trigger stops at once.
   */
  private goToHit(hit: Hit): TravelResult {
    if (hit.stop.seq !== undefined) {
      this.seekExit(hit.stop.seq);
      return this.result(hit.stop);
    }
    this.seekIcount(hit.icount);
    const again = this.forward({ icount: hit.icount + 1 }, true);
    if (again.kind !== hit.stop.kind || this.machine.hart.icount !== hit.icount) {
      throw new SimError('VCPU_BAD_STATE', `reverse-continue: the hit at icount ${hit.icount} (${hit.stop.kind}) did not come again (${again.kind} at ${this.machine.hart.icount})`);
    }
    return this.result(again);
  }

  /** The latest place to replay from towards a target: a checkpoint, or a scratch point when one is nearer. */
  private startFor(before: (k: { icount: number; nextSeq: number }) => boolean): Start {
    let best: Start | undefined = this.checkpoints.latestWhere(before);
    for (const p of this.scratch.list) {
      if (before(p) && (best === undefined || p.icount > best.icount || (p.icount === best.icount && p.nextSeq > best.nextSeq))) best = p;
    }
    return best ?? this.checkpoints.list[0];
  }

  private restoreStart(start: Start): void {
    if ('base' in start) this.restoreScratch(start);
    else this.restore(start);
  }

  private restore(c: Checkpoint): void {
    this.checkpoints.restore(c);
    this.replayer.restorePosition(c.position);
    this.standOn(c);
    this.rearmObserverWatchpoints();
  }

  /**
   * A checkpoint (or scratch point) taken before the observer's watchpoints were set holds TLBs that may map a
   * page watched now, and a store through such an entry would never reach the watchpoint check: a reverse-continue
   * would miss the writes. Arming the watchpoints again (as setting them did) flushes the TLBs after a restore.
   * The MMU dropping the watched pages' entries itself when its state is restored would cost less.
   */
  private rearmObserverWatchpoints(): void {
    const h = this.machine.hart;
    const watched = h.debug.listWatchpoints(TriggerOwner.Observer);
    if (watched.length === 0) return;
    const w = watched[0], addr = (BigInt(w.hi >>> 0) << 32n) | BigInt(w.lo >>> 0);
    h.removeWatchpoint(addr, w.len, TriggerOwner.Observer);
    h.addWatchpoint(addr, w.len, { read: w.read, write: w.write }, TriggerOwner.Observer);
  }

  /** The machine stands exactly on checkpoint `c` (restored or just taken): nothing written since. */
  private standOn(c: Checkpoint): void {
    this.base = c;
    this.anchor = c;
    this.sinceBase.fill(0);
    this.sinceAnchor.fill(0);
  }

  /** A scratch point here (between exits, before the end), relative to the base checkpoint. */
  private takeScratch(): void {
    const r = this.replayer, m = this.machine;
    if (r.standingAt !== null || r.done) return;
    m.hart.collectDirtyPages();
    const pages = new Map<number, Uint8Array>();
    const d = this.sinceBase, since = this.sinceAnchor, ram = m.ram.u8;
    // A page the dirty log names may hold its bytes at the base again (written back, or written with equal bytes):
    // such a page is left out (restoring takes it from the base). Standing on a scratch point of the same
    // base earlier (a scan leaves one every scanScratchInsns), its copy of a page that has not changed since is this
    // point's too (copies are never written): a point costs the pages a stretch writes, not every page since the
    // checkpoint.
    const previous = 'base' in this.anchor && this.anchor.base === this.base ? this.anchor.pages : null;
    for (let p = 0; p < d.length; p++) {
      if (d[p] === 0) continue;
      const before = previous?.get(p);
      if (previous !== null && since[p] === 0) {
        if (before !== undefined) pages.set(p, before);
        continue;
      }
      if (before !== undefined && samePage(ram, p, before)) pages.set(p, before);
      else if (!samePage(ram, p, this.checkpoints.pageAt(p, this.base) ?? ZERO_PAGE)) pages.set(p, ram.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    }
    const point: ScratchPoint = {
      base: this.base, icount: m.hart.icount, nextSeq: m.vcpu.nextSeq, position: r.savePosition(), vcpu: m.vcpu.saveState(), pages,
    };
    this.scratch.add(point);
    this.anchor = point;
    this.sinceAnchor.fill(0);
  }

  /**
   * Goes back (or on) to a scratch point. On its base it rewrites the pages that may differ between here and there
   * (written since the machine last stood on a known state, and that state's and the point's own); on another
   * base it restores that checkpoint first.
   */
  private restoreScratch(point: ScratchPoint): void {
    const m = this.machine, ram = m.ram;
    if (this.base !== point.base) this.restore(point.base);
    m.hart.collectDirtyPages();
    // Back to the point it last stood on (a run of reverse steps): only what was written since differs.
    const pages: Iterable<number> = this.anchor === point ? this.writtenSinceAnchor() : this.differingFrom(point);
    // The candidates are many more than the pages written (every page a write-TLB entry maps counts, see
    // GuestRam): only the pages that really differ are rewritten.
    for (const p of pages) {
      const bytes = point.pages.get(p) ?? this.checkpoints.pageAt(p, point.base) ?? ZERO_PAGE;
      if (samePage(ram.u8, p, bytes)) continue;
      ram.u8.set(bytes, p * PAGE_SIZE);
      // Logged as written: the base's tracker (and the state digest's, and the checkpoint list's) see the change.
      ram.markDirty(p * PAGE_SIZE, PAGE_SIZE);
    }
    m.vcpu.restoreState(point.vcpu);
    m.hart.collectDirtyPages();
    this.rearmObserverWatchpoints();
    this.replayer.restorePosition(point.position);
    this.anchor = point;
    this.sinceAnchor.fill(0);
    this.scratch.touch(point);
  }

  /**
   * The pages that may differ between the machine and scratch point `point` (on the current base): those written
   * since the anchor, and those the anchor and the point hold different copies of. Points that share a copy (see
   * takeScratch) hold the same bytes there: a scan's points a stretch apart differ in the pages that stretch wrote.
   */
  private differingFrom(point: ScratchPoint): Set<number> {
    const out = new Set(this.writtenSinceAnchor());
    const anchored = 'base' in this.anchor ? this.anchor.pages : new Map<number, Uint8Array>();
    for (const [p, bytes] of point.pages) if (anchored.get(p) !== bytes) out.add(p);
    for (const [p, bytes] of anchored) if (point.pages.get(p) !== bytes) out.add(p);
    return out;
  }

  /** The pages written since the machine last stood on its anchor (a superset: see GuestRam). */
  private writtenSinceAnchor(): number[] {
    const d = this.sinceAnchor, out: number[] = [];
    for (let p = 0; p < d.length; p++) if (d[p] !== 0) out.push(p);
    return out;
  }

  /** Whether the replay stands after checkpoint (or scratch point) `c`, or on it. */
  private isAfter(c: Start): boolean {
    const r = this.replayer.record, icount = this.machine.hart.icount;
    return r > c.position.record || (r === c.position.record && icount >= c.icount);
  }

  /** Whether the replay stands past every checkpoint (where new ones are taken). */
  private atFrontier(): boolean {
    const last = this.checkpoints.last!;
    const r = this.replayer.record, icount = this.machine.hart.icount;
    return r > last.position.record || (r === last.position.record && icount > last.icount);
  }

  private maybeCheckpoint(): void {
    if (this.frozen || this.checkpoints.borrowed || this.replayer.standingAt !== null || this.replayer.done || !this.atFrontier()) return;
    const last = this.checkpoints.last!;
    const { intervalInsns, intervalExits } = this.checkpoints;
    if (this.machine.hart.icount - last.icount >= intervalInsns || this.machine.vcpu.nextSeq - last.nextSeq >= intervalExits) {
      this.standOn(this.checkpoints.take(this.replayer.savePosition()));
      // Thinning may have dropped checkpoints: the scratch points built on them go with them.
      this.scratch.keepBases(this.checkpoints.list);
    }
  }

  /**
   * One step of the replay, as Replayer.step (at most `budget` instructions, stopping at each exit and at the
   * observer's triggers), that lays checkpoints past the frontier as travels do. A replay session streams the
   * recording through this, so a seek after the stream starts near its target.
   */
  stepForward(budget: number): ReplayStep {
    this.refuseDiverted('streaming the recording');
    const r = this.replayer, h = this.machine.hart;
    this.maybeCheckpoint();
    if (!this.frozen && !this.checkpoints.borrowed && r.standingAt === null && this.isAfter(this.checkpoints.last!)) {
      budget = Math.min(budget, this.checkpoints.last!.icount + this.checkpoints.intervalInsns - h.icount);
    }
    return r.step(budget);
  }

  /**
   * Replays forwards to `goal` (an instruction count, or standing at an exit; neither: the end), taking checkpoints
   * past the frontier. With `observe`, the observer's triggers stop it first.
   */
  private forward(goal: Goal, observe: boolean): TravelStop {
    const r = this.replayer, h = this.machine.hart;
    for (;;) {
      if (goal.icount !== undefined && h.icount >= goal.icount && r.standingAt === null) return { kind: 'arrived' };
      const s = this.stepForward(goal.icount !== undefined ? goal.icount - h.icount : Infinity);
      switch (s.kind) {
        case 'budget':
          continue;
        case 'observer':
          if (observe) return observerStop(s.stop);
          continue;
        case 'at-exit': {
          if (goal.seq === s.exit.seq) return { kind: 'arrived' };
          if (observe) {
            const stop = this.recordedStopObserved(s.exit);
            if (stop !== null) return stop;
          }
          continue;
        }
        case 'exit':
          if (goal.seq === s.exit.seq && s.answer === undefined) return { kind: 'arrived' };
          continue;
        case 'done':
          return s.result.ok ? { kind: 'history-end', closed: s.result.closed } : { kind: 'diverged', divergence: s.result.divergence! };
      }
    }
  }

  /** A recorded DEBUG exit at one of the observer's own triggers stops a travel too. */
  private recordedStopObserved(exit: VcpuExit): TravelStop | null {
    if (exit.reason !== 'DEBUG') return null;
    const d = this.machine.hart.debug;
    const halves = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
    if (exit.why === 'address-breakpoint') {
      return (d.breakpointOwners(...halves(exit.pc)) & TriggerOwner.Observer) !== 0 ? { kind: 'breakpoint', pc: exit.pc, seq: exit.seq } : null;
    }
    if (exit.why === 'watchpoint' && exit.address !== undefined) {
      const hit = (d.watchOwners(...halves(exit.address), 1, exit.isWrite === true) & TriggerOwner.Observer) !== 0;
      return hit ? { kind: 'watchpoint', pc: exit.pc, address: exit.address, isWrite: exit.isWrite, seq: exit.seq } : null;
    }
    return null;
  }

  /**
   * Standing on one of the observer's breakpoints (after a seek or a step), going on must not stop there again.
   * Only when no recorded trigger could fire on the same instruction: suspending one would change the run.
   */
  private stepOffObserverBreakpoint(): void {
    if (this.replayer.standingAt !== null) return;
    const h = this.machine.hart;
    // Only the breakpoints are stepped over: the instruction's access still meets every watchpoint, so a hit the
    // recording has there happens as recorded. A recorded breakpoint here is the recording's stop: left to fire.
    if (h.debug.breakpointOwners(h.pcLo, h.pcHi) === TriggerOwner.Observer) this.machine.vcpu.stepOverBreakpointOnce();
  }

  private result(stop: TravelStop): TravelResult {
    return { stop, place: this.place() };
  }
}

function describeEnd(exit: VcpuExit): string {
  switch (exit.reason) {
    case 'SYSTEM_EVENT': return `the guest asked for a ${exit.type}`;
    case 'INTERNAL_ERROR': return exit.message;
    default: return 'the guest waits for an interrupt that nothing will raise';
  }
}

function observerStop(s: ObserverStop): TravelStop {
  return s.why === 'watchpoint'
    ? { kind: 'watchpoint', pc: s.pc, address: s.address, isWrite: s.isWrite }
    : { kind: 'breakpoint', pc: s.pc };
}
