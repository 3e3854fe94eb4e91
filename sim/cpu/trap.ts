/**
 * Trap causes (privileged spec, scause values) and the value the hart hands to the hypervisor layer when a trap
 * is not delegated to the guest. Guest traps are values, never thrown host errors.
 */
export const enum Cause {
  InstMisaligned = 0,
  InstAccess = 1,
  IllegalInst = 2,
  Breakpoint = 3,
  LoadMisaligned = 4,
  LoadAccess = 5,
  StoreMisaligned = 6,
  StoreAccess = 7,
  EcallU = 8,
  EcallVS = 10,
  InstPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
  InstGuestPageFault = 20,
  LoadGuestPageFault = 21,
  VirtualInst = 22,
  StoreGuestPageFault = 23,
}

/**
 * Not a RISC-V cause: a stop for the hypervisor's own debug triggers (address breakpoint, watchpoint). It is never
 * delegated and never reaches the guest.
 */
export const DEBUG_TRIGGER_CAUSE = 0x1000;

/** Interrupt numbers as the guest (VS-mode) sees them in sip/sie. */
export const enum Irq {
  Software = 1,
  Timer = 5,
  External = 9,
}

/** KVM_HEDELEG_DEFAULT: exceptions that go straight to the guest's stvec without leaving the guest. */
export const HEDELEG_DEFAULT =
  (1 << Cause.InstMisaligned) |
  (1 << Cause.Breakpoint) |
  (1 << Cause.EcallU) |
  (1 << Cause.InstPageFault) |
  (1 << Cause.LoadPageFault) |
  (1 << Cause.StorePageFault);

/**
 * A trap that leaves the guest: what HS-mode would find in its CSRs on a trap from VS/VU-mode.
 * 64-bit values are split in 32-bit halves (lo/hi) like every register in the hart; `sepc` and `stval`
 * are also given as hex strings for logs.
 */
export interface HypervisorTrap {
  scause: number;
  sepcLo: number;
  sepcHi: number;
  stvalLo: number;
  stvalHi: number;
  /** Guest-physical fault address >> 2 for guest page faults (as htval), else 0. */
  htval: number;
  /** Transformed instruction (H spec) for guest page faults and virtual-instruction traps, else 0. */
  htinst: number;
  /** Privilege the trap came from: 1 = VS, 0 = VU (hstatus.SPVP). */
  fromPriv: number;
  /** For DEBUG_TRIGGER_CAUSE: which trigger fired (DebugStopKind), and the data address for watchpoints. */
  debugKind: number;
  debugAddrLo: number;
  debugAddrHi: number;
}
