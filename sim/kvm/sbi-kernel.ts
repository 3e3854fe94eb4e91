import { SIP_SSIP } from '../cpu/csr.js';
import { Hart } from '../cpu/hart.js';
import * as sbi from './sbi.js';

/** What an SBI call became: answered in the kernel, forwarded to userspace, or a system event. */
export type SbiOutcome =
  | { kind: 'ret'; a0: bigint; a1: bigint; legacy: boolean; event: string }
  | { kind: 'forward'; legacy: boolean }
  | { kind: 'system-event'; type: bigint; reason: bigint };

export interface SbiKernelHost {
  readonly hart: Hart;
  setTimer(value: bigint): void;
}

const ok = (value: bigint | number, event: string): SbiOutcome => ({ kind: 'ret', a0: 0n, a1: BigInt(value), legacy: false, event });
const err = (code: number, event: string): SbiOutcome => ({ kind: 'ret', a0: BigInt(code), a1: 0n, legacy: false, event });
const legacyRet = (event: string): SbiOutcome => ({ kind: 'ret', a0: 0n, a1: 0n, legacy: true, event });

/**
 * The SBI calls KVM answers itself (vcpu_sbi_base.c, vcpu_sbi_replace.c, vcpu_sbi_hsm.c, vcpu_sbi_v01.c) for a
 * single-hart guest; everything userspace owns is forwarded.
 */
export function sbiInKernel(host: SbiKernelHost, eid: number, fid: number, arg: (i: number) => bigint): SbiOutcome {
  const h = host.hart;
  if (sbi.forwardedToUserspace(eid)) return { kind: 'forward', legacy: sbi.isLegacy(eid) };
  switch (eid) {
    case sbi.SBI_EXT_0_1_SET_TIMER:
      host.setTimer(arg(0));
      return legacyRet('sbi-legacy-set-timer');
    case sbi.SBI_EXT_0_1_CLEAR_IPI:
      h.setInterruptPending(SIP_SSIP, false);
      return legacyRet('sbi-legacy-ipi');
    case sbi.SBI_EXT_0_1_SEND_IPI:
      if (hartMaskIncludesSelf(arg(0), 0n)) h.setInterruptPending(SIP_SSIP, true);
      return legacyRet('sbi-legacy-ipi');
    case sbi.SBI_EXT_0_1_REMOTE_FENCE_I:
      return legacyRet('sbi-legacy-rfence');
    case sbi.SBI_EXT_0_1_REMOTE_SFENCE_VMA:
    case sbi.SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID:
      sfenceRange(h, arg(1), arg(2));
      return legacyRet('sbi-legacy-rfence');
    case sbi.SBI_EXT_0_1_SHUTDOWN:
      return { kind: 'system-event', type: BigInt(sbi.SRST_TYPE_SHUTDOWN), reason: 0n };
    case sbi.SBI_EXT_BASE:
      switch (fid) {
        case 0: return ok(sbi.SBI_SPEC_VERSION, 'sbi-base');
        case 1: return ok(sbi.SBI_IMPL_ID_KVM, 'sbi-base');
        case 2: return ok(0x6_0001, 'sbi-base');
        case 3: return ok(sbi.probeExtension(Number(arg(0) & 0xffff_ffffn)) ? 1 : 0, 'sbi-base');
        case 4: case 5: case 6: return ok(0, 'sbi-base');
        default: return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-base');
      }
    case sbi.SBI_EXT_TIME:
      if (fid !== 0) return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-time');
      host.setTimer(arg(0));
      return ok(0, 'sbi-time');
    case sbi.SBI_EXT_IPI:
      if (fid !== 0) return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-ipi');
      if (hartMaskIncludesSelf(arg(0), arg(1))) h.setInterruptPending(SIP_SSIP, true);
      return ok(0, 'sbi-ipi');
    case sbi.SBI_EXT_RFENCE:
      if (fid > 6) return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-rfence');
      // REMOTE_FENCE_I: decoded and compiled code follow every store already, so there is nothing to drop.
      // REMOTE_SFENCE_VMA(_ASID): the range (a2, a3), as KVM's kvm_riscv_hfence_vvma_gva. The HFENCEs: all.
      if (fid === 1 || fid === 2) sfenceRange(h, arg(2), arg(3));
      else if (fid !== 0) h.mmu.flush();
      return ok(0, 'sbi-rfence');
    case sbi.SBI_EXT_HSM:
      switch (fid) {
        case 0: return err(arg(0) === 0n ? sbi.SBI_ERR_ALREADY_AVAILABLE : sbi.SBI_ERR_INVALID_PARAM, 'sbi-hsm');
        case 2: return arg(0) === 0n ? ok(0, 'sbi-hsm') : err(sbi.SBI_ERR_INVALID_PARAM, 'sbi-hsm');
        default: return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-hsm');
      }
    case sbi.SBI_EXT_SRST:
      if (fid !== 0) return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-srst');
      if (arg(0) > 2n) return err(sbi.SBI_ERR_INVALID_PARAM, 'sbi-srst');
      return { kind: 'system-event', type: arg(0), reason: arg(1) };
    default:
      return err(sbi.SBI_ERR_NOT_SUPPORTED, 'sbi-unsupported');
  }
}

/** Pages a remote sfence.vma drops one by one; a larger range flushes everything (the same, only faster). */
const RFENCE_PAGE_LIMIT = 64;

/**
 * sfence.vma over [start, start + size): (0, 0) or size -1 means everything (the SBI spec), as does a range past
 * RFENCE_PAGE_LIMIT pages.
 */
function sfenceRange(h: Hart, start: bigint, size: bigint): void {
  const all = (start === 0n && size === 0n) || size === 0xffff_ffff_ffff_ffffn || size > BigInt(RFENCE_PAGE_LIMIT * 4096);
  if (all) {
    h.mmu.flush();
    return;
  }
  const first = start & ~0xfffn, end = start + size;
  for (let page = first; page < end; page += 0x1000n) {
    h.mmu.flushPage(Number(BigInt.asIntN(32, page)), Number(BigInt.asIntN(32, page >> 32n)));
  }
}

/** Hart 0 is the only hart: is it in (hart_mask, hart_mask_base)? A base of -1 means every hart. */
function hartMaskIncludesSelf(mask: bigint, base: bigint): boolean {
  if (base === 0xffff_ffff_ffff_ffffn || base === -1n) return true;
  return base === 0n && (mask & 1n) === 1n;
}
