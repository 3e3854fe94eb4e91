import { Fields, noFields } from './formats.js';
import { rowNamed } from './table.js';
import type { InsnRow } from './row.js';

/**
 * RV64C: each compressed encoding expands to the 32-bit instruction it stands for (a row of the ISA table with
 * its fields), so every operation has one implementation. `expand` returns null for reserved encodings (they are
 * illegal); HINT encodings expand to their base instruction, which then does nothing (an addi to x0, say).
 *
 * rd'/rs1'/rs2' (3-bit fields) name x8..x15 (f8..f15 for c.fld and c.fsd).
 */
export interface CompressedRow {
  readonly name: string;
  /** 16 characters of 0, 1 or -, most significant first; spaces ignored. */
  readonly pattern: string;
  readonly mask: number;
  readonly match: number;
  /** The instruction it expands to. */
  readonly base: InsnRow;
  readonly expand: (h: number) => Fields | null;
}

const bit = (h: number, i: number): number => (h >>> i) & 1;
const rdp = (h: number): number => ((h >>> 2) & 7) + 8;
const rs1p = (h: number): number => ((h >>> 7) & 7) + 8;
const rd = (h: number): number => (h >>> 7) & 31;
const rs2 = (h: number): number => (h >>> 2) & 31;
/** The 6-bit signed immediate of bits 12 and 6:2. */
const imm6 = (h: number): number => ((bit(h, 12) << 31) >> 26) | ((h >>> 2) & 31);
const shamt = (h: number): number => (bit(h, 12) << 5) | ((h >>> 2) & 31);
const clwOff = (h: number): number => (((h >>> 10) & 7) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
const cldOff = (h: number): number => (((h >>> 10) & 7) << 3) | (((h >>> 5) & 3) << 6);
const cjOff = (h: number): number => {
  const v = (bit(h, 12) << 11) | (bit(h, 11) << 4) | (((h >>> 9) & 3) << 8) | (bit(h, 8) << 10) | (bit(h, 7) << 6) |
    (bit(h, 6) << 7) | (((h >>> 3) & 7) << 1) | (bit(h, 2) << 5);
  return (v << 20) >> 20;
};
const cbOff = (h: number): number => {
  const v = (bit(h, 12) << 8) | (((h >>> 10) & 3) << 3) | (((h >>> 5) & 3) << 6) | (((h >>> 3) & 3) << 1) | (bit(h, 2) << 5);
  return (v << 23) >> 23;
};

function f(rdv: number, rs1v: number, rs2v: number, imm: number): Fields {
  const x = noFields();
  x.rd = rdv;
  x.rs1 = rs1v;
  x.rs2 = rs2v;
  x.imm = imm;
  return x;
}

function parse16(pattern: string): { mask: number; match: number } {
  const bits = pattern.replace(/\s+/g, '');
  if (!/^[01-]{16}$/.test(bits)) throw new Error(`bad compressed pattern '${pattern}'`);
  let mask = 0, match = 0;
  for (let i = 0; i < 16; i++) {
    if (bits[i] === '-') continue;
    mask |= 1 << (15 - i);
    if (bits[i] === '1') match |= 1 << (15 - i);
  }
  return { mask, match };
}

function row(name: string, pattern: string, base: string, expand: (h: number) => Fields | null): CompressedRow {
  return Object.freeze({ name, pattern, ...parse16(pattern), base: rowNamed(base), expand });
}

export const COMPRESSED: readonly CompressedRow[] = [
  row('c.addi4spn', '000 -------- --- 00', 'addi', (h) => {
    const nzuimm = (((h >>> 7) & 0xf) << 6) | (((h >>> 11) & 3) << 4) | (bit(h, 5) << 3) | (bit(h, 6) << 2);
    return nzuimm === 0 ? null : f(rdp(h), 2, 0, nzuimm);
  }),
  row('c.fld', '001 --- --- -- --- 00', 'fld', (h) => f(rdp(h), rs1p(h), 0, cldOff(h))),
  row('c.lw', '010 --- --- -- --- 00', 'lw', (h) => f(rdp(h), rs1p(h), 0, clwOff(h))),
  row('c.ld', '011 --- --- -- --- 00', 'ld', (h) => f(rdp(h), rs1p(h), 0, cldOff(h))),
  row('c.fsd', '101 --- --- -- --- 00', 'fsd', (h) => f(0, rs1p(h), rdp(h), cldOff(h))),
  row('c.sw', '110 --- --- -- --- 00', 'sw', (h) => f(0, rs1p(h), rdp(h), clwOff(h))),
  row('c.sd', '111 --- --- -- --- 00', 'sd', (h) => f(0, rs1p(h), rdp(h), cldOff(h))),
  row('c.addi', '000 - ----- ----- 01', 'addi', (h) => f(rd(h), rd(h), 0, imm6(h))),
  row('c.addiw', '001 - ----- ----- 01', 'addiw', (h) => (rd(h) === 0 ? null : f(rd(h), rd(h), 0, imm6(h)))),
  row('c.li', '010 - ----- ----- 01', 'addi', (h) => f(rd(h), 0, 0, imm6(h))),
  row('c.addi16sp', '011 - 00010 ----- 01', 'addi', (h) => {
    const imm = ((bit(h, 12) << 31) >> 22) | (((h >>> 3) & 3) << 7) | (bit(h, 5) << 6) | (bit(h, 2) << 5) | (bit(h, 6) << 4);
    return imm === 0 ? null : f(2, 2, 0, imm);
  }),
  row('c.lui', '011 - ----- ----- 01', 'lui', (h) => (imm6(h) === 0 ? null : f(rd(h), 0, 0, imm6(h) << 12))),
  row('c.srli', '100 - 00 --- ----- 01', 'srli', (h) => f(rs1p(h), rs1p(h), 0, shamt(h))),
  row('c.srai', '100 - 01 --- ----- 01', 'srai', (h) => f(rs1p(h), rs1p(h), 0, shamt(h))),
  row('c.andi', '100 - 10 --- ----- 01', 'andi', (h) => f(rs1p(h), rs1p(h), 0, imm6(h))),
  row('c.sub', '100 0 11 --- 00 --- 01', 'sub', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.xor', '100 0 11 --- 01 --- 01', 'xor', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.or', '100 0 11 --- 10 --- 01', 'or', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.and', '100 0 11 --- 11 --- 01', 'and', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.subw', '100 1 11 --- 00 --- 01', 'subw', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.addw', '100 1 11 --- 01 --- 01', 'addw', (h) => f(rs1p(h), rs1p(h), rdp(h), 0)),
  row('c.j', '101 ----------- 01', 'jal', (h) => f(0, 0, 0, cjOff(h))),
  row('c.beqz', '110 --- --- ----- 01', 'beq', (h) => f(0, rs1p(h), 0, cbOff(h))),
  row('c.bnez', '111 --- --- ----- 01', 'bne', (h) => f(0, rs1p(h), 0, cbOff(h))),
  row('c.slli', '000 - ----- ----- 10', 'slli', (h) => f(rd(h), rd(h), 0, shamt(h))),
  row('c.fldsp', '001 - ----- ----- 10', 'fld', (h) =>
    f(rd(h), 2, 0, (bit(h, 12) << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6))),
  row('c.lwsp', '010 - ----- ----- 10', 'lw', (h) =>
    (rd(h) === 0 ? null : f(rd(h), 2, 0, (bit(h, 12) << 5) | (((h >>> 4) & 7) << 2) | (((h >>> 2) & 3) << 6)))),
  row('c.ldsp', '011 - ----- ----- 10', 'ld', (h) =>
    (rd(h) === 0 ? null : f(rd(h), 2, 0, (bit(h, 12) << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6)))),
  row('c.jr', '100 0 ----- 00000 10', 'jalr', (h) => (rd(h) === 0 ? null : f(0, rd(h), 0, 0))),
  row('c.mv', '100 0 ----- ----- 10', 'add', (h) => f(rd(h), 0, rs2(h), 0)),
  row('c.ebreak', '100 1 00000 00000 10', 'ebreak', () => f(0, 0, 0, 0)),
  row('c.jalr', '100 1 ----- 00000 10', 'jalr', (h) => f(1, rd(h), 0, 0)),
  row('c.add', '100 1 ----- ----- 10', 'add', (h) => f(rd(h), rd(h), rs2(h), 0)),
  row('c.fsdsp', '101 ------ ----- 10', 'fsd', (h) => f(0, 2, rs2(h), (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6))),
  row('c.swsp', '110 ------ ----- 10', 'sw', (h) => f(0, 2, rs2(h), (((h >>> 9) & 0xf) << 2) | (((h >>> 7) & 3) << 6))),
  row('c.sdsp', '111 ------ ----- 10', 'sd', (h) => f(0, 2, rs2(h), (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6))),
];
