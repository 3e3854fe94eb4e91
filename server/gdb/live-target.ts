/**
 * gdb on a live VM: the hart runs and everything gdb does to it goes into the VM's journal as an input (its
 * breakpoints and watchpoints, single-steps, register and memory writes), so the recording still replays
 * bit-exactly. The adapter is the VM's controller: a RemoteVmm answers the exits with the built-in device models,
 * and gdb's all-stop model is the VM's: a DEBUG exit pauses it and waits, holding its answer until gdb resumes.
 *
 * Guest debug is on (KVM_SET_GUEST_DEBUG), so every `ebreak` exits. One at an address where gdb has no breakpoint
 * is the guest's own (the arm64 debate in the seeds): it is injected into the guest's handler and gdb never sees it.
 *
 * A recorded VM also goes backwards: a reverse verb opens its past (the VM pauses, the journal so far is replayed
 * by a traveller) and forward verbs move in that past until they reach the present again, where the live run goes
 * on. gdb's triggers are the traveller's while it travels and come back to the live VM with it.
 */
import { RemoteVmm, type Place, type RemoteVmmOptions, type VmEnd, type VmLink, type VmStatus } from '../../client-sdk/index.js';
import type { DebugExit, ExitAnswer } from '../../sim/index.js';
import { TargetError, type ResumeAction, type StopReason, type TargetCapabilities } from './target.js';
import { VmTarget } from './vm-target.js';
import type { WatchKind } from './trigger-book.js';

/** What ended a wait for the hart to stop. */
type LiveStop =
  | { kind: 'debug'; exit: DebugExit }
  | { kind: 'stepped' }
  | { kind: 'ended'; end: VmEnd }
  | { kind: 'interrupted' };

export interface LiveTargetOptions extends Omit<RemoteVmmOptions, 'debugger' | 'onExit'> {
  /** Whether the VM records (and so has a past to go back to). */
  recorded: boolean;
}

export class LiveTarget extends VmTarget {
  readonly capabilities: TargetCapabilities;
  readonly vmm: RemoteVmm;
  private travelling = false;
  /** The DEBUG exit the VM is stopped at, its answer held until gdb resumes. */
  private held: { exit: DebugExit; release: (action: 'resume' | 'inject') => void } | null = null;
  /** The resume waiting for the hart to stop. */
  private waiter: ((stop: LiveStop) => void) | null = null;
  private stepping = false;
  private end: VmEnd | null = null;
  /** The triggers the live VM holds (journaled); while travelling, gdb's changes wait for the way back. */
  private readonly liveBreakpoints = new Set<bigint>();
  private readonly liveWatches = new Map<string, { addr: bigint; len: number; kind: WatchKind }>();

  private constructor(link: VmLink, options: LiveTargetOptions) {
    super(link);
    this.capabilities = { reverse: options.recorded, write: true };
    const { recorded: _recorded, ...vmmOptions } = options;
    this.vmm = new RemoteVmm(link, vmmOptions);
    this.vmm.on('DEBUG', (exit) => this.onDebug(exit));
    link.on('ended', (end) => {
      this.end = end;
      this.settle({ kind: 'ended', end });
    });
    link.on('travel', (place) => { this.travelling = place !== null; });
  }

  /** Becomes the VM's debugger: guest debug on (an input the journal records), the VM left where it stands. */
  static async attach(link: VmLink, options: LiveTargetOptions): Promise<LiveTarget> {
    const target = new LiveTarget(link, options);
    await target.request({ op: 'guest-debug', enabled: true });
    return target;
  }

  /** How the run ended, once it has. */
  get ended(): VmEnd | null {
    return this.end;
  }

  private onDebug(exit: DebugExit): ExitAnswer | Promise<ExitAnswer> {
    const answer = (action: 'resume' | 'inject'): ExitAnswer => ({ seq: exit.seq, reason: 'DEBUG', action });
    if (exit.why === 'single-step') {
      this.settle({ kind: 'stepped' });
      return answer('resume');
    }
    if (exit.why === 'breakpoint-instruction' && !this.book.hasBreakpoint(exit.pc)) {
      // The guest's own ebreak: its handler runs, gdb hears nothing. A debug exit pauses the VM: a continue goes on.
      if (!this.stepping && this.waiter !== null) void this.request({ op: 'run' }).catch(() => {});
      return answer('inject');
    }
    return new Promise((resolve) => {
      this.held = { exit, release: (action) => resolve(answer(action)) };
      this.settle({ kind: 'debug', exit });
    });
  }

  private settle(stop: LiveStop): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(stop);
  }

  private nextStop(): Promise<LiveStop> {
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  /** Answers the held DEBUG exit: past gdb's breakpoint or watchpoint; an ebreak instruction goes to the guest. */
  private release(): void {
    const h = this.held;
    this.held = null;
    h?.release(h.exit.why === 'breakpoint-instruction' ? 'inject' : 'resume');
  }

  // ---- Resuming. ----

  async resume(action: ResumeAction): Promise<StopReason> {
    if (this.end !== null) return { kind: 'exited', code: this.end.exitCode };
    if (action === 'reverse-continue' || action === 'reverse-step') return this.travel(action);
    if (this.travelling) {
      const stop = await this.travel(action);
      const ended = stop.kind === 'history' && stop.edge === 'end';
      if (!ended) {
        // Forwards in the past up to the place the run stands at: that is the present, where gdb may change things.
        if (await this.travellerAtPresent()) await this.toPresent();
        return stop;
      }
      // The past ends where the run stands: going on forwards is going on live.
      await this.toPresent();
    }
    return action === 'continue' ? this.continueLive() : this.stepLive();
  }

  private async continueLive(): Promise<StopReason> {
    this.forget();
    const stopped = this.nextStop();
    await this.request({ op: 'run' });
    this.release();
    return this.stopOf(await stopped);
  }

  private async stepLive(): Promise<StopReason> {
    this.forget();
    this.stepping = true;
    try {
      const stopped = this.nextStop();
      this.release();
      await this.request({ op: 'step' });
      // The step's exits came before its reply: with no DEBUG stop among them (an MMIO access the devices
      // answered, the guest's ebreak injected) the instruction is done.
      this.settle({ kind: 'stepped' });
      return this.stopOf(await stopped);
    } finally {
      this.stepping = false;
    }
  }

  private stopOf(stop: LiveStop): StopReason {
    this.forget();
    switch (stop.kind) {
      case 'stepped': return { kind: 'trap' };
      case 'interrupted': return { kind: 'interrupted' };
      case 'ended': return { kind: 'exited', code: stop.end.exitCode };
      case 'debug': {
        const exit = stop.exit;
        // A watchpoint stops before the access, as gdb's non-steppable RISC-V watchpoints expect: gdb steps over it.
        if (exit.why === 'watchpoint') return this.book.watchStop(exit.address ?? 0n, exit.isWrite === true);
        return this.book.breakpointStop(exit.pc);
      }
    }
  }

  interrupt(): void {
    if (this.waiter === null || this.stepping) return;
    // The VM stops at an immediate exit (recorded, so that what gdb does next lands at a place the journal has).
    void this.request({ op: 'pause' }).then(() => this.settle({ kind: 'interrupted' }), () => {});
  }

  /** Whether the traveller stands where the live VM does (the same instruction count, the same exits taken). */
  private async travellerAtPresent(): Promise<boolean> {
    const s = await this.request<VmStatus & { travel?: Place }>({ op: 'status' });
    return s.travel !== undefined && s.travel.icount === s.icount && s.travel.nextSeq === s.exits;
  }

  private async toPresent(): Promise<void> {
    await this.request({ op: 'present' });
    this.travelling = false;
    this.forget();
    await this.syncTriggers();
  }

  // ---- Triggers: journaled on the live VM; the traveller's while travelling. ----

  protected async setBreakpoint(addr: bigint, add: boolean): Promise<void> {
    const live = !this.travelling;
    await this.request({ op: 'breakpoint', pc: addr, add });
    if (!live) return;
    if (add) this.liveBreakpoints.add(addr);
    else this.liveBreakpoints.delete(addr);
  }

  protected async setWatchpoint(addr: bigint, len: number, kind: WatchKind | null): Promise<void> {
    const live = !this.travelling;
    await this.request({ op: 'watchpoint', addr, len, read: kind?.read ?? false, write: kind?.write ?? false, add: kind !== null });
    if (!live) return;
    const key = `${addr}:${len}`;
    if (kind === null) this.liveWatches.delete(key);
    else this.liveWatches.set(key, { addr, len, kind });
  }

  /** Back in the present: the live VM takes the triggers gdb set or removed while travelling. */
  private async syncTriggers(): Promise<void> {
    const want = new Set(this.book.breakpointAddresses());
    for (const addr of [...this.liveBreakpoints]) if (!want.has(addr)) await this.setBreakpoint(addr, false);
    for (const addr of want) if (!this.liveBreakpoints.has(addr)) await this.setBreakpoint(addr, true);
    const ranges = new Map(this.book.watchRanges().map((r) => [`${r.addr}:${r.len}`, r]));
    for (const [key, w] of [...this.liveWatches]) {
      const r = ranges.get(key);
      if (r === undefined || r.kind.read !== w.kind.read || r.kind.write !== w.kind.write) await this.setWatchpoint(w.addr, w.len, null);
    }
    for (const [key, r] of ranges) if (!this.liveWatches.has(key)) await this.setWatchpoint(r.addr, r.len, r.kind);
  }

  // ---- Writes: inputs the journal records. ----

  async writeRegister(regnum: number, value: bigint): Promise<void> {
    await this.request(await this.registerWrite(regnum, value));
    this.forget();
  }

  async writeMemory(addr: bigint, data: Uint8Array): Promise<void> {
    const pieces = await (await this.addressSpace()).pieces(addr, data.length);
    if (pieces === null) throw new TargetError('BAD_ADDRESS', `0x${addr.toString(16)} is not mapped`);
    try {
      for (const p of pieces) await this.request({ op: 'write-mem', addr: p.pa, data: data.subarray(p.offset, p.offset + p.len) });
    } finally {
      this.forget();
    }
  }

  // ---- gdb leaves. ----

  /** The guest goes on without gdb: its triggers gone, guest debug off, the stop it was held at released. */
  async detach(): Promise<void> {
    if (this.end !== null) return;
    if (this.travelling) await this.request({ op: 'present' });
    this.travelling = false;
    for (const addr of [...this.liveBreakpoints]) await this.setBreakpoint(addr, false);
    for (const w of [...this.liveWatches.values()]) await this.setWatchpoint(w.addr, w.len, null);
    await this.request({ op: 'guest-debug', enabled: false });
    await this.request({ op: 'run' });
    this.release();
  }

  async kill(): Promise<void> {
    if (this.end !== null) return;
    await this.request({ op: 'stop', reason: 'killed', exitCode: 1 }).catch(() => {});
  }
}
