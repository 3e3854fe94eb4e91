/**
 * Exits: why vcpu.run() returned to userspace. One discriminated union of plain data (it crosses sockets and goes
 * into journals). Reason names and numbers are those of include/uapi/linux/kvm.h.
 */
export const KVM_EXIT_UNKNOWN = 0;
export const KVM_EXIT_DEBUG = 4;
export const KVM_EXIT_MMIO = 6;
export const KVM_EXIT_INTR = 10;
export const KVM_EXIT_INTERNAL_ERROR = 17;
export const KVM_EXIT_SYSTEM_EVENT = 24;
export const KVM_EXIT_RISCV_SBI = 35;
export const KVM_EXIT_RISCV_CSR = 36;

/** KVM_SYSTEM_EVENT_* types. */
export const KVM_SYSTEM_EVENT_SHUTDOWN = 1;
export const KVM_SYSTEM_EVENT_RESET = 2;

/** KVM_INTERNAL_ERROR_* suberrors. */
export const KVM_INTERNAL_ERROR_EMULATION = 1;
/** hindsight-specific suberror: the guest trapped in a way no handler covers (the kernel's -EOPNOTSUPP). */
export const KVM_INTERNAL_ERROR_UNHANDLED_TRAP = 0x100;
/** hindsight-specific suberror: the guest is stuck taking traps into its own handler without retiring anything. */
export const KVM_INTERNAL_ERROR_TRAP_LOOP = 0x101;

interface ExitCommon {
  /** Exit sequence number, from 0, per vCPU. */
  seq: number;
  /** Instructions retired when the exit happened. */
  icount: number;
  /** Guest pc at the exit (the trapping instruction). */
  pc: bigint;
}

/** Corresponds to KVM_EXIT_MMIO. For a write, data holds the bytes written; for a read the answer supplies them. */
export interface MmioExit extends ExitCommon {
  reason: 'MMIO';
  physAddr: number;
  len: 1 | 2 | 4 | 8;
  isWrite: boolean;
  data: Uint8Array;
}

/** Corresponds to KVM_EXIT_RISCV_SBI: an SBI call the kernel forwards to userspace. */
export interface SbiExit extends ExitCommon {
  reason: 'RISCV_SBI';
  extensionId: number;
  functionId: number;
  args: bigint[];
}

/** Corresponds to KVM_EXIT_SYSTEM_EVENT (from SBI SRST or the legacy shutdown call). */
export interface SystemEventExit extends ExitCommon {
  reason: 'SYSTEM_EVENT';
  type: 'shutdown' | 'reset';
  /** KVM_SYSTEM_EVENT_SHUTDOWN / _RESET. */
  typeCode: number;
  /** data[0]: the SRST reset type, data[1]: the SRST reason. */
  data: bigint[];
}

/** Corresponds to KVM_EXIT_INTR: run() returned without a guest event. */
export interface IntrExit extends ExitCommon {
  reason: 'INTR';
  /** budget: the instruction budget ran out; halt: WFI with no interrupt that could ever wake it. */
  cause: 'budget' | 'immediate_exit' | 'halt';
}

/** Corresponds to KVM_EXIT_DEBUG (guest debug enabled): the vCPU stopped for the debugger, pc unchanged. */
export interface DebugExit extends ExitCommon {
  reason: 'DEBUG';
  why: 'breakpoint-instruction' | 'address-breakpoint' | 'watchpoint' | 'single-step';
  /** For watchpoints: the data address accessed and whether it was a write. */
  address?: bigint;
  isWrite?: boolean;
}

/** Corresponds to KVM_EXIT_RISCV_CSR: a CSR the kernel leaves to userspace (here: `seed`, Zkr). */
export interface CsrExit extends ExitCommon {
  reason: 'RISCV_CSR';
  csrNum: number;
  newValue: bigint;
  writeMask: bigint;
}

/** Corresponds to KVM_EXIT_INTERNAL_ERROR. */
export interface InternalErrorExit extends ExitCommon {
  reason: 'INTERNAL_ERROR';
  suberror: number;
  message: string;
  scause: number;
  stval: bigint;
  htval: number;
  htinst: number;
}

export type VcpuExit = MmioExit | SbiExit | SystemEventExit | IntrExit | InternalErrorExit | DebugExit | CsrExit;
export type ExitReason = VcpuExit['reason'];

export const EXIT_NUMBERS: Record<ExitReason, number> = {
  MMIO: KVM_EXIT_MMIO,
  RISCV_SBI: KVM_EXIT_RISCV_SBI,
  SYSTEM_EVENT: KVM_EXIT_SYSTEM_EVENT,
  INTR: KVM_EXIT_INTR,
  INTERNAL_ERROR: KVM_EXIT_INTERNAL_ERROR,
  DEBUG: KVM_EXIT_DEBUG,
  RISCV_CSR: KVM_EXIT_RISCV_CSR,
};

/** Userspace's answer to an exit (what it fills into struct kvm_run before the next KVM_RUN). */
export type ExitAnswer =
  | { seq: number; reason: 'MMIO'; data?: Uint8Array }
  | { seq: number; reason: 'RISCV_SBI'; ret: [bigint, bigint] }
  | { seq: number; reason: 'RISCV_CSR'; retValue: bigint }
  /**
   * resume: go on (past a breakpoint instruction; over the instruction an address breakpoint or watchpoint stopped);
   * stay: leave the pc where it is (a breakpoint instruction stops again at once);
   * inject: the breakpoint instruction was the guest's own: deliver the breakpoint exception to its handler.
   */
  | { seq: number; reason: 'DEBUG'; action: 'resume' | 'stay' | 'inject' };

/** Exits that need no answer: run() may be called again directly. */
export function needsAnswer(exit: VcpuExit): boolean {
  return exit.reason !== 'INTR' && exit.reason !== 'SYSTEM_EVENT' && exit.reason !== 'INTERNAL_ERROR';
}
