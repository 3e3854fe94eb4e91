import type { ExitAnswer, VcpuExit } from '../sim/index.js';
import { EXIT_NUMBERS } from '../sim/kvm/exits.js';

/** The exit log's form of a 64-bit value: lowercase hex without leading zeros (JSON numbers lose bits past 2^53). */
export const hex = (v: bigint | number): string => `0x${(typeof v === 'bigint' ? BigInt.asUintN(64, v) : v).toString(16)}`;
const bytesHex = (b: Uint8Array): string => `0x${[...b].reverse().map((x) => x.toString(16).padStart(2, '0')).join('')}`;

/**
 * An exit (with the answer userspace gave it) as one JSON-ready object: seq, icount, pc, reason (the kernel's name
 * without KVM_EXIT_), exit_reason (its number) and the reason's fields named as in struct kvm_run.
 */
export function exitToJson(exit: VcpuExit, answer?: ExitAnswer): Record<string, unknown> {
  const base = { seq: exit.seq, icount: exit.icount, pc: hex(exit.pc), reason: exit.reason, exit_reason: EXIT_NUMBERS[exit.reason] };
  switch (exit.reason) {
    case 'MMIO': {
      const data = exit.isWrite ? exit.data : answer?.reason === 'MMIO' && answer.data ? answer.data : new Uint8Array(exit.len);
      return { ...base, phys_addr: hex(exit.physAddr), len: exit.len, is_write: exit.isWrite ? 1 : 0, data: bytesHex(data) };
    }
    case 'RISCV_SBI':
      return {
        ...base, extension_id: hex(exit.extensionId), function_id: exit.functionId, args: exit.args.map(hex),
        ret: answer?.reason === 'RISCV_SBI' ? answer.ret.map(hex) : undefined,
      };
    case 'RISCV_CSR':
      return {
        ...base, csr_num: hex(exit.csrNum), new_value: hex(exit.newValue), write_mask: hex(exit.writeMask),
        ret_value: answer?.reason === 'RISCV_CSR' ? hex(answer.retValue) : undefined,
      };
    case 'SYSTEM_EVENT':
      return { ...base, type: exit.typeCode, type_name: exit.type, ndata: exit.data.length, data: exit.data.map(hex) };
    case 'INTR':
      return { ...base, cause: exit.cause };
    case 'DEBUG':
      return {
        ...base, why: exit.why, address: exit.address === undefined ? undefined : hex(exit.address), is_write: exit.isWrite,
        action: answer?.reason === 'DEBUG' ? answer.action : undefined,
      };
    case 'INTERNAL_ERROR':
      return {
        ...base, suberror: exit.suberror, message: exit.message, scause: hex(exit.scause), stval: hex(exit.stval),
        htval: hex(exit.htval), htinst: hex(exit.htinst),
      };
  }
}
