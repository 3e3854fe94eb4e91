import { LocalVmm, type RunResult, type VmmOptions } from '../../client-sdk/index.js';
import type { Machine, VcpuExit } from '../../sim/index.js';

/**
 * Runs an ELF with the built-in userspace, as runElf does, and with `atExit` shows the machine at every exit before
 * it is answered: VmmOptions.onExit comes after the answer, when an MMIO load or an SBI call has already written
 * its registers and moved the pc on, and the exit log's registers must be the ones userspace saw.
 */
export function runLocal(image: Uint8Array, options: VmmOptions, atExit?: (exit: VcpuExit, machine: Machine) => void): RunResult {
  return new LocalVmm(image, atExit === undefined ? options : { ...options, beforeAnswer: atExit }).run();
}
