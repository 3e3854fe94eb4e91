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
export const CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02;
/** Zkr entropy source: emulated by userspace (KVM_EXIT_RISCV_CSR). */
export const CSR_SEED = 0x015;

export const SSTATUS_SIE = 1 << 1, SSTATUS_SPIE = 1 << 5, SSTATUS_SPP = 1 << 8;
export const SSTATUS_SUM = 1 << 18, SSTATUS_MXR = 1 << 19;
const SSTATUS_WRITABLE = SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR;
/** sstatus.UXL = 2 (64-bit U-mode), in the high word. */
const SSTATUS_HI = 2;

export const SIP_SSIP = 1 << 1, SIP_STIP = 1 << 5, SIP_SEIP = 1 << 9;
const SIE_WRITABLE = SIP_SSIP | SIP_STIP | SIP_SEIP;
/** The guest may only set or clear its own software interrupt; timer and external come from the hypervisor. */
const SIP_WRITABLE = SIP_SSIP;
const SENVCFG_WRITABLE = 1; // FIOM

/** What a CSR write changed, so the hart can resynchronise the MMU and the interrupt logic. */
export const enum CsrEffect { None = 0, Mmu = 1, Irq = 2 }

/** Counter values at the instruction being executed, supplied by the hart. */
export interface CounterSource {
  cycle(): number;
  time(): number;
  instret(): number;
}

const CSR_STATE_FIELDS = [
  'sstatus', 'sie', 'sip', 'stvecLo', 'stvecHi', 'sscratchLo', 'sscratchHi', 'sepcLo', 'sepcHi', 'scauseLo', 'scauseHi',
  'stvalLo', 'stvalHi', 'satpLo', 'satpHi', 'scounteren', 'senvcfg',
] as const;

export class CsrFile {
  sstatus = 0;
  sie = 0;
  sip = 0;
  stvecLo = 0; stvecHi = 0;
  sscratchLo = 0; sscratchHi = 0;
  sepcLo = 0; sepcHi = 0;
  scauseLo = 0; scauseHi = 0;
  stvalLo = 0; stvalHi = 0;
  satpLo = 0; satpHi = 0;
  scounteren = 0;
  senvcfg = 0;

  /** Result of the last read. */
  vlo = 0;
  vhi = 0;

  /** The CSR file's part of a checkpoint, in the order of CSR_STATE_FIELDS. */
  saveState(): Int32Array {
    const self = this as unknown as Record<string, number>;
    return Int32Array.from(CSR_STATE_FIELDS, (f) => self[f]);
  }

  restoreState(state: Int32Array): void {
    const self = this as unknown as Record<string, number>;
    CSR_STATE_FIELDS.forEach((f, i) => { self[f] = state[i]; });
  }

  /** Whether the CSR exists and is visible at this privilege (0 = U, 1 = S); counters check scounteren. */
  accessible(num: number, priv: number): boolean {
    if ((num >>> 8 & 3) > priv) return false;
    switch (num) {
      case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
        return priv > 0 || ((this.scounteren >>> (num - CSR_CYCLE)) & 1) === 1;
      case CSR_SSTATUS: case CSR_SIE: case CSR_STVEC: case CSR_SCOUNTEREN: case CSR_SENVCFG:
      case CSR_SSCRATCH: case CSR_SEPC: case CSR_SCAUSE: case CSR_STVAL: case CSR_SIP: case CSR_SATP:
        return true;
      default:
        return false;
    }
  }

  read(num: number, counters: CounterSource): void {
    let lo = 0, hi = 0;
    switch (num) {
      case CSR_SSTATUS: lo = this.sstatus; hi = SSTATUS_HI; break;
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
        this.sstatus = (old & ~SSTATUS_WRITABLE) | (lo & SSTATUS_WRITABLE);
        const mmuBits = SSTATUS_SUM | SSTATUS_MXR;
        return ((old ^ this.sstatus) & mmuBits ? CsrEffect.Mmu : CsrEffect.None) | CsrEffect.Irq;
      }
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
