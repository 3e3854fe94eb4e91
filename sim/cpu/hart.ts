import { widenToDouble } from './double-fields.js';
import { GuestRam } from '../memory.js';
import { INSNS_PER_TIME_TICK } from '../layout.js';
import { Block, BlockCache } from './block-cache.js';
import {
  CSR_SEED, CsrEffect, CsrFile, SIP_SEIP, SIP_SSIP, SIP_STIP, SSTATUS_MXR, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP,
  SSTATUS_SUM,
} from './csr.js';
import { DebugStopKind, DebugTriggers, DebugTriggerState, TriggerOwner } from './debug.js';
import { Insn } from './decode.js';
import * as int64 from './int64.js';
import { Mmu, MmuState } from './mmu.js';
import { Cause, DEBUG_TRIGGER_CAUSE, HEDELEG_DEFAULT, HypervisorTrap } from './trap.js';

/** The hart in a checkpoint (see Hart.saveState). */
export interface HartState {
  x: Int32Array;
  pcLo: number;
  pcHi: number;
  priv: number;
  icount: number;
  idleCycles: number;
  hedeleg: number;
  irqCheck: boolean;
  csr: Int32Array;
  mmu: MmuState;
  debug: DebugTriggerState;
}

/** Why `run` returned. */
export const enum Stop {
  /** The budget is used up: exactly `budget` instructions retired. */
  Budget = 0,
  /** A trap that is not delegated to the guest: see `hart.exit`. */
  Trap = 1,
  /**
   * The guest took trap after trap into its own handler without retiring an instruction (a handler that faults
   * itself, e.g. stvec on an unmapped page): no budget would ever end the loop. `hart.exit` holds the last trap.
   */
  Stalled = 2,
}

/** Traps delivered in a row without an instruction retiring before run() gives up (Stop.Stalled). */
export const STALL_LIMIT = 1 << 16;

export const PRIV_U = 0, PRIV_S = 1;

/**
 * One RISC-V hart as a guest in VS/VU-mode sees it: RV64IMAC + Zicsr + Zifencei + Zicntr, Sv39/Sv48.
 *
 * The hart runs translated blocks (see translate.ts) until its budget is used up or a trap must leave the guest.
 * Traps delegated to the guest (hedeleg, default KVM_HEDELEG_DEFAULT; all VS interrupts) go to the guest's stvec
 * here; every other trap stops the hart and is handed to its caller, the hypervisor layer, as a plain value.
 * Guest time is virtual: instructions retired plus idle time skipped by the hypervisor.
 */
export class Hart {
  /** x[i] is x[2i] (low 32 bits) and x[2i+1] (high 32 bits); x0 is never written. */
  readonly x = new Int32Array(64);
  pcLo = 0;
  pcHi = 0;
  priv = PRIV_S;
  readonly csr = new CsrFile();
  readonly mmu: Mmu;
  readonly cache: BlockCache;
  readonly ram: GuestRam;
  /** Instructions retired (exact; a JS number is exact up to 2^53). */
  icount = 0;
  /** Virtual cycles skipped while idle (WFI); cycle = icount + idleCycles. */
  idleCycles = 0;
  /** Exceptions that go straight to the guest (bit per cause). */
  hedeleg = HEDELEG_DEFAULT;
  /** The last trap that left the guest (valid after run() returned Stop.Trap). */
  readonly exit: HypervisorTrap = {
    scause: 0, sepcLo: 0, sepcHi: 0, stvalLo: 0, stvalHi: 0, htval: 0, htinst: 0, fromPriv: 0,
    debugKind: 0, debugAddrLo: 0, debugAddrHi: 0,
  };
  /** Breakpoints and watchpoints kept by the hypervisor. Change them through the hart's methods. */
  readonly debug = new DebugTriggers();

  // Used by translated code.
  readonly int64 = int64;
  readonly int64Out = int64.out;

  private trapPending = false;
  private trapCause = 0;
  private trapTvalLo = 0;
  private trapTvalHi = 0;
  private trapGpa = 0;
  private trapHtinst = 0;
  /** Set when an enabled interrupt may be pending; checked between blocks. */
  private irqCheck = false;
  /** Index of the instruction in its block at the time a helper runs (for exact counters mid-block). */
  private readonly counters = {
    hart: this as Hart,
    k: 0,
    cycle(): number { return this.hart.icount + this.k + this.hart.idleCycles; },
    time(): number { return Math.floor(this.cycle() / INSNS_PER_TIME_TICK); },
    instret(): number { return this.hart.icount + this.k; },
  };

  constructor(ram: GuestRam) {
    this.ram = ram;
    this.mmu = new Mmu(ram);
    this.cache = new BlockCache(this, ram);
    this.mmu.debug = this.debug;
    this.syncMmu();
    widenToDouble(this, ['icount', 'idleCycles', 'trapGpa']);
  }

  /**
   * Runs until `budget` instructions have retired or a trap leaves the guest, whichever is first.
   * Interrupts are taken at block boundaries, which are exact instruction counts.
   */
  run(budget: number, stopAfterGuestTrap = false): Stop {
    const target = this.icount + budget;
    const mmu = this.mmu;
    const cache = this.cache;
    let fruitlessTraps = 0;
    while (this.icount < target) {
      if (this.irqCheck) this.takeInterrupt();
      if (this.debug.hasBreakpoints && !this.debug.breakpointsSuspended && this.debug.hasBreakpoint(this.pcLo, this.pcHi)) {
        this.pend(0, this.pcLo, this.pcHi, DEBUG_TRIGGER_CAUSE, 0, 0);
        this.debug.hitKind = DebugStopKind.AddressBreakpoint;
        this.debug.hitOwners = this.debug.breakpointOwners(this.pcLo, this.pcHi);
        this.deliverTrap();
        return Stop.Trap;
      }
      const ramOff = mmu.fetch(this.pcLo, this.pcHi);
      let block: Block | null = ramOff < 0 ? null : cache.lookup(ramOff, this.pcLo, this.pcHi, this.priv);
      if (block === null) {
        this.pendMmuFault(0);
      } else {
        if (block.len > target - this.icount) block = cache.lookupSingle(ramOff, this.pcLo, this.pcHi, this.priv);
        if (block === null) this.pendMmuFault(0);
        else {
          const retired = block.run();
          this.icount += retired;
          if (retired > 0) fruitlessTraps = 0;
        }
      }
      if (this.trapPending) {
        const cause = this.trapCause, tvalLo = this.trapTvalLo, tvalHi = this.trapTvalHi;
        if (this.deliverTrap()) return Stop.Trap;
        // Single-stepping: a trap taken into the guest ends the step at its handler's first instruction.
        if (stopAfterGuestTrap) return Stop.Budget;
        if (++fruitlessTraps >= STALL_LIMIT) {
          this.recordStall(cause, tvalLo, tvalHi);
          return Stop.Stalled;
        }
      }
    }
    return Stop.Budget;
  }

  /** Handles the pending trap: into the guest (returns false) or out to the hypervisor (returns true). */
  private deliverTrap(): boolean {
    this.trapPending = false;
    const cause = this.trapCause;
    // Any trap ends an LR/SC sequence (QEMU clears the reservation on every trap, to the guest or the hypervisor).
    // A stop for the hypervisor's own debug triggers is not a guest trap: stopping there must not change what the
    // guest does next, or a breakpoint set only while replaying would alter the run.
    if (cause !== DEBUG_TRIGGER_CAUSE) this.mmu.resValid = false;
    if (cause < 32 && ((this.hedeleg >>> cause) & 1) === 1) {
      this.enterGuestTrap(cause, false, this.trapTvalLo, this.trapTvalHi);
      return false;
    }
    const e = this.exit;
    e.scause = cause;
    e.sepcLo = this.pcLo;
    e.sepcHi = this.pcHi;
    e.stvalLo = this.trapTvalLo;
    e.stvalHi = this.trapTvalHi;
    const guestPageFault = cause === Cause.LoadGuestPageFault || cause === Cause.StoreGuestPageFault || cause === Cause.InstGuestPageFault;
    e.htval = guestPageFault ? Math.floor(this.trapGpa / 4) : 0;
    e.htinst = guestPageFault || cause === Cause.VirtualInst ? this.trapHtinst : 0;
    e.fromPriv = this.priv;
    e.debugKind = cause === DEBUG_TRIGGER_CAUSE ? this.debug.hitKind : DebugStopKind.None;
    e.debugAddrLo = this.debug.hitLo;
    e.debugAddrHi = this.debug.hitHi;
    return true;
  }

  /** Leaves the last of a run of fruitless traps in `exit` for the hypervisor's report. */
  private recordStall(cause: number, tvalLo: number, tvalHi: number): void {
    const e = this.exit;
    e.scause = cause;
    e.sepcLo = this.csr.sepcLo;
    e.sepcHi = this.csr.sepcHi;
    e.stvalLo = tvalLo;
    e.stvalHi = tvalHi;
    e.htval = 0;
    e.htinst = 0;
    e.fromPriv = this.priv;
    e.debugKind = DebugStopKind.None;
  }

  /** Takes a trap into the guest's own handler (stvec), as hardware does for a delegated trap. */
  enterGuestTrap(cause: number, interrupt: boolean, tvalLo: number, tvalHi: number): void {
    const c = this.csr;
    c.sepcLo = this.pcLo;
    c.sepcHi = this.pcHi;
    c.scauseLo = cause;
    c.scauseHi = interrupt ? 0x8000_0000 | 0 : 0;
    c.stvalLo = tvalLo;
    c.stvalHi = tvalHi;
    let s = c.sstatus & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    if (this.priv === PRIV_S) s |= SSTATUS_SPP;
    if (c.sstatus & SSTATUS_SIE) s |= SSTATUS_SPIE;
    c.sstatus = s;
    const base = c.stvecLo & ~3;
    const vectored = (c.stvecLo & 3) === 1 && interrupt;
    this.pcLo = vectored ? (base + 4 * cause) | 0 : base;
    this.pcHi = c.stvecHi + (vectored && ((this.pcLo >>> 0) < (base >>> 0)) ? 1 : 0);
    this.setPriv(PRIV_S);
    this.updateIrq();
  }

  /**
   * kvm_riscv_vcpu_trap_redirect: the hypervisor hands a trap it will not handle to the guest. The trap's pc
   * and value come from the exit record; the guest sees it exactly as if it had been delegated.
   */
  redirectTrap(trap: HypervisorTrap): void {
    this.pcLo = trap.sepcLo;
    this.pcHi = trap.sepcHi;
    this.enterGuestTrap(trap.scause, false, trap.stvalLo, trap.stvalHi);
  }

  private takeInterrupt(): void {
    this.irqCheck = false;
    const pending = this.csr.sip & this.csr.sie;
    if (pending === 0 || (this.priv === PRIV_S && (this.csr.sstatus & SSTATUS_SIE) === 0)) return;
    // Priority among the supervisor interrupts: external, software, timer.
    const irq = pending & SIP_SEIP ? 9 : pending & SIP_SSIP ? 1 : 5;
    this.enterGuestTrap(irq, true, 0, 0);
  }

  /** Recomputes whether an interrupt may be taken at the next block boundary. */
  updateIrq(): void {
    const pending = this.csr.sip & this.csr.sie;
    this.irqCheck = pending !== 0 && (this.priv === PRIV_U || (this.csr.sstatus & SSTATUS_SIE) !== 0);
  }

  /** The hypervisor's view of the guest's interrupt lines (hvip): raise or lower one of SSIP, STIP, SEIP. */
  setInterruptPending(bit: number, level: boolean): void {
    if (bit !== SIP_SSIP && bit !== SIP_STIP && bit !== SIP_SEIP) throw new RangeError(`not a VS interrupt bit: ${bit}`);
    this.csr.sip = level ? this.csr.sip | bit : this.csr.sip & ~bit;
    this.updateIrq();
  }

  /** Whether the guest enabled its timer interrupt (sie.STIE), so that a timer deadline can wake a WFI. */
  timerInterruptEnabled(): boolean {
    return (this.csr.sie & SIP_STIP) !== 0;
  }

  /** Whether an enabled interrupt is pending, ignoring sstatus.SIE (what WFI waits for). */
  interruptPendingForWfi(): boolean {
    return (this.csr.sip & this.csr.sie) !== 0;
  }

  /**
   * A privilege switch selects the other TLB set: no flush (the sets never mix U and S permissions). It also drops
   * the LR reservation, as QEMU does on every privilege change (trap entry, sret).
   */
  private setPriv(priv: number): void {
    this.priv = priv;
    this.mmu.priv = priv;
    this.mmu.resValid = false;
  }

  /** Pushes the translation context (priv, SUM, MXR, satp) to the MMU and drops its TLBs. */
  syncMmu(): void {
    const m = this.mmu;
    m.priv = this.priv;
    m.sum = (this.csr.sstatus & SSTATUS_SUM) !== 0;
    m.mxr = (this.csr.sstatus & SSTATUS_MXR) !== 0;
    m.satpMode = this.csr.satpHi >>> 28;
    m.rootPpn = (this.csr.satpLo >>> 0) + (this.csr.satpHi & 0xfff) * 4294967296;
    m.flush();
  }

  // ---- Helpers called by translated code. Each sets the pc and returns the number of instructions retired. ----

  private pend(k: number, pcLo: number, pcHi: number, cause: number, tvalLo: number, tvalHi: number): number {
    this.trapPending = true;
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    this.trapGpa = 0;
    this.trapHtinst = 0;
    this.pcLo = pcLo;
    this.pcHi = pcHi;
    return k;
  }

  private pendMmuFault(htinst: number): void {
    const f = this.mmu.fault;
    this.pend(0, this.pcLo, this.pcHi, f.cause, f.tvalLo, f.tvalHi);
    this.trapGpa = f.gpa;
    this.trapHtinst = htinst;
  }

  memFault(k: number, pcLo: number, pcHi: number, htinst: number): number {
    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.pendMmuFault(htinst);
    return k;
  }

  illegal(k: number, pcLo: number, pcHi: number, bits: number): number {
    return this.pend(k, pcLo, pcHi, Cause.IllegalInst, bits, 0);
  }

  ecall(k: number, pcLo: number, pcHi: number): number {
    return this.pend(k, pcLo, pcHi, this.priv === PRIV_U ? Cause.EcallU : Cause.EcallVS, 0, 0);
  }

  ebreak(k: number, pcLo: number, pcHi: number): number {
    return this.pend(k, pcLo, pcHi, Cause.Breakpoint, 0, 0); // stval = 0, as QEMU reports it
  }

  sret(k: number, pcLo: number, pcHi: number): number {
    if (this.priv === PRIV_U) return this.illegal(k, pcLo, pcHi, 0x10200073);
    const c = this.csr;
    this.pcLo = c.sepcLo;
    this.pcHi = c.sepcHi;
    const prev = c.sstatus & SSTATUS_SPP ? PRIV_S : PRIV_U;
    let s = c.sstatus & ~(SSTATUS_SIE | SSTATUS_SPP);
    if (c.sstatus & SSTATUS_SPIE) s |= SSTATUS_SIE;
    c.sstatus = s | SSTATUS_SPIE;
    this.setPriv(prev);
    this.updateIrq();
    return k + 1;
  }

  /** WFI: illegal from U-mode; from VS-mode it traps to the hypervisor (hstatus.VTW = 1, as KVM sets it). */
  wfi(k: number, pcLo: number, pcHi: number, insn: Insn): number {
    if (this.priv === PRIV_U) return this.illegal(k, pcLo, pcHi, insn.bits);
    this.pend(k, pcLo, pcHi, Cause.VirtualInst, insn.bits, 0);
    this.trapHtinst = insn.bits;
    return k;
  }

  sfenceVma(k: number, pcLo: number, pcHi: number, insn: Insn): number {
    if (this.priv === PRIV_U) return this.illegal(k, pcLo, pcHi, insn.bits);
    this.mmu.flush();
    return this.advance(k, pcLo, pcHi, 4);
  }

  csrInsn(k: number, pcLo: number, pcHi: number, insn: Insn): number {
    const num = insn.imm, f3 = insn.funct3, c = this.csr;
    if (num === CSR_SEED) {
      // Zkr's seed has no in-kernel model: a virtual-instruction trap, which KVM turns into KVM_EXIT_RISCV_CSR.
      this.pend(k, pcLo, pcHi, Cause.VirtualInst, insn.bits, 0);
      this.trapHtinst = insn.bits;
      return k;
    }
    const immForm = f3 >= 5;
    const srcReg = insn.rs1;
    const writes = (f3 & 3) === 1 || srcReg !== 0;
    const reads = (f3 & 3) !== 1 || insn.rd !== 0;
    if (!c.accessible(num, this.priv) || (writes && (num >>> 10) === 3)) return this.illegal(k, pcLo, pcHi, insn.bits);
    const srcLo = immForm ? srcReg : this.x[2 * srcReg];
    const srcHi = immForm ? 0 : this.x[2 * srcReg + 1];
    let oldLo = 0, oldHi = 0;
    if (reads) {
      this.counters.k = k;
      c.read(num, this.counters);
      oldLo = c.vlo;
      oldHi = c.vhi;
    }
    if (writes) {
      let nlo = srcLo, nhi = srcHi;
      if ((f3 & 3) === 2) { nlo = oldLo | srcLo; nhi = oldHi | srcHi; }
      else if ((f3 & 3) === 3) { nlo = oldLo & ~srcLo; nhi = oldHi & ~srcHi; }
      const effect = c.write(num, nlo, nhi);
      if (effect & CsrEffect.Mmu) this.syncMmu();
      if (effect & CsrEffect.Irq) this.updateIrq();
    }
    if (insn.rd !== 0) {
      this.x[2 * insn.rd] = oldLo;
      this.x[2 * insn.rd + 1] = oldHi;
    }
    return this.advance(k, pcLo, pcHi, 4);
  }

  private advance(k: number, pcLo: number, pcHi: number, len: number): number {
    const lo = (pcLo + len) | 0;
    this.pcLo = lo;
    this.pcHi = (pcHi + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
    return k + 1;
  }

  // ---- Debug triggers (KVM_SET_GUEST_DEBUG). ----

  /** Guest debug on: ebreak no longer goes to the guest's handler but stops the hart (hedeleg loses BREAKPOINT). */
  setGuestDebug(enabled: boolean): void {
    this.hedeleg = enabled ? this.hedeleg & ~(1 << Cause.Breakpoint) : this.hedeleg | (1 << Cause.Breakpoint);
  }

  get guestDebug(): boolean {
    return ((this.hedeleg >>> Cause.Breakpoint) & 1) === 0;
  }

  addBreakpoint(pc: bigint, owner = TriggerOwner.Recorded): void {
    const { lo, hi } = split(pc);
    const had = this.debug.hasBreakpoint(lo, hi);
    this.debug.addBreakpoint(lo, hi, owner);
    // Blocks end before breakpoint addresses; retranslate with the new set.
    if (!had) this.cache.clear();
  }

  removeBreakpoint(pc: bigint, owner = TriggerOwner.Recorded): boolean {
    const { lo, hi } = split(pc);
    const removed = this.debug.removeBreakpoint(lo, hi, owner);
    if (removed && !this.debug.hasBreakpoint(lo, hi)) this.cache.clear();
    return removed;
  }

  addWatchpoint(addr: bigint, len: number, kind: { read: boolean; write: boolean }, owner = TriggerOwner.Recorded): void {
    const { lo, hi } = split(addr);
    this.debug.addWatchpoint({ lo, hi, len, read: kind.read, write: kind.write }, owner);
    this.mmu.flush();
  }

  removeWatchpoint(addr: bigint, len: number, owner = TriggerOwner.Recorded): boolean {
    const { lo, hi } = split(addr);
    const removed = this.debug.removeWatchpoint(lo, hi, len, owner);
    if (removed) this.mmu.flush();
    return removed;
  }

  /**
   * Runs at most one instruction with the debug triggers suspended (stepping over the one that stopped): all of
   * them, or only the breakpoints (stepping off a breakpoint, the instruction's access still meets the watchpoints).
   */
  stepOverTriggers(which: 'all' | 'breakpoints' = 'all'): Stop {
    const d = this.debug;
    d.breakpointsSuspended = true;
    d.watchpointsSuspended = which === 'all';
    try {
      return this.run(1);
    } finally {
      d.breakpointsSuspended = false;
      d.watchpointsSuspended = false;
    }
  }

  // ---- Checkpoints. ----

  /**
   * The hart's part of a checkpoint, taken between runs (no trap pending): registers, pc, privilege, counters,
   * hedeleg, CSRs, the MMU with its TLBs, and the recorded debug triggers. Translations are not state: they are
   * dropped on restore and made again from the restored memory.
   */
  saveState(): HartState {
    return {
      x: this.x.slice(), pcLo: this.pcLo, pcHi: this.pcHi, priv: this.priv, icount: this.icount, idleCycles: this.idleCycles,
      hedeleg: this.hedeleg, irqCheck: this.irqCheck, csr: this.csr.saveState(), mmu: this.mmu.saveState(), debug: this.debug.saveState(),
    };
  }

  restoreState(state: HartState): void {
    this.x.set(state.x);
    this.pcLo = state.pcLo;
    this.pcHi = state.pcHi;
    this.priv = state.priv;
    this.icount = state.icount;
    this.idleCycles = state.idleCycles;
    this.hedeleg = state.hedeleg;
    this.csr.restoreState(state.csr);
    // Translations first: dropping them touches the TLB's code marks, which the restored entries then replace.
    this.cache.clear();
    this.mmu.restoreState(state.mmu);
    this.debug.restoreState(state.debug);
    this.irqCheck = state.irqCheck;
    this.trapPending = false;
  }

  /** Moves the pages written since the last collection into every dirty tracker (see GuestRam.collectDirty). */
  collectDirtyPages(): void {
    this.mmu.markWritablePagesDirty();
    this.ram.collectDirty();
  }

  // ---- Accessors for the hypervisor layer, loaders and debuggers (not on the hot path). ----

  getReg(i: number): bigint {
    if (i === 0) return 0n;
    return toBigInt(this.x[2 * i], this.x[2 * i + 1]);
  }

  setReg(i: number, v: bigint): void {
    if (i === 0) return;
    this.x[2 * i] = Number(v & 0xffff_ffffn) | 0;
    this.x[2 * i + 1] = Number((v >> 32n) & 0xffff_ffffn) | 0;
  }

  get pc(): bigint {
    return toBigInt(this.pcLo, this.pcHi);
  }

  set pc(v: bigint) {
    this.pcLo = Number(v & 0xffff_ffffn) | 0;
    this.pcHi = Number((v >> 32n) & 0xffff_ffffn) | 0;
  }

  /** Advances the pc past the instruction at sepc (the hypervisor completed it) and counts it as retired. */
  completeInstruction(len: number): void {
    this.advance(0, this.pcLo, this.pcHi, len);
    this.icount++;
  }

  /** The current virtual time in timebase ticks. */
  get time(): number {
    return Math.floor((this.icount + this.idleCycles) / INSNS_PER_TIME_TICK);
  }
}

/** A 64-bit value from its halves; one BigInt operation when it fits in 32 bits (every exit builds several). */
function toBigInt(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function split(v: bigint): { lo: number; hi: number } {
  return { lo: Number(BigInt.asIntN(32, v)), hi: Number(BigInt.asIntN(32, v >> 32n)) };
}
