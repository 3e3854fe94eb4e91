/** The simulator's public surface. Everything outside sim/ imports from here. */
export { SimError, type SimErrorCode } from './errors.js';
export * as layout from './layout.js';
export { Machine, type MachineConfig, GUEST_ISA } from './machine.js';
export { Hart, Stop } from './cpu/hart.js';
export { TIERS, type Tier, type TierOptions, type JitStats } from './cpu/jit.js';
export { Vcpu, type TraceSink, type KvmExitTrace, type ObserverStop } from './kvm/vcpu.js';
export { ExitStats, type StatRow } from './kvm/stats.js';
export type {
  VcpuExit, ExitReason, ExitAnswer, MmioExit, SbiExit, SystemEventExit, IntrExit, InternalErrorExit, DebugExit, CsrExit,
} from './kvm/exits.js';
export { EXIT_NUMBERS, needsAnswer } from './kvm/exits.js';
export { parseElf, type ElfImage } from './elf.js';
export { GuestRam } from './memory.js';
export * from './journal/index.js';
export { StateDigester } from './state-digest.js';
export * from './timetravel/index.js';
