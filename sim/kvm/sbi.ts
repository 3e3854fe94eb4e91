/**
 * SBI as KVM implements it for a guest (arch/riscv/kvm/vcpu_sbi*.c): which calls the kernel answers itself and
 * which it forwards to userspace as KVM_EXIT_RISCV_SBI.
 */
export const SBI_EXT_0_1_SET_TIMER = 0x00;
export const SBI_EXT_0_1_CONSOLE_PUTCHAR = 0x01;
export const SBI_EXT_0_1_CONSOLE_GETCHAR = 0x02;
export const SBI_EXT_0_1_CLEAR_IPI = 0x03;
export const SBI_EXT_0_1_SEND_IPI = 0x04;
export const SBI_EXT_0_1_REMOTE_FENCE_I = 0x05;
export const SBI_EXT_0_1_REMOTE_SFENCE_VMA = 0x06;
export const SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID = 0x07;
export const SBI_EXT_0_1_SHUTDOWN = 0x08;
export const SBI_EXT_BASE = 0x10;
export const SBI_EXT_TIME = 0x54494d45;
export const SBI_EXT_IPI = 0x735049;
export const SBI_EXT_RFENCE = 0x52464e43;
export const SBI_EXT_HSM = 0x48534d;
export const SBI_EXT_SRST = 0x53525354;
export const SBI_EXT_DBCN = 0x4442434e;
export const SBI_EXT_EXPERIMENTAL_START = 0x0800_0000, SBI_EXT_EXPERIMENTAL_END = 0x08ff_ffff;
export const SBI_EXT_VENDOR_START = 0x0900_0000, SBI_EXT_VENDOR_END = 0x09ff_ffff;

export const SBI_SUCCESS = 0;
export const SBI_ERR_FAILED = -1;
export const SBI_ERR_NOT_SUPPORTED = -2;
export const SBI_ERR_INVALID_PARAM = -3;
export const SBI_ERR_ALREADY_AVAILABLE = -6;

/** SBI spec version 2.0, as (major << 24) | minor. */
export const SBI_SPEC_VERSION = (2 << 24) | 0;
/** KVM's SBI implementation ID (the SBI spec's list: 3 = KVM). */
export const SBI_IMPL_ID_KVM = 3;

export const SRST_TYPE_SHUTDOWN = 0, SRST_TYPE_COLD_REBOOT = 1, SRST_TYPE_WARM_REBOOT = 2;

/** Extensions userspace handles: the kernel forwards them (legacy console, DBCN, experimental, vendor). */
export function forwardedToUserspace(eid: number): boolean {
  return eid === SBI_EXT_0_1_CONSOLE_PUTCHAR || eid === SBI_EXT_0_1_CONSOLE_GETCHAR || eid === SBI_EXT_DBCN ||
    (eid >= SBI_EXT_EXPERIMENTAL_START && eid <= SBI_EXT_EXPERIMENTAL_END) ||
    (eid >= SBI_EXT_VENDOR_START && eid <= SBI_EXT_VENDOR_END);
}

/** Legacy (v0.1) calls return one value in a0 and leave a1 alone. */
export function isLegacy(eid: number): boolean {
  return eid <= SBI_EXT_0_1_SHUTDOWN;
}

/** Extensions answered by BASE probe_extension with 1. */
export function probeExtension(eid: number): boolean {
  switch (eid) {
    case SBI_EXT_BASE: case SBI_EXT_TIME: case SBI_EXT_IPI: case SBI_EXT_RFENCE: case SBI_EXT_HSM: case SBI_EXT_SRST:
    case SBI_EXT_DBCN:
      return true;
    default:
      return isLegacy(eid);
  }
}
