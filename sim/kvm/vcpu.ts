import { Hart, PRIV_S, Stop } from '../cpu/hart.js';
import { SIP_SSIP, SIP_STIP } from '../cpu/csr.js';
import { Cause, HypervisorTrap } from '../cpu/trap.js';
import { SimError } from '../errors.js';
import { INSNS_PER_TIME_TICK } from '../layout.js';
import {
  KVM_INTERNAL_ERROR_EMULATION, KVM_INTERNAL_ERROR_UNHANDLED_TRAP, KVM_SYSTEM_EVENT_RESET, KVM_SYSTEM_EVENT_SHUTDOWN,
  VcpuExit,
} from './exits.js';
import { decodeMmioInsn, MmioAccess, mmioLoadValue, transformFromBits } from './mmio.js';
import * as sbi from './sbi.js';

/** Userspace's answer to the exit it was given (the fields of struct kvm_run it fills in before the next KVM_RUN). */
export type ExitAnswer =
  | { seq: number; reason: 'MMIO'; data?: Uint8Array }
  | { seq: number; reason: 'RISCV_SBI'; ret: [bigint, bigint] };

/** Default instruction budget of one run() call when the caller gives none. */
const DEFAULT_RUN_BUDGET = 1_000_000_000;

interface PendingExit {
  exit: VcpuExit;
  /** For MMIO loads: how to complete the instruction. */
  access?: MmioAccess;
  legacySbi?: boolean;
}

/**
 * The vCPU: the hypervisor layer around the hart, after arch/riscv/kvm/vcpu_exit.c and friends. run() re-enters
 * the guest until something needs userspace, handling in the "kernel" what KVM handles there: SBI base/time/IPI/
 * RFENCE/HSM, trap redirection, WFI. Everything else comes back as one VcpuExit, which userspace answers (answer())
 * before the next run(), as it fills struct kvm_run before the next KVM_RUN ioctl.
 */
export class Vcpu {
  readonly hart: Hart;
  private seq = 0;
  private pending: PendingExit | null = null;
  /** SBI set_timer deadline in timebase ticks; Infinity when none. */
  private timerDeadline = Infinity;

  constructor(hart: Hart) {
    this.hart = hart;
  }

  /** Runs the guest until an exit that needs userspace, or until `budget` instructions have retired. */
  run(budget = DEFAULT_RUN_BUDGET): VcpuExit {
    if (this.pending !== null && this.pending.exit.reason !== 'INTR' && this.pending.exit.reason !== 'SYSTEM_EVENT') {
      throw new SimError('VCPU_BAD_STATE', `exit ${this.pending.exit.seq} (${this.pending.exit.reason}) has not been answered`);
    }
    this.pending = null;
    const h = this.hart;
    const target = h.icount + budget;
    for (;;) {
      this.updateTimer();
      let slice = target - h.icount;
      if (slice <= 0) return this.makeExit({ reason: 'INTR', cause: 'budget' });
      const deadline = this.timerDeadlineIcount();
      if (deadline > h.icount && deadline - h.icount < slice) slice = deadline - h.icount;
      if (h.run(slice) === Stop.Budget) continue;
      const exit = this.handleTrap(h.exit);
      if (exit !== null) return exit;
    }
  }

  /** Completes the exit that run() returned, as kvm_riscv_vcpu_mmio_return / kvm_riscv_vcpu_sbi_return do. */
  answer(answer: ExitAnswer): void {
    const p = this.pending;
    if (p === null) throw new SimError('VCPU_BAD_STATE', `answer for exit ${answer.seq}, but no exit is waiting`);
    if (answer.seq !== p.exit.seq) throw new SimError('VCPU_BAD_STATE', `answer for exit ${answer.seq}, but exit ${p.exit.seq} is waiting`);
    if (answer.reason !== p.exit.reason) {
      throw new SimError('VCPU_BAD_STATE', `answer of kind ${answer.reason} for a ${p.exit.reason} exit (seq ${p.exit.seq})`);
    }
    const h = this.hart;
    if (answer.reason === 'MMIO') {
      const access = p.access!;
      if (!access.isWrite) {
        const data = answer.data;
        if (data === undefined || data.length < access.len) {
          throw new SimError('VCPU_BAD_STATE', `MMIO read answer for exit ${answer.seq} needs ${access.len} data bytes`);
        }
        const v = mmioLoadValue(access, data);
        if (access.reg !== 0) {
          h.x[2 * access.reg] = v.lo;
          h.x[2 * access.reg + 1] = v.hi;
        }
      }
      h.completeInstruction(access.insnLen);
    } else {
      this.sbiReturn(answer.ret[0], answer.ret[1], p.legacySbi === true);
    }
    this.pending = null;
  }

  /** The exit waiting for an answer, if any. */
  get waiting(): VcpuExit | null {
    return this.pending === null ? null : this.pending.exit;
  }

  private makeExit(body: DistributiveOmit<VcpuExit, 'seq' | 'icount' | 'pc'>, extra: Omit<PendingExit, 'exit'> = {}): VcpuExit {
    const exit = { seq: this.seq++, icount: this.hart.icount, pc: this.hart.pc, ...body } as VcpuExit;
    this.pending = { exit, ...extra };
    return exit;
  }

  /** kvm_riscv_vcpu_exit: what to do with a trap that left the guest. Returns an exit, or null to re-enter. */
  private handleTrap(trap: HypervisorTrap): VcpuExit | null {
    const h = this.hart;
    switch (trap.scause) {
      case Cause.EcallVS:
        return this.sbiCall();
      case Cause.LoadGuestPageFault:
      case Cause.StoreGuestPageFault:
        return this.mmio(trap);
      case Cause.VirtualInst:
        // The only virtual-instruction trap the hart raises is WFI (hstatus.VTW = 1).
        return this.wfi();
      case Cause.IllegalInst:
      case Cause.LoadMisaligned:
      case Cause.StoreMisaligned:
      case Cause.InstAccess:
      case Cause.LoadAccess:
      case Cause.StoreAccess:
        if (trap.fromPriv === PRIV_S || trap.fromPriv === 0) {
          h.redirectTrap(trap);
          return null;
        }
        break;
    }
    return this.makeExit({
      reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_UNHANDLED_TRAP,
      message: `unhandled trap scause=${trap.scause}`, ...trapFields(trap),
    });
  }

  private mmio(trap: HypervisorTrap): VcpuExit {
    const h = this.hart;
    const htinst = trap.htinst !== 0 ? trap.htinst : this.readTrappingInsn();
    const access = decodeMmioInsn(htinst);
    const gpa = trap.htval * 4 + (trap.stvalLo & 3);
    if (access === null || gpa % access.len !== 0) {
      return this.makeExit({
        reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_EMULATION,
        message: access === null ? `cannot emulate the MMIO access at 0x${gpa.toString(16)}: not a plain load or store`
          : `misaligned ${access.len}-byte MMIO access at 0x${gpa.toString(16)}`,
        ...trapFields(trap),
      });
    }
    const data = new Uint8Array(access.len);
    if (access.isWrite) {
      const lo = h.x[2 * access.reg], hi = h.x[2 * access.reg + 1];
      for (let i = 0; i < access.len; i++) data[i] = (i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4))) & 0xff;
    }
    return this.makeExit({ reason: 'MMIO', physAddr: gpa, len: access.len, isWrite: access.isWrite, data }, { access });
  }

  /** The instruction at sepc, for traps without htinst (the kernel reads it with kvm_riscv_vcpu_unpriv_read). */
  private readTrappingInsn(): number {
    const ramOff = this.hart.mmu.fetch(this.hart.pcLo, this.hart.pcHi);
    if (ramOff < 0 || ramOff + 4 > this.hart.ram.size) return 0;
    return transformFromBits(this.hart.ram.view.getUint32(ramOff, true));
  }

  private sbiCall(): VcpuExit | null {
    const h = this.hart;
    const eid = h.x[2 * 17] >>> 0, fid = h.x[2 * 16] >>> 0;
    const arg = (i: number): bigint => h.getReg(10 + i);
    if (sbi.forwardedToUserspace(eid)) {
      const args = [0, 1, 2, 3, 4, 5].map(arg);
      return this.makeExit({ reason: 'RISCV_SBI', extensionId: eid, functionId: fid, args }, { legacySbi: sbi.isLegacy(eid) });
    }
    const ok = (value: bigint | number = 0n) => this.sbiReturn(BigInt(sbi.SBI_SUCCESS), BigInt(value), false);
    const err = (code: number) => this.sbiReturn(BigInt(code), 0n, false);
    switch (eid) {
      case sbi.SBI_EXT_0_1_SET_TIMER:
        this.setTimer(arg(0));
        this.sbiReturn(0n, 0n, true);
        return null;
      case sbi.SBI_EXT_0_1_CLEAR_IPI:
        h.setInterruptPending(SIP_SSIP, false);
        this.sbiReturn(0n, 0n, true);
        return null;
      case sbi.SBI_EXT_0_1_SEND_IPI:
      case sbi.SBI_EXT_0_1_REMOTE_FENCE_I:
      case sbi.SBI_EXT_0_1_REMOTE_SFENCE_VMA:
      case sbi.SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID:
        if (eid === sbi.SBI_EXT_0_1_SEND_IPI) h.setInterruptPending(SIP_SSIP, true);
        else h.mmu.flush();
        this.sbiReturn(0n, 0n, true);
        return null;
      case sbi.SBI_EXT_0_1_SHUTDOWN:
        return this.systemEvent(BigInt(sbi.SRST_TYPE_SHUTDOWN), 0n);
      case sbi.SBI_EXT_BASE:
        switch (fid) {
          case 0: ok(sbi.SBI_SPEC_VERSION); break;
          case 1: ok(sbi.SBI_IMPL_ID_KVM); break;
          case 2: ok(0x6_0001); break;
          case 3: ok(sbi.probeExtension(Number(arg(0) & 0xffff_ffffn)) ? 1 : 0); break;
          case 4: case 5: case 6: ok(0); break;
          default: err(sbi.SBI_ERR_NOT_SUPPORTED);
        }
        return null;
      case sbi.SBI_EXT_TIME:
        if (fid === 0) { this.setTimer(arg(0)); ok(); } else err(sbi.SBI_ERR_NOT_SUPPORTED);
        return null;
      case sbi.SBI_EXT_IPI:
        if (fid === 0) {
          if (this.hartMaskIncludesSelf(arg(0), arg(1))) h.setInterruptPending(SIP_SSIP, true);
          ok();
        } else err(sbi.SBI_ERR_NOT_SUPPORTED);
        return null;
      case sbi.SBI_EXT_RFENCE:
        if (fid <= 6) { h.mmu.flush(); ok(); } else err(sbi.SBI_ERR_NOT_SUPPORTED);
        return null;
      case sbi.SBI_EXT_HSM:
        switch (fid) {
          case 0: err(arg(0) === 0n ? sbi.SBI_ERR_ALREADY_AVAILABLE : sbi.SBI_ERR_INVALID_PARAM); break;
          case 2: if (arg(0) === 0n) ok(0); else err(sbi.SBI_ERR_INVALID_PARAM); break;
          default: err(sbi.SBI_ERR_NOT_SUPPORTED);
        }
        return null;
      case sbi.SBI_EXT_SRST:
        if (fid === 0) {
          const type = arg(0);
          if (type <= 2n) return this.systemEvent(type, arg(1));
          err(sbi.SBI_ERR_INVALID_PARAM);
        } else err(sbi.SBI_ERR_NOT_SUPPORTED);
        return null;
      default:
        err(sbi.SBI_ERR_NOT_SUPPORTED);
        return null;
    }
  }

  private systemEvent(type: bigint, reason: bigint): VcpuExit {
    const shutdown = type === BigInt(sbi.SRST_TYPE_SHUTDOWN);
    const exit = this.makeExit({
      reason: 'SYSTEM_EVENT', type: shutdown ? 'shutdown' : 'reset',
      typeCode: shutdown ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, data: [type, reason],
    });
    // Running again resumes after the ecall with success, as KVM does on the next KVM_RUN.
    this.sbiReturn(0n, 0n, false);
    return exit;
  }

  private hartMaskIncludesSelf(mask: bigint, base: bigint): boolean {
    if (base === -1n || base === 0xffff_ffff_ffff_ffffn) return true;
    return base === 0n && (mask & 1n) === 1n;
  }

  private sbiReturn(a0: bigint, a1: bigint, legacy: boolean): void {
    const h = this.hart;
    h.setReg(10, a0);
    if (!legacy) h.setReg(11, a1);
    h.completeInstruction(4);
  }

  private setTimer(value: bigint): void {
    this.timerDeadline = value >= BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
    this.hart.setInterruptPending(SIP_STIP, false);
    this.updateTimer();
  }

  private updateTimer(): void {
    if (this.timerDeadline !== Infinity && this.hart.time >= this.timerDeadline) {
      this.hart.setInterruptPending(SIP_STIP, true);
    }
  }

  /** The instruction count at which virtual time reaches the timer deadline. */
  private timerDeadlineIcount(): number {
    if (this.timerDeadline === Infinity) return Infinity;
    return this.timerDeadline * INSNS_PER_TIME_TICK - this.hart.idleCycles;
  }

  /**
   * kvm_riscv_vcpu_wfi: with nothing pending, idle until the timer fires, skipping the virtual time in between
   * (idle costs nothing and stays deterministic). With no timer either, only userspace can wake the guest (by
   * raising its external interrupt line): the vCPU returns INTR/halt, as a halted vCPU thread would block.
   */
  private wfi(): VcpuExit | null {
    const h = this.hart;
    h.completeInstruction(4);
    if (h.interruptPendingForWfi()) return null;
    const deadline = this.timerDeadlineIcount();
    if (deadline === Infinity || !h.timerInterruptEnabled()) return this.makeExit({ reason: 'INTR', cause: 'halt' });
    if (deadline > h.icount) h.idleCycles += deadline - h.icount;
    this.updateTimer();
    return null;
  }
}

function trapFields(trap: HypervisorTrap): { scause: number; stval: bigint; htval: number; htinst: number } {
  return {
    scause: trap.scause,
    stval: (BigInt(trap.stvalHi >>> 0) << 32n) | BigInt(trap.stvalLo >>> 0),
    htval: trap.htval,
    htinst: trap.htinst,
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
