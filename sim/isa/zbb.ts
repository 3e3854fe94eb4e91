import { Op } from '../wasm/opcodes.js';
import type { RowSpec } from './row.js';
import type { Sem } from './sem.js';

/**
 * Zbb (basic bit manipulation), RV64 forms. Most are one WebAssembly operator: clz/ctz/popcnt give 64 (or 32) for
 * a zero input as RISC-V wants, and rotates take their count modulo the width as RISC-V does.
 */

type Emit = (s: Sem) => void;
const row = (name: string, pattern: string, format: RowSpec['format'], sem: Emit): RowSpec =>
  ({ name, pattern, format, ext: 'Zbb', kind: 'alu', sem });

const binary = (op: number): Emit => (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); s.c.op(op); });
const binaryW = (op: number): Emit => (s) => s.setRdW(() => { s.x32('rs1'); s.x32('rs2'); s.c.op(op); });

/** ~x as x ^ -1. */
const NOT = (s: Sem): void => void s.c.i64(-1).op(Op.i64_xor);

/** rd = x[rs1] op ~x[rs2]. */
const withInverted = (op: number): Emit => (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); NOT(s); s.c.op(op); });

const unary = (op: number): Emit => (s) => s.setRd(() => { s.x('rs1'); s.c.op(op); });
const unaryW = (op: number): Emit => (s) => s.setRdW(() => { s.x32('rs1'); s.c.op(op); });

/** rd = the greater (or lesser) of x[rs1] and x[rs2] under `compare` (rs1 op rs2 picks rs1). */
const pick = (compare: number): Emit => (s) => s.setRd(() => {
  const a = s.tmp64(0), b = s.tmp64(1);
  s.x('rs1');
  s.c.tee(a);
  s.x('rs2');
  s.c.tee(b).get(a).get(b).op(compare).op(Op.select);
});

/** Each byte of x[rs1] becomes 0xff if it is nonzero, else 0. */
const orcB: Emit = (s) => s.setRd(() => {
  const t = s.tmp64(0);
  const low7 = 0x7f7f7f7f, high = 0x80808080 | 0;
  s.x('rs1');
  // (b & 0x7f) + 0x7f carries into bit 7 when the low seven bits are not all zero (never out of the byte); or-ing
  // b brings in bit 7 itself. So bit 7 of each byte says "nonzero"; times 0xff spreads it over the byte.
  s.c.tee(t).i64(low7, low7).op(Op.i64_and).i64(low7, low7).op(Op.i64_add).get(t).op(Op.i64_or);
  s.c.i64(high, high).op(Op.i64_and).i64(7).op(Op.i64_shr_u).i64(0xff).op(Op.i64_mul);
});

/** x[rs1] with its bytes in reverse order: swap bytes within halfwords, then halfwords within words, then words. */
const rev8: Emit = (s) => s.setRd(() => {
  const t = s.tmp64(0);
  const bytes = 0x00ff00ff, halves = 0x0000ffff;
  s.x('rs1');
  s.c.tee(t).i64(8).op(Op.i64_shr_u).i64(bytes, bytes).op(Op.i64_and);
  s.c.get(t).i64(bytes, bytes).op(Op.i64_and).i64(8).op(Op.i64_shl).op(Op.i64_or);
  s.c.tee(t).i64(16).op(Op.i64_shr_u).i64(halves, halves).op(Op.i64_and);
  s.c.get(t).i64(halves, halves).op(Op.i64_and).i64(16).op(Op.i64_shl).op(Op.i64_or);
  s.c.i64(32).op(Op.i64_rotl);
});

export const ZBB: RowSpec[] = [
  row('andn', '0100000 ----- ----- 111 ----- 0110011', 'R', withInverted(Op.i64_and)),
  row('orn', '0100000 ----- ----- 110 ----- 0110011', 'R', withInverted(Op.i64_or)),
  row('xnor', '0100000 ----- ----- 100 ----- 0110011', 'R', (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); s.c.op(Op.i64_xor); NOT(s); })),
  row('clz', '0110000 00000 ----- 001 ----- 0010011', 'R1', unary(Op.i64_clz)),
  row('ctz', '0110000 00001 ----- 001 ----- 0010011', 'R1', unary(Op.i64_ctz)),
  row('cpop', '0110000 00010 ----- 001 ----- 0010011', 'R1', unary(Op.i64_popcnt)),
  row('clzw', '0110000 00000 ----- 001 ----- 0011011', 'R1', unaryW(Op.i32_clz)),
  row('ctzw', '0110000 00001 ----- 001 ----- 0011011', 'R1', unaryW(Op.i32_ctz)),
  row('cpopw', '0110000 00010 ----- 001 ----- 0011011', 'R1', unaryW(Op.i32_popcnt)),
  row('max', '0000101 ----- ----- 110 ----- 0110011', 'R', pick(Op.i64_gt_s)),
  row('maxu', '0000101 ----- ----- 111 ----- 0110011', 'R', pick(Op.i64_gt_u)),
  row('min', '0000101 ----- ----- 100 ----- 0110011', 'R', pick(Op.i64_lt_s)),
  row('minu', '0000101 ----- ----- 101 ----- 0110011', 'R', pick(Op.i64_lt_u)),
  row('sext.b', '0110000 00100 ----- 001 ----- 0010011', 'R1', unary(Op.i64_extend8_s)),
  row('sext.h', '0110000 00101 ----- 001 ----- 0010011', 'R1', unary(Op.i64_extend16_s)),
  // RV64's zext.h is the encoding RV32 Zbkb calls packw rd, rs1, x0.
  row('zext.h', '0000100 00000 ----- 100 ----- 0111011', 'R1', (s) => s.setRd(() => { s.x('rs1'); s.c.i64(0xffff).op(Op.i64_and); })),
  row('rol', '0110000 ----- ----- 001 ----- 0110011', 'R', binary(Op.i64_rotl)),
  row('ror', '0110000 ----- ----- 101 ----- 0110011', 'R', binary(Op.i64_rotr)),
  row('rolw', '0110000 ----- ----- 001 ----- 0111011', 'R', binaryW(Op.i32_rotl)),
  row('rorw', '0110000 ----- ----- 101 ----- 0111011', 'R', binaryW(Op.i32_rotr)),
  row('rori', '011000- ----- ----- 101 ----- 0010011', 'SH6', (s) => s.setRd(() => { s.x('rs1'); s.imm(); s.c.op(Op.i64_rotr); })),
  row('roriw', '0110000 ----- ----- 101 ----- 0011011', 'SH5', (s) => s.setRdW(() => { s.x32('rs1'); s.imm32(); s.c.op(Op.i32_rotr); })),
  row('orc.b', '0010100 00111 ----- 101 ----- 0010011', 'R1', orcB),
  row('rev8', '0110101 11000 ----- 101 ----- 0010011', 'R1', rev8),
];
