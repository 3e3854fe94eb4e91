/**
 * The guest's registers as JSON, in one canonical form shared by `replay --dump-regs` and `--exit-log-regs`, so
 * that the two can be compared key by key. Every 64-bit value is a lowercase hex string without leading zeros
 * ("0x0", "0x80200000"), as exit logs already write pc and addresses: JSON numbers lose bits past 2^53.
 *
 * A machine with F/D (hart.hasFpu) adds `f` (f0..f31 as raw 64-bit patterns: a single is NaN-boxed in its upper
 * half) and `fcsr` (frm in bits 5..7, fflags in bits 0..4); a machine without (an rv64imac recording) has neither.
 *
 * The pc is not part of it: at an exit the report's pc is the exit's own (the exit log's `pc`, the trapping
 * instruction), which the hart's equals at every exit but SYSTEM_EVENT, where hindsight completes the ecall
 * before it returns the exit.
 */
import type { Machine } from '../../sim/index.js';
import { hex } from '../../client-sdk/exit-json.js';

export interface RegisterDump {
  /** x0..x31. */
  x: string[];
  /** The guest's privilege: 'S' (VS-mode) or 'U' (VU-mode). */
  priv: 'S' | 'U';
  /** The supervisor CSRs, as a csrr in the guest would read them. */
  csr: Record<SupervisorCsr, string>;
  /** f0..f31 as raw bits, when the machine has an FPU. */
  f?: string[];
  /** fcsr (frm << 5 | fflags), when the machine has an FPU. */
  fcsr?: string;
}

const CSRS = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sscratch: 0x140, sepc: 0x141,
  scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180,
} as const;
type SupervisorCsr = keyof typeof CSRS;

/** The CSR file asks for counters only for cycle/time/instret, which are not dumped. */
const NO_COUNTERS = { cycle: () => 0, time: () => 0, instret: () => 0 };


/** The registers of `machine` as it stands. Reads only: the CSR file's read result is scratch, not state. */
export function registerDump(machine: Machine): RegisterDump {
  const h = machine.hart;
  const csr = {} as Record<SupervisorCsr, string>;
  for (const [name, num] of Object.entries(CSRS) as [SupervisorCsr, number][]) {
    // Through the CSR file's own read, so sstatus carries its fixed upper bits (UXL) as the guest sees them.
    h.csr.read(num, NO_COUNTERS);
    csr[name] = hex((BigInt(h.csr.vhi >>> 0) << 32n) | BigInt(h.csr.vlo >>> 0));
  }
  return {
    x: Array.from({ length: 32 }, (_, i) => hex(h.getReg(i))),
    priv: h.priv === 0 ? 'U' : 'S',
    csr,
    ...(h.hasFpu ? { f: Array.from({ length: 32 }, (_, i) => hex(h.getFreg(i))), fcsr: hex(h.csr.fcsr) } : {}),
  };
}
