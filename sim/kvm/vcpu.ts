import { SIP_SEIP } from '../cpu/csr.js';
import { DebugStopKind } from '../cpu/debug.js';
import { insnLength } from '../isa/index.js';
import { Hart, HartState, STALL_LIMIT, Stop } from '../cpu/hart.js';
import { TriggerOwner } from '../cpu/debug.js';
import { Cause, DEBUG_TRIGGER_CAUSE, HypervisorTrap } from '../cpu/trap.js';
import { SimError } from '../errors.js';
import { decodeCsrInsn } from './csr-insn.js';
import {
  DebugExit, ExitAnswer, KVM_INTERNAL_ERROR_EMULATION, KVM_INTERNAL_ERROR_TRAP_LOOP, KVM_INTERNAL_ERROR_UNHANDLED_TRAP, KVM_SYSTEM_EVENT_RESET,
  KVM_SYSTEM_EVENT_SHUTDOWN, needsAnswer, VcpuExit,
} from './exits.js';
import { decodeMmioInsn, MmioAccess, mmioLoadValue, transformFromBits } from './mmio.js';
import { sbiInKernel } from './sbi-kernel.js';
import * as sbi from './sbi.js';
import { ExitStats, StatsState } from './stats.js';

/** The kvm_exit tracepoint's fields (arch/riscv/kvm/trace.h). */
export interface KvmExitTrace {
  sepc: bigint;
  scause: number;
  stval: bigint;
  htval: number;
  htinst: number;
}

/** Subscribers to the kvm_entry / kvm_exit tracepoints. */
export interface TraceSink {
  kvmEntry?(pc: bigint, icount: number): void;
  kvmExit?(trap: KvmExitTrace, icount: number): void;
}

/** The vCPU in a checkpoint (see Vcpu.saveState). */
export interface VcpuState {
  hart: HartState;
  seq: number;
  singleStep: boolean;
  stats: StatsState;
}

/**
 * Where an observer's trigger (TriggerOwner.Observer: someone travelling through a recording) stopped the guest.
 * Not an exit: the run knows nothing of it, takes no seq, and goes on as if it had not happened.
 */
export interface ObserverStop {
  why: 'address-breakpoint' | 'watchpoint';
  pc: bigint;
  icount: number;
  /** For a watchpoint: the address accessed, and whether it was a store. */
  address?: bigint;
  isWrite?: boolean;
}

/** Length of Vcpu.exitWordsOf's array: pc and six SBI arguments as 32-bit halves. */
export const EXIT_WORDS = 14;

/** Default instruction budget of one run() call when the caller gives none. */
const DEFAULT_RUN_BUDGET = 1_000_000_000;

interface PendingExit {
  exit: VcpuExit;
  mmio?: MmioAccess;
  legacySbi?: boolean;
  csrRd?: number;
  /** For a DEBUG exit on a breakpoint instruction: its length, to step past it. */
  insnLen?: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type ExitBody = DistributiveOmit<VcpuExit, 'seq' | 'icount' | 'pc'>;

/**
 * The vCPU: the hypervisor layer around the hart, after arch/riscv/kvm/vcpu_exit.c and its neighbours. run()
 * re-enters the guest until something needs userspace, handling in the "kernel" what KVM handles there (SBI
 * base/time/IPI/RFENCE/HSM, trap redirection, WFI). Everything else comes back as one VcpuExit, which userspace
 * answers with answer() before the next run(), as it fills struct kvm_run before the next KVM_RUN.
 */
export class Vcpu {
  readonly hart: Hart;
  readonly stats = new ExitStats();
  trace: TraceSink | null = null;
  private seq = 0;
  private pending: PendingExit | null = null;
  private singleStep = false;
  private immediateExit = false;
  /**
   * Resume after an address breakpoint or watchpoint: the next instruction runs with the triggers suspended (all of
   * them; only the breakpoints after an observer's breakpoint, see observerStopped).
   */
  private stepOverTriggers: 'none' | 'all' | 'breakpoints' = 'none';
  /** The last exit returned, and its 64-bit fields as 32-bit halves (see exitWordsOf). */
  private lastExit: VcpuExit | null = null;
  private readonly lastExitWords = new Int32Array(EXIT_WORDS);
  /** Where an observer's trigger last stopped the guest (until the next entry). */
  private observed: ObserverStop | null = null;

  constructor(hart: Hart) {
    this.hart = hart;
  }

  /**
   * The vCPU's part of a checkpoint, with the hart's. Taken between exits, with no exit waiting for an answer (a
   * checkpoint is a place a replay can start from, and a replay feeds answers itself).
   */
  saveState(): VcpuState {
    if (this.waiting !== null) throw new SimError('VCPU_BAD_STATE', `exit ${this.waiting.seq} is waiting for its answer: no checkpoint here`);
    return { hart: this.hart.saveState(), seq: this.seq, singleStep: this.singleStep, stats: this.stats.saveState() };
  }

  restoreState(state: VcpuState): void {
    this.hart.restoreState(state.hart);
    this.seq = state.seq;
    this.singleStep = state.singleStep;
    this.stats.restoreState(state.stats);
    this.pending = null;
    this.immediateExit = false;
    this.stepOverTriggers = 'none';
    this.lastExit = null;
    this.observed = null;
  }

  /** The seq the next exit will take (the number of exits so far). */
  get nextSeq(): number {
    return this.seq;
  }

  /** Where an observer's trigger stopped the last resume() (null when something else ended it). */
  get observerStop(): ObserverStop | null {
    return this.observed;
  }

  /**
   * The next entry runs the instruction at the pc with the breakpoints suspended: someone standing on a breakpoint
   * (or after a seek to one) goes on past it instead of stopping there again. Watchpoints stay armed.
   */
  stepOverBreakpointOnce(): void {
    // After a watchpoint stop every trigger is already to be stepped over: keep that.
    if (this.stepOverTriggers === 'none') this.stepOverTriggers = 'breakpoints';
  }

  /** KVM_SET_GUEST_DEBUG: breakpoint instructions exit to userspace; optionally single-step. */
  setGuestDebug(enabled: boolean, singleStep = false): void {
    this.hart.setGuestDebug(enabled);
    this.singleStep = enabled && singleStep;
  }

  /** KVM_INTERRUPT for the external line: how a PLIC in userspace signals the guest. */
  setExternalInterrupt(level: boolean): void {
    this.hart.setInterruptPending(SIP_SEIP, level);
  }

  /** kvm_run.immediate_exit: the next run() returns INTR at once, before entering the guest. */
  requestImmediateExit(): void {
    this.immediateExit = true;
  }

  /** The exit waiting for an answer, if any. */
  get waiting(): VcpuExit | null {
    return this.pending !== null && needsAnswer(this.pending.exit) ? this.pending.exit : null;
  }

  /**
   * The 64-bit fields of `exit`, if it is the exit this vCPU returned last, as (lo, hi) 32-bit halves: [0, 1] its
   * pc, and for RISCV_SBI [2..13] its args. The journal encodes and compares exits from these without BigInt
   * arithmetic (converting a BigInt to a number is a runtime call). Valid until the next run.
   */
  exitWordsOf(exit: VcpuExit): Int32Array | null {
    return exit === this.lastExit ? this.lastExitWords : null;
  }

  /** The SBI timer deadline in timebase ticks (Infinity when none is armed). */
  get timer(): number {
    return this.hart.timerDeadline;
  }

  /** Runs the guest until an exit that needs userspace, or until `budget` instructions have retired. */
  run(budget = DEFAULT_RUN_BUDGET): VcpuExit {
    const exit = this.enter(budget, true);
    if (exit === null) throw new SimError('VCPU_BAD_STATE', 'an observer trigger stopped run(): observers use resume()');
    return exit;
  }

  /**
   * Like run() when `budgetIsExit` (a spent budget is an INTR exit), like resume() otherwise. Null means the budget
   * ran out (resume) or an observer's trigger stopped the guest (see observerStop).
   */
  runOrObserve(budget: number, budgetIsExit: boolean): VcpuExit | null {
    return this.enter(budget, budgetIsExit);
  }

  /**
   * Like run(), but a spent budget is not an exit: it returns null and takes no exit seq. A service slicing guest
   * time to stay responsive uses it; the slices leave no trace, so the journal (and a replay) never sees them.
   */
  resume(budget: number): VcpuExit | null {
    return this.enter(budget, false);
  }

  private enter(budget: number, budgetIsExit: boolean): VcpuExit | null {
    const waiting = this.waiting;
    if (waiting !== null) throw new SimError('VCPU_BAD_STATE', `exit ${waiting.seq} (${waiting.reason}) has not been answered`);
    this.pending = null;
    this.observed = null;
    const h = this.hart;
    const target = h.icount + budget;
    // Traps handled here that retire nothing (a redirect into a handler that faults again, forever) must not
    // wedge run(): after STALL_LIMIT in a row it reports the loop.
    let fruitless = 0;
    let icountAtLastTrap = -1;
    for (;;) {
      if (this.immediateExit) {
        this.immediateExit = false;
        return this.exitToUser({ reason: 'INTR', cause: 'immediate_exit' });
      }
      // The timer's deadline ends a slice inside the hart (its Sstc comparator, hart.run); STIP is brought up to
      // date here too, so that an exit taken before the next run (a spent budget) shows it as a run would.
      h.syncTimer();
      const slice = target - h.icount;
      if (slice <= 0) return budgetIsExit ? this.exitToUser({ reason: 'INTR', cause: 'budget' }) : null;
      const stepping = this.singleStep;
      const overTriggers = this.stepOverTriggers;
      this.stepOverTriggers = 'none';
      this.trace?.kvmEntry?.(h.pc, h.icount);
      const stop = overTriggers !== 'none' ? h.stepOverTriggers(overTriggers) : h.run(stepping ? 1 : slice, stepping);
      if (stop === Stop.Trap) {
        if (h.exit.scause === DEBUG_TRIGGER_CAUSE && (h.debug.hitOwners & TriggerOwner.Recorded) === 0) return this.observerStopped();
        const exit = this.handleTrap(h.exit);
        if (exit !== null) return exit;
        fruitless = h.icount === icountAtLastTrap ? fruitless + 1 : 0;
        icountAtLastTrap = h.icount;
        if (fruitless >= STALL_LIMIT) return this.trapLoop();
      } else if (stop === Stop.Stalled) {
        return this.trapLoop();
      }
      if (stepping) return this.exitToUser({ reason: 'DEBUG', why: 'single-step' });
    }
  }

  private observerStopped(): null {
    const h = this.hart, e = h.exit;
    this.observed = e.debugKind === DebugStopKind.AddressBreakpoint
      ? { why: 'address-breakpoint', pc: h.pc, icount: h.icount }
      : { why: 'watchpoint', pc: h.pc, icount: h.icount, address: pair(e.debugAddrLo, e.debugAddrHi), isWrite: e.debugKind === DebugStopKind.WatchWrite };
    // Going on runs the instruction that stopped with the triggers suspended, as answering a DEBUG exit does; past a
    // breakpoint only the breakpoints, so that a watchpoint of the recording's on the same instruction still fires
    // there as it did in the recording. (An observer's watchpoint hit means no recorded one matched this access.)
    this.stepOverTriggers = this.observed.why === 'address-breakpoint' ? 'breakpoints' : 'all';
    return null;
  }

  private trapLoop(): VcpuExit {
    const h = this.hart;
    return this.exitToUser({
      reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_TRAP_LOOP,
      message: `the guest takes trap after trap (scause ${h.exit.scause}) without retiring an instruction`,
      ...errorFields(h.exit),
    });
  }

  /** Completes the exit that run() returned, as kvm_riscv_vcpu_mmio_return / kvm_riscv_vcpu_sbi_return do. */
  answer(answer: ExitAnswer): void {
    const p = this.pending;
    if (p === null || !needsAnswer(p.exit)) throw new SimError('VCPU_BAD_STATE', `answer for exit ${answer.seq}, but no exit is waiting`);
    if (answer.seq !== p.exit.seq) throw new SimError('VCPU_BAD_STATE', `answer for exit ${answer.seq}, but exit ${p.exit.seq} is waiting`);
    if (answer.reason !== p.exit.reason) {
      throw new SimError('VCPU_BAD_STATE', `answer of kind ${answer.reason} for a ${p.exit.reason} exit (seq ${p.exit.seq})`);
    }
    const h = this.hart;
    switch (answer.reason) {
      case 'MMIO': {
        const access = p.mmio!;
        if (!access.isWrite) {
          const data = answer.data;
          if (data === undefined || data.length !== access.len) {
            throw new SimError('VCPU_BAD_STATE', `MMIO read answer for exit ${answer.seq} needs exactly ${access.len} data bytes`);
          }
          const v = mmioLoadValue(access, data);
          if (access.reg !== 0) {
            h.x[2 * access.reg] = v.lo;
            h.x[2 * access.reg + 1] = v.hi;
          }
        }
        h.completeInstruction(access.insnLen);
        break;
      }
      case 'RISCV_SBI':
        this.sbiReturn(answer.ret[0], answer.ret[1], p.legacySbi === true);
        break;
      case 'RISCV_CSR':
        h.setReg(p.csrRd!, BigInt.asUintN(64, answer.retValue));
        h.completeInstruction(4);
        break;
      case 'DEBUG':
        this.answerDebug(p.exit as DebugExit, answer.action, p.insnLen ?? 4);
        break;
    }
    this.pending = null;
  }

  private answerDebug(exit: DebugExit, action: 'resume' | 'stay' | 'inject', insnLen: number): void {
    const h = this.hart;
    if (action === 'stay') return;
    switch (exit.why) {
      case 'breakpoint-instruction':
        if (action === 'resume') {
          h.completeInstruction(insnLen);
        } else {
          // The guest's own ebreak: deliver the breakpoint exception to its handler (stval 0, as QEMU).
          h.redirectTrap({ ...h.exit, scause: Cause.Breakpoint, sepcLo: h.pcLo, sepcHi: h.pcHi, stvalLo: 0, stvalHi: 0 });
        }
        return;
      case 'address-breakpoint':
      case 'watchpoint':
        if (action === 'inject') throw new SimError('VCPU_BAD_STATE', `inject applies to breakpoint instructions, not to a ${exit.why}`);
        this.stepOverTriggers = 'all';
        return;
      case 'single-step':
        if (action === 'inject') throw new SimError('VCPU_BAD_STATE', 'inject applies to breakpoint instructions, not to a single-step');
        return;
    }
  }

  private exitToUser(body: ExitBody, extra: Omit<PendingExit, 'exit'> = {}): VcpuExit {
    const h = this.hart;
    const exit = { seq: this.seq++, icount: h.icount, pc: h.pc, ...body } as VcpuExit;
    this.pending = { exit, ...extra };
    const w = this.lastExitWords;
    w[0] = h.pcLo;
    w[1] = h.pcHi;
    if (exit.reason === 'RISCV_SBI') for (let i = 0; i < 12; i++) w[2 + i] = h.x[20 + i];
    this.lastExit = exit;
    this.stats.record(exit.reason, 'exit', h.icount);
    return exit;
  }

  private inKernel(event: string): null {
    this.stats.record(event, 'kernel', this.hart.icount);
    return null;
  }

  /** kvm_riscv_vcpu_exit: what becomes of a trap that left the guest. Returns an exit, or null to re-enter. */
  private handleTrap(trap: HypervisorTrap): VcpuExit | null {
    const h = this.hart;
    this.trace?.kvmExit?.(traceFields(trap), h.icount);
    switch (trap.scause) {
      case DEBUG_TRIGGER_CAUSE:
        return trap.debugKind === DebugStopKind.AddressBreakpoint
          ? this.exitToUser({ reason: 'DEBUG', why: 'address-breakpoint' })
          : this.exitToUser({
            reason: 'DEBUG', why: 'watchpoint', isWrite: trap.debugKind === DebugStopKind.WatchWrite,
            address: pair(trap.debugAddrLo, trap.debugAddrHi),
          });
      case Cause.Breakpoint:
        // Only reaches the hypervisor with guest debug on (hedeleg without BREAKPOINT): KVM_EXIT_DEBUG, pc unchanged.
        return this.exitToUser({ reason: 'DEBUG', why: 'breakpoint-instruction' }, { insnLen: this.insnLengthAtPc() });
      case Cause.EcallVS:
        return this.sbiCall();
      case Cause.LoadGuestPageFault:
      case Cause.StoreGuestPageFault:
        return this.mmio(trap);
      case Cause.VirtualInst:
        return this.virtualInstruction(trap);
      case Cause.IllegalInst:
      case Cause.LoadMisaligned:
      case Cause.StoreMisaligned:
      case Cause.InstAccess:
      case Cause.LoadAccess:
      case Cause.StoreAccess:
        h.redirectTrap(trap);
        return this.inKernel(`redirect-${causeName(trap.scause)}`);
    }
    return this.exitToUser({
      reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_UNHANDLED_TRAP,
      message: `unhandled trap scause=${trap.scause}`, ...errorFields(trap),
    });
  }

  /** kvm_riscv_vcpu_virtual_insn: WFI, or a CSR left to userspace, or an illegal instruction for the guest. */
  private virtualInstruction(trap: HypervisorTrap): VcpuExit | null {
    const bits = trap.htinst;
    if (bits === 0x10500073) return this.wfi();
    const csr = decodeCsrInsn(bits, (i) => this.hart.getReg(i));
    if (csr !== null) {
      return this.exitToUser({ reason: 'RISCV_CSR', csrNum: csr.csrNum, newValue: csr.newValue, writeMask: csr.writeMask }, { csrRd: csr.rd });
    }
    this.hart.redirectTrap({ ...trap, scause: Cause.IllegalInst, stvalLo: bits, stvalHi: 0 });
    return this.inKernel('redirect-illegal-inst');
  }

  private mmio(trap: HypervisorTrap): VcpuExit {
    const h = this.hart;
    const htinst = trap.htinst !== 0 ? trap.htinst : this.readTrappingInsn();
    const access = decodeMmioInsn(htinst);
    const gpa = trap.htval * 4 + (trap.stvalLo & 3);
    if (access === null || gpa % access.len !== 0) {
      return this.exitToUser({
        reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_EMULATION,
        message: access === null ? `cannot emulate the MMIO access at 0x${gpa.toString(16)}: not a plain load or store`
          : `misaligned ${access.len}-byte MMIO access at 0x${gpa.toString(16)}`,
        ...errorFields(trap),
      });
    }
    const data = new Uint8Array(access.len);
    if (access.isWrite) {
      const lo = h.x[2 * access.reg], hi = h.x[2 * access.reg + 1];
      for (let i = 0; i < access.len; i++) data[i] = (i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4))) & 0xff;
    }
    return this.exitToUser({ reason: 'MMIO', physAddr: gpa, len: access.len, isWrite: access.isWrite, data }, { mmio: access });
  }

  /** The instruction at sepc, for traps without htinst (the kernel reads it with kvm_riscv_vcpu_unpriv_read). */
  private readTrappingInsn(): number {
    const ramOff = this.hart.mmu.fetch(this.hart.pcLo, this.hart.pcHi);
    if (ramOff < 0 || ramOff + 4 > this.hart.ram.size) return 0;
    return transformFromBits(this.hart.ram.view.getUint32(ramOff, true));
  }

  private insnLengthAtPc(): number {
    const ramOff = this.hart.mmu.fetch(this.hart.pcLo, this.hart.pcHi);
    return ramOff < 0 ? 4 : insnLength(this.hart.ram.u16[ramOff >>> 1]);
  }

  private sbiCall(): VcpuExit | null {
    const h = this.hart;
    const eid = h.x[2 * 17] >>> 0, fid = h.x[2 * 16] >>> 0;
    const arg = (i: number): bigint => h.getReg(10 + i);
    const outcome = sbiInKernel({ hart: h, setTimer: (v) => this.setTimer(v) }, eid, fid, arg);
    switch (outcome.kind) {
      case 'forward':
        return this.exitToUser(
          { reason: 'RISCV_SBI', extensionId: eid, functionId: fid, args: [0, 1, 2, 3, 4, 5].map(arg) },
          { legacySbi: outcome.legacy },
        );
      case 'system-event': {
        const shutdown = outcome.type === BigInt(sbi.SRST_TYPE_SHUTDOWN);
        const exit = this.exitToUser({
          reason: 'SYSTEM_EVENT', type: shutdown ? 'shutdown' : 'reset',
          typeCode: shutdown ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, data: [outcome.type, outcome.reason],
        });
        // Running again resumes after the ecall with success, as KVM does on the next KVM_RUN.
        this.sbiReturn(0n, 0n, false);
        return exit;
      }
      case 'ret':
        this.sbiReturn(outcome.a0, outcome.a1, outcome.legacy);
        return this.inKernel(outcome.event);
    }
  }

  /** kvm_riscv_vcpu_sbi_return: a0 (and a1, except for legacy calls) and the pc past the ecall. */
  private sbiReturn(a0: bigint, a1: bigint, legacy: boolean): void {
    const h = this.hart;
    h.setReg(10, BigInt.asUintN(64, a0));
    if (!legacy) h.setReg(11, BigInt.asUintN(64, a1));
    h.completeInstruction(4);
  }

  /** SBI set_timer: KVM on an Sstc host writes the guest's vstimecmp (kvm_riscv_vcpu_update_vstimecmp). */
  private setTimer(value: bigint): void {
    this.hart.setTimerDeadline(value);
  }

  /**
   * kvm_riscv_vcpu_wfi: with nothing pending, idle until the timer fires, skipping the virtual time in between
   * (idle costs nothing and stays deterministic). With no timer either, only userspace can wake the guest (by
   * raising its external interrupt line): the vCPU returns INTR/halt, as a halted vCPU thread would block.
   */
  private wfi(): VcpuExit | null {
    const h = this.hart;
    h.completeInstruction(4);
    if (h.interruptPendingForWfi()) return this.inKernel('wfi');
    const deadline = h.timerDeadlineIcount();
    if (deadline === Infinity || !h.timerInterruptEnabled()) return this.exitToUser({ reason: 'INTR', cause: 'halt' });
    if (deadline > h.icount) h.idleCycles += deadline - h.icount;
    h.syncTimer();
    return this.inKernel('wfi-idle-skip');
  }
}

function pair(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function traceFields(trap: HypervisorTrap): KvmExitTrace {
  return { sepc: pair(trap.sepcLo, trap.sepcHi), scause: trap.scause, stval: pair(trap.stvalLo, trap.stvalHi), htval: trap.htval, htinst: trap.htinst };
}

function errorFields(trap: HypervisorTrap): { scause: number; stval: bigint; htval: number; htinst: number } {
  return { scause: trap.scause, stval: pair(trap.stvalLo, trap.stvalHi), htval: trap.htval, htinst: trap.htinst };
}

const CAUSE_NAMES: Record<number, string> = {
  [Cause.IllegalInst]: 'illegal-inst', [Cause.LoadMisaligned]: 'load-misaligned', [Cause.StoreMisaligned]: 'store-misaligned',
  [Cause.InstAccess]: 'inst-access', [Cause.LoadAccess]: 'load-access', [Cause.StoreAccess]: 'store-access',
};

function causeName(cause: number): string {
  return CAUSE_NAMES[cause] ?? `cause-${cause}`;
}
