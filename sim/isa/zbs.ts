import { Op } from '../wasm/opcodes.js';
import type { RowSpec } from './row.js';
import type { Sem } from './sem.js';

/**
 * Zbs (single-bit operations) on bit (x[rs2] & 63) or bit shamt of x[rs1]. WebAssembly's shifts and rotates take
 * their count modulo 64 as RISC-V does, so the index needs no masking.
 */

type Index = (s: Sem) => void;
const byReg: Index = (s) => s.x('rs2');
const byImm: Index = (s) => s.imm();

/** x[rs1] op (1 << index). */
function withBit(op: number) {
  return (index: Index) => (s: Sem) => s.setRd(() => { s.x('rs1'); s.c.i64(1); index(s); s.c.op(Op.i64_shl).op(op); });
}
const set = withBit(Op.i64_or);
const invert = withBit(Op.i64_xor);

/** x[rs1] & ~(1 << index), the mask made as ~1 rotated left. */
const clear = (index: Index) => (s: Sem) => s.setRd(() => { s.x('rs1'); s.c.i64(-2); index(s); s.c.op(Op.i64_rotl).op(Op.i64_and); });

/** (x[rs1] >> index) & 1. */
const extract = (index: Index) => (s: Sem) => s.setRd(() => { s.x('rs1'); index(s); s.c.op(Op.i64_shr_u).i64(1).op(Op.i64_and); });

const reg = (name: string, pattern: string, sem: (s: Sem) => void): RowSpec => ({ name, pattern, format: 'R', ext: 'Zbs', kind: 'alu', sem });
const imm = (name: string, pattern: string, sem: (s: Sem) => void): RowSpec => ({ name, pattern, format: 'SH6', ext: 'Zbs', kind: 'alu', sem });

export const ZBS: RowSpec[] = [
  reg('bclr', '0100100 ----- ----- 001 ----- 0110011', clear(byReg)),
  reg('bext', '0100100 ----- ----- 101 ----- 0110011', extract(byReg)),
  reg('binv', '0110100 ----- ----- 001 ----- 0110011', invert(byReg)),
  reg('bset', '0010100 ----- ----- 001 ----- 0110011', set(byReg)),
  imm('bclri', '010010- ----- ----- 001 ----- 0010011', clear(byImm)),
  imm('bexti', '010010- ----- ----- 101 ----- 0010011', extract(byImm)),
  imm('binvi', '011010- ----- ----- 001 ----- 0010011', invert(byImm)),
  imm('bseti', '001010- ----- ----- 001 ----- 0010011', set(byImm)),
];
