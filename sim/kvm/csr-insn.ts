/**
 * A CSR instruction the hypervisor emulates (kvm_riscv_vcpu_virtual_insn → csr_insn): the new value and write
 * mask KVM_EXIT_RISCV_CSR carries, computed from the instruction as the kernel computes them.
 */
export interface CsrInsn {
  csrNum: number;
  rd: number;
  newValue: bigint;
  writeMask: bigint;
}

const ALL = 0xffff_ffff_ffff_ffffn;

export function decodeCsrInsn(bits: number, readReg: (i: number) => bigint): CsrInsn | null {
  if ((bits & 0x7f) !== 0x73) return null;
  const f3 = (bits >>> 12) & 7;
  if (f3 === 0 || f3 === 4) return null;
  const rd = (bits >>> 7) & 31, rs1 = (bits >>> 15) & 31, csrNum = bits >>> 20;
  const src = f3 >= 5 ? BigInt(rs1) : readReg(rs1);
  switch (f3 & 3) {
    case 1: return { csrNum, rd, newValue: src, writeMask: ALL };
    case 2: return { csrNum, rd, newValue: ALL, writeMask: src };
    default: return { csrNum, rd, newValue: 0n, writeMask: src };
  }
}
