import { GuestRam } from '../memory.js';
import { INSNS_PER_TIME_TICK } from '../layout.js';
import { encodeRow, ROWS, type Extension } from '../isa/index.js';
import { CodeCache } from './code-cache.js';
import {
  CSR_SEED, CsrEffect, CsrFeatures, CsrFile, SIP_SEIP, SIP_SSIP, SIP_STIP, SSTATUS_MXR, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP,
  SSTATUS_SUM,
} from './csr.js';
import { FpuHost } from './fpu-host.js';
import { DebugStopKind, DebugTriggers, DebugTriggerState, TriggerOwner } from './debug.js';
import { RunStatus } from './interpreter.js';
import { BlockCompiler, Tier, TierOptions } from './jit.js';
import { BP_FILTER, BP_FILTER_BITS, S, STATE_SIZE, TLB_BASE } from './layout.js';
import { Mmu, TLB_BYTES } from './mmu.js';
import { Cause, DEBUG_TRIGGER_CAUSE, HEDELEG_DEFAULT, HypervisorTrap } from './trap.js';
import { instantiateInterpreter } from './tiers.js';

/** The hart in a checkpoint (see Hart.saveState): its flat state, its TLBs, the recorded debug triggers. */
export interface HartState {
  state: Uint8Array;
  tlb: Uint8Array;
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

/** Instructions one call into the tiers runs at most (see run). */
const RUN_SLICE = 1 << 20;

const TWO32 = 4294967296;
const w = (byteOffset: number): number => byteOffset >>> 2;

export type { Tier, TierOptions };

/** What the machine's ISA string gives the hart beyond RV64IMAC (see isaFeatures in machine.ts). */
export interface HartFeatures extends CsrFeatures {
  /** Extensions of the ISA table the hart lacks: their words are illegal instructions. */
  without: ReadonlySet<Extension>;
}

/** Every extension the table has. */
export const ALL_FEATURES: HartFeatures = { fpu: true, sstc: true, without: new Set() };

/** stimecmp values from here up never fire: no timer is armed (as SBI set_timer(-1) says). */
const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

/**
 * One RISC-V hart as a guest in VS/VU-mode sees it: RV64GC + Zihintpause, Zba, Zbb, Zbs and Sstc (or less, as its
 * ISA string says: see HartFeatures), Sv39/Sv48.
 *
 * Its state is a flat record in the machine's WebAssembly.Memory (layout.ts). Instructions run in two tiers built
 * from the one ISA table (sim/isa): a WebAssembly interpreter over decoded instructions, and blocks compiled to
 * WebAssembly once they are hot (jit.ts). This class is the host side: everything the tiers hand over (TLB misses,
 * MMIO, CSRs, traps, interrupts, debug triggers). Traps delegated to the guest (hedeleg, default
 * KVM_HEDELEG_DEFAULT; all VS interrupts) go to the guest's stvec; every other trap stops the hart and is handed to
 * its caller, the hypervisor layer, as a plain value. Guest time is virtual: instructions retired plus idle time
 * skipped by the hypervisor.
 */
export class Hart {
  readonly ram: GuestRam;
  /** x[i] is x[2i] (low 32 bits) and x[2i+1] (high 32 bits): a view of the flat state. x0 is never written. */
  readonly x: Int32Array;
  readonly csr: CsrFile;
  readonly mmu: Mmu;
  readonly code: CodeCache;
  /** Whether the hart has F and D (the ISA the machine was built with; journals from before F/D have not). */
  readonly hasFpu: boolean;
  private readonly fpu: FpuHost;
  /** The compiled tier (null when the hart only interprets). */
  readonly jit: BlockCompiler | null;
  /** The last trap that left the guest (valid after run() returned Stop.Trap). */
  readonly exit: HypervisorTrap = {
    scause: 0, sepcLo: 0, sepcHi: 0, stvalLo: 0, stvalHi: 0, htval: 0, htinst: 0, fromPriv: 0,
    debugKind: 0, debugAddrLo: 0, debugAddrHi: 0,
  };
  /** Breakpoints and watchpoints kept by the hypervisor. Change them through the hart's methods. */
  readonly debug = new DebugTriggers();

  /** The state's 32-bit words (word 0 = byte 0 of the machine's memory). */
  private readonly s: Int32Array;
  private readonly stateBytes: Uint8Array;
  private readonly stateView: DataView;
  private readonly tlbBytes: Uint8Array;
  private readonly runTier: () => number;
  /** run()'s single-step mode: a trap taken into the guest ends the run at its handler. */
  private stepEndsOnGuestTrap = false;
  private fruitlessTraps = 0;
  private lastTrapIcount = -1;
  private readonly counters = {
    hart: this as Hart,
    cycle(): number { return this.hart.icount + this.hart.idleCycles; },
    time(): number { return Math.floor(this.cycle() / INSNS_PER_TIME_TICK); },
    instret(): number { return this.hart.icount; },
  };

  constructor(ram: GuestRam, tier: TierOptions = {}, features: HartFeatures = ALL_FEATURES) {
    this.ram = ram;
    const buffer = ram.memory.buffer;
    this.s = new Int32Array(buffer, 0, STATE_SIZE >>> 2);
    this.stateBytes = new Uint8Array(buffer, 0, STATE_SIZE);
    this.stateView = new DataView(buffer, 0, STATE_SIZE);
    this.tlbBytes = new Uint8Array(buffer, TLB_BASE, TLB_BYTES);
    this.stateBytes.fill(0);
    this.x = new Int32Array(buffer, S.X, 64);
    this.hasFpu = features.fpu;
    this.csr = new CsrFile(this.s, features);
    this.fpu = new FpuHost(ram.memory);
    this.mmu = new Mmu(ram, this.s);
    this.mmu.debug = this.debug;
    this.code = new CodeCache(ram, this.mmu, features.without);
    this.priv = PRIV_S;
    this.hedeleg = HEDELEG_DEFAULT;
    this.syncMmu();
    const { run, table } = instantiateInterpreter(ram.memory, this);
    this.runTier = run;
    this.jit = BlockCompiler.create(tier, ram, this.code, table, this);
    this.s[w(S.HOT_THRESHOLD)] = this.jit === null ? 0 : this.jit.threshold;
  }

  // ---- The flat state, as fields. ----

  get pcLo(): number { return this.s[w(S.PC)]; }
  set pcLo(v: number) { this.s[w(S.PC)] = v; }
  get pcHi(): number { return this.s[w(S.PC) + 1]; }
  set pcHi(v: number) { this.s[w(S.PC) + 1] = v; }

  /** Instructions retired (exact; a JS number is exact up to 2^53). */
  get icount(): number { return this.wide(S.ICOUNT); }
  set icount(v: number) { this.setWide(S.ICOUNT, v); }

  /** Virtual cycles skipped while idle (WFI); cycle = icount + idleCycles. */
  get idleCycles(): number { return this.wide(S.IDLE); }
  set idleCycles(v: number) { this.setWide(S.IDLE, v); }

  get priv(): number { return this.s[w(S.PRIV)]; }
  set priv(p: number) { this.s[w(S.PRIV)] = p; }

  /** Exceptions that go straight to the guest (bit per cause). */
  get hedeleg(): number { return this.s[w(S.HEDELEG)]; }
  set hedeleg(v: number) { this.s[w(S.HEDELEG)] = v; }

  private get irqCheck(): boolean { return this.s[w(S.IRQ_CHECK)] !== 0; }
  private set irqCheck(v: boolean) { this.s[w(S.IRQ_CHECK)] = v ? 1 : 0; }

  private wide(offset: number): number {
    return (this.s[w(offset)] >>> 0) + this.s[w(offset) + 1] * TWO32;
  }

  private setWide(offset: number, v: number): void {
    this.s[w(offset)] = v % TWO32 | 0;
    this.s[w(offset) + 1] = Math.floor(v / TWO32) | 0;
  }

  /** Instructions retired in compiled code so far, and calls into it. */
  get compiledStats(): { insns: number; calls: number } {
    const s = this.s;
    return {
      insns: (s[w(S.COMPILED_INSNS)] >>> 0) + s[w(S.COMPILED_INSNS) + 1] * TWO32,
      calls: (s[w(S.REGION_CALLS)] >>> 0) + s[w(S.REGION_CALLS) + 1] * TWO32,
    };
  }

  // ---- Running. ----

  /**
   * Runs until `budget` instructions have retired or a trap leaves the guest, whichever is first.
   * With `stopAfterGuestTrap` (single-stepping), a trap taken into the guest also ends the run, at its handler.
   */
  run(budget: number, stopAfterGuestTrap = false): Stop {
    const target = this.icount + budget;
    this.stepEndsOnGuestTrap = stopAfterGuestTrap;
    this.fruitlessTraps = 0;
    this.lastTrapIcount = -1;
    for (;;) {
      // In slices: V8 runs a WebAssembly call to its end in the code it started with (there is no on-stack
      // replacement), so the interpreter and compiled pages pick up their optimized code only at the next call.
      // A slice also ends where virtual time reaches stimecmp, so that STIP rises before the next instruction.
      const icount = this.icount;
      const timer = this.timerDeadlineIcount();
      if (timer <= icount) this.syncTimer(); // (STIP may have risen at the end of the last slice)
      this.setWide(S.TARGET, Math.min(target, icount + RUN_SLICE, timer > icount ? timer : Infinity));
      this.jit?.beforeRun(icount);
      const status = this.runTier();
      switch (status) {
        case RunStatus.Budget:
          if (this.icount < target) continue;
          return Stop.Budget;
        case RunStatus.GuestTrapEndsStep: return Stop.Budget;
        case RunStatus.Trap: return Stop.Trap;
        default: return Stop.Stalled;
      }
    }
  }

  // ---- The timer (Sstc's comparator; SBI set_timer writes the same register, as KVM does on an Sstc host). ----

  /** stimecmp in timebase ticks; Infinity when no timer is armed. */
  get timerDeadline(): number {
    const c = this.csr;
    const v = (c.stimecmpLo >>> 0) + (c.stimecmpHi >>> 0) * TWO32;
    return v >= NO_DEADLINE ? Infinity : v;
  }

  /** Arms the timer (SBI set_timer): STIP falls, and rises again when virtual time reaches `ticks`. */
  setTimerDeadline(ticks: bigint): void {
    const { lo, hi } = split(BigInt.asUintN(64, ticks));
    this.csr.stimecmpLo = lo;
    this.csr.stimecmpHi = hi;
    this.timerWritten();
  }

  /** The instruction count at which virtual time reaches the deadline (cycle = icount + idle cycles). */
  timerDeadlineIcount(): number {
    const deadline = this.timerDeadline;
    return deadline === Infinity ? Infinity : deadline * INSNS_PER_TIME_TICK - this.idleCycles;
  }

  /** The comparator: STIP rises once time >= stimecmp (only a new stimecmp lowers it). */
  syncTimer(): void {
    if ((this.csr.sip & SIP_STIP) === 0 && this.timerDeadlineIcount() <= this.icount) this.setInterruptPending(SIP_STIP, true);
  }

  /** stimecmp changed: STIP follows the comparison at once, and the current run stops where the deadline falls. */
  private timerWritten(): void {
    this.setInterruptPending(SIP_STIP, false);
    const at = this.timerDeadlineIcount();
    if (at <= this.icount) this.setInterruptPending(SIP_STIP, true);
    else if (at < this.wide(S.TARGET)) this.setWide(S.TARGET, at);
  }

  // ---- What the tiers hand over (their imports). ----

  /** Fetch translation that missed the TLB: the RAM offset, or -1 with the fault pending. */
  hostFetch(pcLo: number, pcHi: number): number {
    const off = this.mmu.fetch(pcLo, pcHi);
    if (off < 0) this.pendMmuFault(0);
    return off;
  }

  hostLoad(lo: number, hi: number, f3: number, htinst: number): number {
    if (!this.mmu.load(lo, hi, f3)) {
      this.pendMmuFault(htinst);
      return 1;
    }
    this.s[w(S.SCRATCH)] = this.mmu.vlo;
    this.s[w(S.SCRATCH) + 1] = this.mmu.vhi;
    return 0;
  }

  hostStore(lo: number, hi: number, log2: number, vlo: number, vhi: number, htinst: number): number {
    const r = this.mmu.store(lo, hi, log2, vlo, vhi);
    if (r === 1) this.pendMmuFault(htinst);
    return r;
  }

  /** f0..f31 (raw 64-bit patterns) and fcsr, as bytes (a copy): for digests and dumps. */
  fpuState(): Uint8Array {
    const out = new Uint8Array(32 * 8 + 4);
    out.set(this.stateBytes.subarray(S.F, S.F + 32 * 8), 0);
    out.set(this.stateBytes.subarray(S.FCSR, S.FCSR + 4), 32 * 8);
    return out;
  }

  /** f[i] as a 64-bit pattern. */
  getFreg(i: number): bigint {
    return this.stateView.getBigUint64(S.F + i * 8, true);
  }

  setFreg(i: number, value: bigint): void {
    this.stateView.setBigUint64(S.F + i * 8, BigInt.asUintN(64, value), true);
  }

  /** The F/D slow path (fpu-host.ts). */
  hostFp(row: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number, xlo: number, xhi: number): number {
    return this.fpu.exec(row, rd, rs1, rs2, rs3, rm, xlo, xhi);
  }

  /** LR (funct5 2), SC (3) or an AMO; f3 is 2 (word) or 3 (doubleword). The result for rd goes to the scratch. */
  hostAtomic(lo: number, hi: number, f3: number, funct5: number, vlo: number, vhi: number): number {
    const m = this.mmu;
    let r: number;
    if (funct5 === 0x02) r = m.loadReserved(lo, hi, f3) ? 0 : 1;
    else if (funct5 === 0x03) r = m.storeConditional(lo, hi, f3, vlo, vhi);
    else r = m.amo(lo, hi, f3, funct5, vlo, vhi);
    if (r === 1) {
      this.pendMmuFault(0);
      return 1;
    }
    this.s[w(S.SCRATCH)] = m.vlo;
    this.s[w(S.SCRATCH) + 1] = m.vhi;
    return r;
  }

  /** A host-side instruction: 0 done (the tier advances the pc), 1 trap pending, 2 done with the pc set here. */
  hostInsn(rowId: number, rd: number, rs1: number, rs2: number, imm: number, len: number): number {
    const row = ROWS[rowId];
    switch (row.name) {
      case 'ecall': return this.pend(this.priv === PRIV_U ? Cause.EcallU : Cause.EcallVS, 0, 0);
      case 'ebreak': return this.pend(Cause.Breakpoint, 0, 0); // stval = 0, as QEMU reports it
      case 'sret': return this.sret(rowId);
      case 'wfi':
        if (this.priv === PRIV_U) return this.illegalRow(rowId, rd, rs1, rs2, imm);
        // hstatus.VTW = 1, as KVM sets it: WFI in VS-mode traps to the hypervisor.
        this.pend(Cause.VirtualInst, encodeRow(row, { rd, rs1, rs2, imm }), 0);
        this.s[w(S.TRAP_HTINST)] = encodeRow(row, { rd, rs1, rs2, imm });
        return 1;
      case 'sfence.vma':
        if (this.priv === PRIV_U) return this.illegalRow(rowId, rd, rs1, rs2, imm);
        // rs1 names one virtual address: only its page goes (for any ASID: there are no ASIDs in the TLBs).
        if (rs1 === 0) this.mmu.flush(); else this.mmu.flushPage(this.x[2 * rs1], this.x[2 * rs1 + 1]);
        return 0;
      default:
        if (row.format === 'CSR' || row.format === 'CSRI') return this.csrInsn(rowId, rd, rs1, imm);
        throw new Error(`no host work for ${row.name} (len ${len})`);
    }
  }

  /** Delivers the pending trap: 0 when it went into the guest's handler (go on), else the RunStatus to return. */
  hostTrap(): number {
    const icount = this.icount;
    if (icount !== this.lastTrapIcount) {
      this.fruitlessTraps = 0;
      this.lastTrapIcount = icount;
    }
    const cause = this.s[w(S.TRAP_CAUSE)];
    const tvalLo = this.s[w(S.TRAP_TVAL)], tvalHi = this.s[w(S.TRAP_TVAL) + 1];
    if (this.deliverTrap()) return RunStatus.Trap;
    if (this.stepEndsOnGuestTrap) return RunStatus.GuestTrapEndsStep;
    if (++this.fruitlessTraps >= STALL_LIMIT) {
      this.recordStall(cause, tvalLo, tvalHi);
      return RunStatus.Stalled;
    }
    return 0;
  }

  /** An address breakpoint at the pc stops the hart (1), unless breakpoints are being stepped over (0). */
  hostBreakpoint(pcLo: number, pcHi: number): number {
    const d = this.debug;
    if (!d.hasBreakpoints || d.breakpointsSuspended || !d.hasBreakpoint(pcLo, pcHi)) return 0;
    this.pend(DEBUG_TRIGGER_CAUSE, pcLo, pcHi);
    d.hitKind = DebugStopKind.AddressBreakpoint;
    d.hitOwners = d.breakpointOwners(pcLo, pcHi);
    this.deliverTrap();
    return 1;
  }

  /** Whether compiled code may run in the pc's page: no address breakpoint lies in it. */
  hostPageClear(pcLo: number, pcHi: number): number {
    return this.debug.anyBreakpointIn(pcLo & ~0xfff, pcHi, 0, 0x1000) ? 0 : 1;
  }

  hostDecode(ramOff: number, pcLo: number, pcHi: number): number {
    const ent = this.code.decodeAt(ramOff, pcLo, pcHi);
    if (ent < 0) this.pendMmuFault(0);
    return ent;
  }

  hostIrq(): void {
    this.takeInterrupt();
  }

  // ---- Traps. ----

  /** Handles the pending trap: into the guest (returns false) or out to the hypervisor (returns true). */
  private deliverTrap(): boolean {
    const s = this.s;
    s[w(S.TRAP_PENDING)] = 0;
    const cause = s[w(S.TRAP_CAUSE)];
    const tvalLo = s[w(S.TRAP_TVAL)], tvalHi = s[w(S.TRAP_TVAL) + 1];
    // Any trap ends an LR/SC sequence (QEMU clears the reservation on every trap, to the guest or the hypervisor).
    // A stop for the hypervisor's own debug triggers is not a guest trap: stopping there must not change what the
    // guest does next, or a breakpoint set only while replaying would alter the run.
    if (cause !== DEBUG_TRIGGER_CAUSE) this.mmu.resValid = false;
    if (cause < 32 && ((this.hedeleg >>> cause) & 1) === 1) {
      this.enterGuestTrap(cause, false, tvalLo, tvalHi);
      return false;
    }
    const e = this.exit;
    e.scause = cause;
    e.sepcLo = this.pcLo;
    e.sepcHi = this.pcHi;
    e.stvalLo = tvalLo;
    e.stvalHi = tvalHi;
    const guestPageFault = cause === Cause.LoadGuestPageFault || cause === Cause.StoreGuestPageFault || cause === Cause.InstGuestPageFault;
    const gpa = (s[w(S.TRAP_GPA)] >>> 0) + s[w(S.TRAP_GPA) + 1] * TWO32;
    e.htval = guestPageFault ? Math.floor(gpa / 4) : 0;
    e.htinst = guestPageFault || cause === Cause.VirtualInst ? s[w(S.TRAP_HTINST)] : 0;
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
    let st = c.sstatus & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    if (this.priv === PRIV_S) st |= SSTATUS_SPP;
    if (c.sstatus & SSTATUS_SIE) st |= SSTATUS_SPIE;
    c.sstatus = st;
    const base = c.stvecLo & ~3;
    const vectored = (c.stvecLo & 3) === 1 && interrupt;
    const lo = vectored ? (base + 4 * cause) | 0 : base;
    this.pcLo = lo;
    this.pcHi = c.stvecHi + (vectored && ((lo >>> 0) < (base >>> 0)) ? 1 : 0);
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

  /** Recomputes whether an interrupt may be taken before the next instruction. */
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
    this.setMmuContext();
    this.mmu.flush();
  }

  private setMmuContext(): void {
    const m = this.mmu;
    m.priv = this.priv;
    m.sum = (this.csr.sstatus & SSTATUS_SUM) !== 0;
    m.mxr = (this.csr.sstatus & SSTATUS_MXR) !== 0;
    m.satpMode = this.csr.satpHi >>> 28;
    m.rootPpn = (this.csr.satpLo >>> 0) + (this.csr.satpHi & 0xfff) * TWO32;
  }

  // ---- Host-side instructions and their traps. ----

  private pend(cause: number, tvalLo: number, tvalHi: number): number {
    const s = this.s;
    s[w(S.TRAP_PENDING)] = 1;
    s[w(S.TRAP_CAUSE)] = cause;
    s[w(S.TRAP_TVAL)] = tvalLo;
    s[w(S.TRAP_TVAL) + 1] = tvalHi;
    s[w(S.TRAP_GPA)] = 0;
    s[w(S.TRAP_GPA) + 1] = 0;
    s[w(S.TRAP_HTINST)] = 0;
    return 1;
  }

  private pendMmuFault(htinst: number): void {
    const f = this.mmu.fault;
    this.pend(f.cause, f.tvalLo, f.tvalHi);
    this.setWide(S.TRAP_GPA, f.gpa);
    this.s[w(S.TRAP_HTINST)] = htinst;
  }

  private illegalRow(rowId: number, rd: number, rs1: number, rs2: number, imm: number): number {
    return this.pend(Cause.IllegalInst, encodeRow(ROWS[rowId], { rd, rs1, rs2, imm }), 0);
  }

  private sret(rowId: number): number {
    if (this.priv === PRIV_U) return this.illegalRow(rowId, 0, 0, 0, 0);
    const c = this.csr;
    this.pcLo = c.sepcLo;
    this.pcHi = c.sepcHi;
    const prev = c.sstatus & SSTATUS_SPP ? PRIV_S : PRIV_U;
    let st = c.sstatus & ~(SSTATUS_SIE | SSTATUS_SPP);
    if (c.sstatus & SSTATUS_SPIE) st |= SSTATUS_SIE;
    c.sstatus = st | SSTATUS_SPIE;
    this.setPriv(prev);
    this.updateIrq();
    return 2;
  }

  private csrInsn(rowId: number, rd: number, rs1: number, num: number): number {
    const row = ROWS[rowId];
    const f3 = (row.match >>> 12) & 7, c = this.csr;
    // The instruction's bits (for a trap's stval or htinst), built only when it traps: CSR instructions are frequent
    // in a kernel (every trap entry and exit, every user copy's SUM toggle).
    if (num === CSR_SEED) {
      // Zkr's seed has no in-kernel model: a virtual-instruction trap, which KVM turns into KVM_EXIT_RISCV_CSR.
      const bits = encodeRow(row, { rd, rs1, imm: num });
      this.pend(Cause.VirtualInst, bits, 0);
      this.s[w(S.TRAP_HTINST)] = bits;
      return 1;
    }
    const immForm = f3 >= 5;
    const writes = (f3 & 3) === 1 || rs1 !== 0;
    const reads = (f3 & 3) !== 1 || rd !== 0;
    if (!c.accessible(num, this.priv) || (writes && (num >>> 10) === 3)) return this.pend(Cause.IllegalInst, encodeRow(row, { rd, rs1, imm: num }), 0);
    const srcLo = immForm ? rs1 : this.x[2 * rs1];
    const srcHi = immForm ? 0 : this.x[2 * rs1 + 1];
    let oldLo = 0, oldHi = 0;
    if (reads) {
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
      if (effect & CsrEffect.TlbSet) this.mmu.sum = (c.sstatus & SSTATUS_SUM) !== 0;
      if (effect & CsrEffect.Irq) this.updateIrq();
      if (effect & CsrEffect.Timer) this.timerWritten();
    }
    if (rd !== 0) {
      this.x[2 * rd] = oldLo;
      this.x[2 * rd + 1] = oldHi;
    }
    return 0;
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
    this.debug.addBreakpoint(lo, hi, owner);
    this.syncBreakpointFlag();
  }

  removeBreakpoint(pc: bigint, owner = TriggerOwner.Recorded): boolean {
    const { lo, hi } = split(pc);
    const removed = this.debug.removeBreakpoint(lo, hi, owner);
    this.syncBreakpointFlag();
    return removed;
  }

  /** The BREAKPOINTS flag and the breakpoint filter the interpreter tests (layout.ts, BP_FILTER). */
  private syncBreakpointFlag(): void {
    this.s[w(S.BREAKPOINTS)] = this.debug.hasBreakpoints ? 1 : 0;
    const filter = new Uint8Array(this.ram.memory.buffer, BP_FILTER, BP_FILTER_BITS >>> 3);
    filter.fill(0);
    const list = this.debug.breakpointList();
    for (let i = 0; i < list.length; i += 2) {
      const bit = (list[i] >>> 1) & (BP_FILTER_BITS - 1);
      filter[bit >>> 3] |= 1 << (bit & 7);
    }
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
   * The hart's part of a checkpoint, taken between runs (no trap pending): its flat state (registers, pc,
   * privilege, counters, hedeleg, CSRs, the LR reservation), its TLBs, and the recorded debug triggers. Decoded
   * and compiled code is not state: it is dropped on restore and made again from the restored memory.
   */
  saveState(): HartState {
    return { state: this.stateBytes.slice(), tlb: this.tlbBytes.slice(), debug: this.debug.saveState() };
  }

  restoreState(state: HartState): void {
    // Decoded code first: dropping it touches the TLB's code marks, which the restored entries then replace.
    this.code.clear();
    const tiering = this.s[w(S.HOT_THRESHOLD)];
    this.stateBytes.set(state.state);
    this.tlbBytes.set(state.tlb);
    // Stores from here on must log their pages whatever the checkpoint's entries say.
    this.mmu.rearmDirtyLog();
    this.s[w(S.HOT_THRESHOLD)] = tiering;
    // No page holds decoded code now: stores may take the inline path everywhere again.
    this.mmu.clearCodeMarks();
    this.setMmuContext();
    this.debug.restoreState(state.debug);
    this.syncBreakpointFlag();
    this.s[w(S.TRAP_PENDING)] = 0;
  }

  /** Moves the pages written since the last collection into every dirty tracker (see GuestRam.collectDirty). */
  collectDirtyPages(): void {
    this.ram.collectDirty();
    this.mmu.rearmDirtyLog();
  }

  /** Someone outside the guest wrote RAM (a debugger, a DMA, a journal input): drop code it overwrote. */
  codeWritten(ramOff: number, len: number): void {
    this.code.codeWritten(ramOff, len);
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
    const lo = (this.pcLo + len) | 0;
    this.pcHi = (this.pcHi + ((lo >>> 0) < (this.pcLo >>> 0) ? 1 : 0)) | 0;
    this.pcLo = lo;
    this.icount = this.icount + 1;
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
