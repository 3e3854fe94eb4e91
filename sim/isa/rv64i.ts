import { Op } from '../wasm/opcodes.js';
import type { RowSpec } from './row.js';
import type { Sem } from './sem.js';

/** RV64I: the base integer instructions (fence.i is Zifencei's, ecall/ebreak are in system.ts). */

type Binary = (s: Sem) => void;

/** rd = x[rs1] op x[rs2], on 64 bits. */
function reg(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'R', ext: 'I', kind: 'alu', sem: (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); s.c.op(op); }) };
}

/** rd = sext(x[rs1][31:0] op x[rs2][31:0]). */
function regW(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'R', ext: 'I', kind: 'alu', sem: (s) => s.setRdW(() => { s.x32('rs1'); s.x32('rs2'); s.c.op(op); }) };
}

/** rd = x[rs1] op sext(imm). */
function imm(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'I', ext: 'I', kind: 'alu', sem: (s) => s.setRd(() => { s.x('rs1'); s.imm(); s.c.op(op); }) };
}

function shiftImm(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'SH6', ext: 'I', kind: 'alu', sem: (s) => s.setRd(() => { s.x('rs1'); s.imm(); s.c.op(op); }) };
}

function shiftImmW(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'SH5', ext: 'I', kind: 'alu', sem: (s) => s.setRdW(() => { s.x32('rs1'); s.imm32(); s.c.op(op); }) };
}

/** A comparison pushing 0 or 1 as i64. */
function setIf(compare: Binary): Binary {
  return (s) => s.setRd(() => { compare(s); s.c.op(Op.i64_extend_i32_u); });
}

function branch(name: string, pattern: string, op: number): RowSpec {
  return { name, pattern, format: 'B', ext: 'I', kind: 'branch', sem: (s) => s.branch(() => { s.x('rs1'); s.x('rs2'); s.c.op(op); }) };
}

const address = (s: Sem) => (): void => { s.x('rs1'); s.imm(); s.c.op(Op.i64_add); };

function load(name: string, pattern: string, width: 1 | 2 | 4 | 8, signed: boolean): RowSpec {
  return {
    name, pattern, format: 'L', ext: 'I', kind: 'load', width, signed,
    sem: (s) => s.setRd(() => s.load(width, signed, address(s))),
  };
}

function store(name: string, pattern: string, width: 1 | 2 | 4 | 8): RowSpec {
  return { name, pattern, format: 'S', ext: 'I', kind: 'store', width, sem: (s) => s.store(width, address(s), () => s.x('rs2')) };
}

export const RV64I: RowSpec[] = [
  { name: 'lui', pattern: '------- ----- ----- --- ----- 0110111', format: 'U', ext: 'I', kind: 'alu', sem: (s) => s.setRd(() => s.imm()) },
  {
    name: 'auipc', pattern: '------- ----- ----- --- ----- 0010111', format: 'U', ext: 'I', kind: 'alu',
    sem: (s) => s.setRd(() => { s.pc(); s.imm(); s.c.op(Op.i64_add); }),
  },
  {
    name: 'jal', pattern: '------- ----- ----- --- ----- 1101111', format: 'J', ext: 'I', kind: 'jump',
    sem: (s) => {
      s.setRd(() => s.nextPc());
      s.jump(() => { s.pc(); s.imm(); s.c.op(Op.i64_add); });
    },
  },
  {
    name: 'jalr', pattern: '------- ----- ----- 000 ----- 1100111', format: 'JALR', ext: 'I', kind: 'jump',
    sem: (s) => {
      // The target comes from rs1 before rd is written: they may be the same register.
      const t = s.tmp64(0);
      s.x('rs1');
      s.imm();
      s.c.op(Op.i64_add).i64(-2).op(Op.i64_and).set(t);
      s.setRd(() => s.nextPc());
      s.jump(() => s.c.get(t));
    },
  },
  branch('beq', '------- ----- ----- 000 ----- 1100011', Op.i64_eq),
  branch('bne', '------- ----- ----- 001 ----- 1100011', Op.i64_ne),
  branch('blt', '------- ----- ----- 100 ----- 1100011', Op.i64_lt_s),
  branch('bge', '------- ----- ----- 101 ----- 1100011', Op.i64_ge_s),
  branch('bltu', '------- ----- ----- 110 ----- 1100011', Op.i64_lt_u),
  branch('bgeu', '------- ----- ----- 111 ----- 1100011', Op.i64_ge_u),
  load('lb', '------- ----- ----- 000 ----- 0000011', 1, true),
  load('lh', '------- ----- ----- 001 ----- 0000011', 2, true),
  load('lw', '------- ----- ----- 010 ----- 0000011', 4, true),
  load('ld', '------- ----- ----- 011 ----- 0000011', 8, true),
  load('lbu', '------- ----- ----- 100 ----- 0000011', 1, false),
  load('lhu', '------- ----- ----- 101 ----- 0000011', 2, false),
  load('lwu', '------- ----- ----- 110 ----- 0000011', 4, false),
  store('sb', '------- ----- ----- 000 ----- 0100011', 1),
  store('sh', '------- ----- ----- 001 ----- 0100011', 2),
  store('sw', '------- ----- ----- 010 ----- 0100011', 4),
  store('sd', '------- ----- ----- 011 ----- 0100011', 8),
  imm('addi', '------- ----- ----- 000 ----- 0010011', Op.i64_add),
  { name: 'slti', pattern: '------- ----- ----- 010 ----- 0010011', format: 'I', ext: 'I', kind: 'alu', sem: setIf((s) => { s.x('rs1'); s.imm(); s.c.op(Op.i64_lt_s); }) },
  { name: 'sltiu', pattern: '------- ----- ----- 011 ----- 0010011', format: 'I', ext: 'I', kind: 'alu', sem: setIf((s) => { s.x('rs1'); s.imm(); s.c.op(Op.i64_lt_u); }) },
  imm('xori', '------- ----- ----- 100 ----- 0010011', Op.i64_xor),
  imm('ori', '------- ----- ----- 110 ----- 0010011', Op.i64_or),
  imm('andi', '------- ----- ----- 111 ----- 0010011', Op.i64_and),
  shiftImm('slli', '000000- ----- ----- 001 ----- 0010011', Op.i64_shl),
  shiftImm('srli', '000000- ----- ----- 101 ----- 0010011', Op.i64_shr_u),
  shiftImm('srai', '010000- ----- ----- 101 ----- 0010011', Op.i64_shr_s),
  {
    name: 'addiw', pattern: '------- ----- ----- 000 ----- 0011011', format: 'I', ext: 'I', kind: 'alu',
    sem: (s) => s.setRdW(() => { s.x32('rs1'); s.imm32(); s.c.op(Op.i32_add); }),
  },
  shiftImmW('slliw', '0000000 ----- ----- 001 ----- 0011011', Op.i32_shl),
  shiftImmW('srliw', '0000000 ----- ----- 101 ----- 0011011', Op.i32_shr_u),
  shiftImmW('sraiw', '0100000 ----- ----- 101 ----- 0011011', Op.i32_shr_s),
  reg('add', '0000000 ----- ----- 000 ----- 0110011', Op.i64_add),
  reg('sub', '0100000 ----- ----- 000 ----- 0110011', Op.i64_sub),
  reg('sll', '0000000 ----- ----- 001 ----- 0110011', Op.i64_shl),
  { name: 'slt', pattern: '0000000 ----- ----- 010 ----- 0110011', format: 'R', ext: 'I', kind: 'alu', sem: setIf((s) => { s.x('rs1'); s.x('rs2'); s.c.op(Op.i64_lt_s); }) },
  { name: 'sltu', pattern: '0000000 ----- ----- 011 ----- 0110011', format: 'R', ext: 'I', kind: 'alu', sem: setIf((s) => { s.x('rs1'); s.x('rs2'); s.c.op(Op.i64_lt_u); }) },
  reg('xor', '0000000 ----- ----- 100 ----- 0110011', Op.i64_xor),
  reg('srl', '0000000 ----- ----- 101 ----- 0110011', Op.i64_shr_u),
  reg('sra', '0100000 ----- ----- 101 ----- 0110011', Op.i64_shr_s),
  reg('or', '0000000 ----- ----- 110 ----- 0110011', Op.i64_or),
  reg('and', '0000000 ----- ----- 111 ----- 0110011', Op.i64_and),
  regW('addw', '0000000 ----- ----- 000 ----- 0111011', Op.i32_add),
  regW('subw', '0100000 ----- ----- 000 ----- 0111011', Op.i32_sub),
  regW('sllw', '0000000 ----- ----- 001 ----- 0111011', Op.i32_shl),
  regW('srlw', '0000000 ----- ----- 101 ----- 0111011', Op.i32_shr_u),
  regW('sraw', '0100000 ----- ----- 101 ----- 0111011', Op.i32_shr_s),
  // fence: any fm/pred/succ (unknown fm values are treated as a plain fence, as the spec asks); rd and rs1 ignored.
  { name: 'fence', pattern: '---- ---- ---- ----- 000 ----- 0001111', format: 'FENCE', ext: 'I', kind: 'fence', sem: () => undefined },
];
