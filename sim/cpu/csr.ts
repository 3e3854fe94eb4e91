import { S } from './layout.js';

/**
 * The supervisor CSRs as a guest in VS-mode sees them (the hardware's vs* registers, which the guest addresses
 * with the ordinary S-mode numbers). 64-bit registers are kept in 32-bit halves.
 *
 * WARL behaviour follows QEMU where the spec leaves a choice, so differential tests against QEMU agree:
 * a stvec write with a reserved mode is ignored; a satp write with an unsupported mode is ignored.
 */
export const CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105, CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a;
export const CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142, CSR_STVAL = 0x143, CSR_SIP = 0x144;
export const CSR_SATP = 0x180;
/** Sstc's supervisor timer compare (the guest's vstimecmp): STIP is pending while time >= stimecmp. */
export const CSR_STIMECMP = 0x14d;
/** The F/D CSRs: fflags, frm and fcsr (both together). */
export const CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003;
export const CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02;
/** Zkr entropy source: emulated by userspace (KVM_EXIT_RISCV_CSR). */
export const CSR_SEED = 0x015;

export const SSTATUS_SIE = 1 << 1, SSTATUS_SPIE = 1 << 5, SSTATUS_SPP = 1 << 8;
export const SSTATUS_SUM = 1 << 18, SSTATUS_MXR = 1 << 19;
/** The FPU's state: Off (0; F/D instructions and CSRs are illegal), Initial (1), Clean (2), Dirty (3). */
export const SSTATUS_FS = 3 << 13, SSTATUS_FS_INITIAL = 1 << 13;
const SSTATUS_WRITABLE = SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR;
/** sstatus.UXL = 2 (64-bit U-mode), in the high word; SD (bit 63) summarises FS == Dirty. */
const SSTATUS_HI = 2;
const SSTATUS_SD_HI = 1 << 31;

export const SIP_SSIP = 1 << 1, SIP_STIP = 1 << 5, SIP_SEIP = 1 << 9;
const SIE_WRITABLE = SIP_SSIP | SIP_STIP | SIP_SEIP;
/** The guest may only set or clear its own software interrupt; timer and external come from the hypervisor. */
const SIP_WRITABLE = SIP_SSIP;
const SENVCFG_WRITABLE = 1; // FIOM

/** What a CSR write changed, so the hart can resynchronise the MMU and the interrupt logic. */
export const enum CsrEffect { None = 0, Mmu = 1, Irq = 2, Timer = 4, TlbSet = 8 }

/** The optional parts of the CSR file, from the machine's ISA string. */
export interface CsrFeatures {
  /** F and D: fflags, frm, fcsr and a writable sstatus.FS. */
  fpu: boolean;
  /** Sstc: stimecmp. */
  sstc: boolean;
}

/** Counter values at the instruction being executed, supplied by the hart. */
export interface CounterSource {
  cycle(): number;
  time(): number;
  instret(): number;
}

const w = (byteOffset: number): number => byteOffset >>> 2;

/**
 * The CSR file: the supervisor CSRs of the hart's flat state (cpu/layout.ts), seen as named fields. 64-bit registers
 * are read and written as 32-bit halves (xLo, xHi); sstatus's upper half holds UXL (fixed) and, later, SD.
 */
export class CsrFile {
  private readonly s: Int32Array;

  /** Result of the last read. */
  vlo = 0;
  vhi = 0;

  private readonly sstatusWritable: number;

  /**
   * `state` is an Int32Array over the machine's memory (word 0 = byte 0). With an FPU, sstatus.FS starts Initial,
   * as KVM starts a vCPU whose ISA has F or D (kvm_riscv_vcpu_fp_reset); without one it is Off and read-only.
   */
  constructor(state: Int32Array, readonly features: CsrFeatures = { fpu: true, sstc: true }) {
    this.s = state;
    state[w(S.SSTATUS) + 1] = SSTATUS_HI;
    this.sstatusWritable = SSTATUS_WRITABLE | (features.fpu ? SSTATUS_FS : 0);
    if (features.fpu) state[w(S.SSTATUS)] |= SSTATUS_FS_INITIAL;
    // No timer armed: KVM resets a vCPU's timer compare to all ones (kvm_riscv_vcpu_timer_reset).
    state[w(S.STIMECMP)] = -1;
    state[w(S.STIMECMP) + 1] = -1;
  }

  /** fcsr: fflags in bits 0..4, frm in bits 5..7. */
  get fcsr(): number { return this.s[w(S.FCSR)]; }
  set fcsr(v: number) { this.s[w(S.FCSR)] = v & 0xff; }

  get sstatus(): number { return this.s[w(S.SSTATUS)]; }
  set sstatus(v: number) { this.s[w(S.SSTATUS)] = v; }
  get sie(): number { return this.s[w(S.SIE)]; }
  set sie(v: number) { this.s[w(S.SIE)] = v; }
  get sip(): number { return this.s[w(S.SIP)]; }
  set sip(v: number) { this.s[w(S.SIP)] = v; }
  get stvecLo(): number { return this.s[w(S.STVEC)]; }
  set stvecLo(v: number) { this.s[w(S.STVEC)] = v; }
  get stvecHi(): number { return this.s[w(S.STVEC) + 1]; }
  set stvecHi(v: number) { this.s[w(S.STVEC) + 1] = v; }
  get sscratchLo(): number { return this.s[w(S.SSCRATCH)]; }
  set sscratchLo(v: number) { this.s[w(S.SSCRATCH)] = v; }
  get sscratchHi(): number { return this.s[w(S.SSCRATCH) + 1]; }
  set sscratchHi(v: number) { this.s[w(S.SSCRATCH) + 1] = v; }
  get sepcLo(): number { return this.s[w(S.SEPC)]; }
  set sepcLo(v: number) { this.s[w(S.SEPC)] = v; }
  get sepcHi(): number { return this.s[w(S.SEPC) + 1]; }
  set sepcHi(v: number) { this.s[w(S.SEPC) + 1] = v; }
  get scauseLo(): number { return this.s[w(S.SCAUSE)]; }
  set scauseLo(v: number) { this.s[w(S.SCAUSE)] = v; }
  get scauseHi(): number { return this.s[w(S.SCAUSE) + 1]; }
  set scauseHi(v: number) { this.s[w(S.SCAUSE) + 1] = v; }
  get stvalLo(): number { return this.s[w(S.STVAL)]; }
  set stvalLo(v: number) { this.s[w(S.STVAL)] = v; }
  get stvalHi(): number { return this.s[w(S.STVAL) + 1]; }
  set stvalHi(v: number) { this.s[w(S.STVAL) + 1] = v; }
  get satpLo(): number { return this.s[w(S.SATP)]; }
  set satpLo(v: number) { this.s[w(S.SATP)] = v; }
  get satpHi(): number { return this.s[w(S.SATP) + 1]; }
  set satpHi(v: number) { this.s[w(S.SATP) + 1] = v; }
  get scounteren(): number { return this.s[w(S.SCOUNTEREN)]; }
  set scounteren(v: number) { this.s[w(S.SCOUNTEREN)] = v; }
  get senvcfg(): number { return this.s[w(S.SENVCFG)]; }
  set senvcfg(v: number) { this.s[w(S.SENVCFG)] = v; }
  get stimecmpLo(): number { return this.s[w(S.STIMECMP)]; }
  set stimecmpLo(v: number) { this.s[w(S.STIMECMP)] = v; }
  get stimecmpHi(): number { return this.s[w(S.STIMECMP) + 1]; }
  set stimecmpHi(v: number) { this.s[w(S.STIMECMP) + 1] = v; }

  /** Whether the CSR exists and is visible at this privilege (0 = U, 1 = S); counters check scounteren. */
  accessible(num: number, priv: number): boolean {
    if ((num >>> 8 & 3) > priv) return false;
    switch (num) {
      case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
        return priv > 0 || ((this.scounteren >>> (num - CSR_CYCLE)) & 1) === 1;
      case CSR_SSTATUS: case CSR_SIE: case CSR_STVEC: case CSR_SCOUNTEREN: case CSR_SENVCFG:
      case CSR_SSCRATCH: case CSR_SEPC: case CSR_SCAUSE: case CSR_STVAL: case CSR_SIP: case CSR_SATP:
        return true;
      case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        return (this.sstatus & SSTATUS_FS) !== 0;
      case CSR_STIMECMP:
        // KVM sets henvcfg.STCE when the host has Sstc, so the guest reaches its vstimecmp without a trap.
        return this.features.sstc;
      default:
        return false;
    }
  }

  read(num: number, counters: CounterSource): void {
    let lo = 0, hi = 0;
    switch (num) {
      case CSR_SSTATUS:
        lo = this.sstatus;
        hi = SSTATUS_HI | ((lo & SSTATUS_FS) === SSTATUS_FS ? SSTATUS_SD_HI : 0);
        break;
      case CSR_FFLAGS: lo = this.fcsr & 0x1f; break;
      case CSR_FRM: lo = (this.fcsr >>> 5) & 7; break;
      case CSR_FCSR: lo = this.fcsr & 0xff; break;
      case CSR_SIE: lo = this.sie; break;
      case CSR_SIP: lo = this.sip; break;
      case CSR_STVEC: lo = this.stvecLo; hi = this.stvecHi; break;
      case CSR_SCOUNTEREN: lo = this.scounteren; break;
      case CSR_SENVCFG: lo = this.senvcfg; break;
      case CSR_SSCRATCH: lo = this.sscratchLo; hi = this.sscratchHi; break;
      case CSR_SEPC: lo = this.sepcLo; hi = this.sepcHi; break;
      case CSR_SCAUSE: lo = this.scauseLo; hi = this.scauseHi; break;
      case CSR_STVAL: lo = this.stvalLo; hi = this.stvalHi; break;
      case CSR_SATP: lo = this.satpLo; hi = this.satpHi; break;
      case CSR_STIMECMP: lo = this.stimecmpLo; hi = this.stimecmpHi; break;
      case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET: {
        const v = num === CSR_CYCLE ? counters.cycle() : num === CSR_TIME ? counters.time() : counters.instret();
        lo = v % 4294967296 | 0;
        hi = Math.floor(v / 4294967296) | 0;
        break;
      }
    }
    this.vlo = lo;
    this.vhi = hi;
  }

  /** Writes a CSR that is accessible and not read-only. */
  write(num: number, lo: number, hi: number): CsrEffect {
    switch (num) {
      case CSR_SSTATUS: {
        const old = this.sstatus;
        this.sstatus = (old & ~this.sstatusWritable) | (lo & this.sstatusWritable);
        // MXR changes what a cached entry allows: flush. SUM selects the TLB set that allows it (mmu.ts).
        const changed = old ^ this.sstatus;
        return (changed & SSTATUS_MXR ? CsrEffect.Mmu : CsrEffect.None) | (changed & SSTATUS_SUM ? CsrEffect.TlbSet : CsrEffect.None) | CsrEffect.Irq;
      }
      // Writing the FPU's CSRs changes its state: Dirty.
      case CSR_FFLAGS: this.fcsr = (this.fcsr & ~0x1f) | (lo & 0x1f); this.sstatus |= SSTATUS_FS; return CsrEffect.None;
      case CSR_FRM: this.fcsr = (this.fcsr & 0x1f) | ((lo & 7) << 5); this.sstatus |= SSTATUS_FS; return CsrEffect.None;
      case CSR_FCSR: this.fcsr = lo & 0xff; this.sstatus |= SSTATUS_FS; return CsrEffect.None;
      case CSR_SIE: this.sie = lo & SIE_WRITABLE; return CsrEffect.Irq;
      case CSR_SIP: this.sip = (this.sip & ~SIP_WRITABLE) | (lo & SIP_WRITABLE); return CsrEffect.Irq;
      case CSR_STVEC:
        if ((lo & 3) < 2) { this.stvecLo = lo; this.stvecHi = hi; }
        return CsrEffect.None;
      case CSR_SCOUNTEREN: this.scounteren = lo; return CsrEffect.None;
      case CSR_SENVCFG: this.senvcfg = lo & SENVCFG_WRITABLE; return CsrEffect.None;
      case CSR_SSCRATCH: this.sscratchLo = lo; this.sscratchHi = hi; return CsrEffect.None;
      case CSR_SEPC: this.sepcLo = lo & ~1; this.sepcHi = hi; return CsrEffect.None;
      case CSR_SCAUSE: this.scauseLo = lo; this.scauseHi = hi; return CsrEffect.None;
      case CSR_STVAL: this.stvalLo = lo; this.stvalHi = hi; return CsrEffect.None;
      case CSR_STIMECMP: this.stimecmpLo = lo; this.stimecmpHi = hi; return CsrEffect.Timer;
      case CSR_SATP: {
        const mode = hi >>> 28;
        if (mode !== 0 && mode !== 8 && mode !== 9) return CsrEffect.None;
        this.satpLo = lo;
        this.satpHi = hi;
        return CsrEffect.Mmu;
      }
      default:
        return CsrEffect.None;
    }
  }
}
