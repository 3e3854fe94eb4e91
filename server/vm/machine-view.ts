/** What a client may read of a machine, the same for a live VM and a replay, and the coded error of a request. */
import type { Machine } from '../../sim/index.js';
import type { GuestCsr, ProtocolErrorCode, Registers } from '../../client-sdk/protocol.js';
import { registerDump } from '../cli/register-dump.js';

export class RequestError extends Error {
  constructor(readonly code: ProtocolErrorCode, message: string) {
    super(message);
  }
}

export function registersOf(machine: Machine): Registers {
  const h = machine.hart;
  const dump = registerDump(machine);
  const csr = {} as Record<GuestCsr, bigint>;
  for (const [name, value] of Object.entries(dump.csr)) csr[name as GuestCsr] = BigInt(value);
  // The counters as the guest reads them (docs/architecture.md, "Time"): cycle counts idle time too.
  csr.cycle = BigInt(h.icount + h.idleCycles);
  csr.time = BigInt(h.time);
  csr.instret = BigInt(h.icount);
  return {
    pc: h.pc, x: Array.from({ length: 32 }, (_, i) => h.getReg(i)), icount: h.icount, priv: dump.priv === 'U' ? 0 : 1, csr,
    ...(h.hasFpu ? { f: Array.from({ length: 32 }, (_, i) => h.getFreg(i)), fcsr: h.csr.fcsr } : {}),
  };
}

/** NOT_SUPPORTED unless the machine has F/D registers to write (a recording of an rv64imac machine has none). */
export function checkFpu(machine: Machine): void {
  if (!machine.hart.hasFpu) throw new RequestError('NOT_SUPPORTED', 'this machine has no F/D registers (its ISA has no F and D)');
}

/** Guest-physical bytes, copied; BAD_ADDRESS outside RAM. */
export function readRam(machine: Machine, addr: number, len: number): Uint8Array {
  checkRam(machine, addr, len);
  return Uint8Array.from(machine.ram.read(addr, len));
}

export function checkRam(machine: Machine, addr: number, len: number): void {
  if (!machine.ram.contains(addr, len)) throw new RequestError('BAD_ADDRESS', `0x${addr.toString(16)}+${len} is not guest RAM`);
}
