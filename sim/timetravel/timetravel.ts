import { TriggerOwner } from '../cpu/debug.js';
import { SimError } from '../errors.js';
import type { VcpuExit } from '../kvm/exits.js';
import type { ObserverStop } from '../kvm/vcpu.js';
import type { Machine } from '../machine.js';
import type { ParsedJournal, RecordTable } from '../journal/reader.js';
import { recordTable } from '../journal/reader.js';
import { Replayer, type Divergence, type ReplayStep } from '../journal/replay.js';
import { CheckpointList, type Checkpoint, type CheckpointStats } from './checkpoints.js';
import { timelineOf, type TimelineEntry, type TimelineFilter } from './timeline.js';

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
  | { kind: 'diverged'; divergence: Divergence };

export interface TravelResult {
  stop: TravelStop;
  place: Place;
}

/** The instruction count or exit a forward run heads for. */
type Goal = { icount?: number; seq?: number };

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

  constructor(journal: ParsedJournal, options: TimeTravelOptions = {}) {
    this.replayer = new Replayer(journal, { image: options.image });
    this.replayer.pauseAtExits = true;
    this.machine = this.replayer.machine;
    this.table = recordTable(journal);
    const spacing = {
      intervalInsns: options.intervalInsns ?? options.checkpoints?.intervalInsns ?? DEFAULT_INTERVAL_INSNS,
      intervalExits: options.intervalExits ?? options.checkpoints?.intervalExits ?? DEFAULT_INTERVAL_EXITS,
      budgetBytes: options.budgetBytes ?? DEFAULT_BUDGET_BYTES,
    };
    this.checkpoints = new CheckpointList(this.machine, spacing, options.checkpoints);
    if (options.checkpoints === undefined) this.checkpoints.take(this.replayer.savePosition());
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
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.table.exitCount || this.table.exitSeq[seq] !== seq) {
      throw new SimError('TT_NO_SUCH_EXIT', `the recording has no exit ${seq} (it holds exits 0 to ${this.table.exitCount - 1})`);
    }
    const c = this.checkpoints.latestWhere((k) => k.nextSeq <= seq)!;
    if (!(this.machine.vcpu.nextSeq <= seq && this.isAfter(c))) this.restore(c);
    return this.result(this.forward({ seq }, false));
  }

  /** Stands where `icount` instructions have retired (before any exit the next instruction takes). */
  seekIcount(icount: number): TravelResult {
    if (!Number.isSafeInteger(icount) || icount < 0) throw new SimError('TT_BAD_TARGET', `not an instruction count: ${icount}`);
    const c = this.checkpoints.latestWhere((k) => k.icount < icount) ?? this.checkpoints.list[0];
    if (!(this.machine.hart.icount < icount && this.isAfter(c) && !this.replayer.done)) this.restore(c);
    return this.result(this.forward({ icount }, false));
  }

  /** One instruction forwards (through the exits on the way), stopping early at a trigger. */
  step(): TravelResult {
    this.stepOffObserverBreakpoint();
    return this.result(this.forward({ icount: this.machine.hart.icount + 1 }, true));
  }

  /** Forwards until a trigger stops the guest or the recording ends. */
  continue(): TravelResult {
    this.stepOffObserverBreakpoint();
    return this.result(this.forward({}, true));
  }

  /** One instruction back. At the start of the recording: history-start, staying there. */
  reverseStep(): TravelResult {
    const icount = this.machine.hart.icount;
    if (icount === 0) return this.result({ kind: 'history-start' });
    return this.seekIcount(icount - 1);
  }

  /**
   * Backwards to the latest earlier place where the observer's triggers stop the guest. Replays the interval
   * between the checkpoint before the current place and the place itself with the triggers armed, counting hits;
   * with none, the interval before, and so on. At the start with none: history-start, standing at the start.
   */
  reverseContinue(): TravelResult {
    // Scanning goes back over places already passed: no checkpoint is taken (or dropped) meanwhile.
    this.frozen = true;
    try {
      let end = this.machine.hart.icount;
      const list = this.checkpoints.list;
      for (let i = list.length - 1; i >= 0; i--) {
        const c = list[i];
        if (c.icount >= end) continue;
        const hits = this.countStops(c, end);
        if (hits > 0) {
          this.restore(c);
          let stop: TravelStop = { kind: 'arrived' };
          for (let n = 0; n < hits; n++) stop = this.forward({ icount: end }, true);
          return this.result(stop);
        }
        end = c.icount;
      }
      this.restore(list[0]);
      return this.result({ kind: 'history-start' });
    } finally {
      this.frozen = false;
    }
  }

  /** Forwards to the end of the recording, taking the checkpoints on the way (what a debugger does on opening one). */
  runToEnd(): TravelResult {
    return this.result(this.forward({}, false));
  }

  // ---- Inside. ----

  private countStops(c: Checkpoint, end: number): number {
    this.restore(c);
    let hits = 0;
    for (;;) {
      const stop = this.forward({ icount: end }, true);
      if (stop.kind === 'breakpoint' || stop.kind === 'watchpoint') hits++;
      else return hits;
    }
  }

  private restore(c: Checkpoint): void {
    this.checkpoints.restore(c);
    this.replayer.restorePosition(c.position);
  }

  /** Whether the replay stands after checkpoint `c` (or on it). */
  private isAfter(c: Checkpoint): boolean {
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
      this.checkpoints.take(this.replayer.savePosition());
    }
  }

  /**
   * One step of the replay, as Replayer.step (at most `budget` instructions, stopping at each exit and at the
   * observer's triggers), that lays checkpoints past the frontier as travels do. A replay session streams the
   * recording through this, so a seek after the stream starts near its target.
   */
  stepForward(budget: number): ReplayStep {
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

function observerStop(s: ObserverStop): TravelStop {
  return s.why === 'watchpoint'
    ? { kind: 'watchpoint', pc: s.pc, address: s.address, isWrite: s.isWrite }
    : { kind: 'breakpoint', pc: s.pc };
}
