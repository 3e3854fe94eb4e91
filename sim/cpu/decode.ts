/**
 * Instruction decoding: a 32-bit or compressed instruction word becomes one `Insn` record. Compressed forms are
 * expanded to the operation they stand for (with `len` = 2), so the translator has one implementation per
 * operation. Anything the hart does not implement decodes to `illegal`.
 */
export type Op =
  | 'lui' | 'auipc' | 'jal' | 'jalr'
  | 'beq' | 'bne' | 'blt' | 'bge' | 'bltu' | 'bgeu'
  | 'load' | 'store'
  | 'addi' | 'slti' | 'sltiu' | 'xori' | 'ori' | 'andi' | 'slli' | 'srli' | 'srai'
  | 'addiw' | 'slliw' | 'srliw' | 'sraiw'
  | 'add' | 'sub' | 'sll' | 'slt' | 'sltu' | 'xor' | 'srl' | 'sra' | 'or' | 'and'
  | 'addw' | 'subw' | 'sllw' | 'srlw' | 'sraw'
  | 'mul' | 'mulh' | 'mulhsu' | 'mulhu' | 'div' | 'divu' | 'rem' | 'remu'
  | 'mulw' | 'divw' | 'divuw' | 'remw' | 'remuw'
  | 'lr' | 'sc' | 'amo'
  | 'fence' | 'fence.i'
  | 'ecall' | 'ebreak' | 'sret' | 'wfi' | 'sfence.vma'
  | 'csr'
  | 'illegal';

export interface Insn {
  op: Op;
  rd: number;
  rs1: number;
  rs2: number;
  /** Sign-extended immediate (or shift amount, CSR number for `csr`). */
  imm: number;
  /** funct3: load/store width (LB=0 … LWU=6), CSR operation (1..7), AMO width (2 = W, 3 = D). */
  funct3: number;
  /** AMO operation (funct5) for `amo`. */
  funct5: number;
  len: 2 | 4;
  /** The instruction bits as fetched (16 or 32 bits). */
  bits: number;
}

export const AMO_ADD = 0x00, AMO_SWAP = 0x01, AMO_XOR = 0x04, AMO_OR = 0x08, AMO_AND = 0x0c;
export const AMO_MIN = 0x10, AMO_MAX = 0x14, AMO_MINU = 0x18, AMO_MAXU = 0x1c;

function make(op: Op, bits: number, len: 2 | 4, rd = 0, rs1 = 0, rs2 = 0, imm = 0, funct3 = 0, funct5 = 0): Insn {
  return { op, rd, rs1, rs2, imm, funct3, funct5, len, bits };
}

const illegal = (bits: number, len: 2 | 4): Insn => make('illegal', bits, len);

/** Length of the instruction whose low halfword is `lo16`. Longer encodings (48-bit+) are illegal here. */
export function insnLength(lo16: number): 2 | 4 {
  return (lo16 & 3) === 3 ? 4 : 2;
}

export function decode(bits: number): Insn {
  return (bits & 3) === 3 ? decode32(bits | 0) : decode16(bits & 0xffff);
}

function immI(b: number): number { return b >> 20; }
function immS(b: number): number { return ((b >> 25) << 5) | ((b >>> 7) & 0x1f); }
function immB(b: number): number {
  return ((b >> 31) << 12) | (((b >>> 7) & 1) << 11) | (((b >>> 25) & 0x3f) << 5) | (((b >>> 8) & 0xf) << 1);
}
function immJ(b: number): number {
  return ((b >> 31) << 20) | (((b >>> 12) & 0xff) << 12) | (((b >>> 20) & 1) << 11) | (((b >>> 21) & 0x3ff) << 1);
}

const BRANCHES: (Op | null)[] = ['beq', 'bne', null, null, 'blt', 'bge', 'bltu', 'bgeu'];
const OP_IMM: Op[] = ['addi', 'slli', 'slti', 'sltiu', 'xori', 'srli', 'ori', 'andi'];
const OP_REG: Op[] = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'];
const OP_MUL: Op[] = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];
const AMO_OPS = new Set([AMO_ADD, AMO_SWAP, AMO_XOR, AMO_OR, AMO_AND, AMO_MIN, AMO_MAX, AMO_MINU, AMO_MAXU]);

function decode32(b: number): Insn {
  const opcode = b & 0x7f;
  const rd = (b >>> 7) & 31, f3 = (b >>> 12) & 7, rs1 = (b >>> 15) & 31, rs2 = (b >>> 20) & 31, f7 = b >>> 25;
  switch (opcode) {
    case 0x37: return make('lui', b, 4, rd, 0, 0, b & 0xfffff000);
    case 0x17: return make('auipc', b, 4, rd, 0, 0, b & 0xfffff000);
    case 0x6f: return make('jal', b, 4, rd, 0, 0, immJ(b));
    case 0x67: return f3 === 0 ? make('jalr', b, 4, rd, rs1, 0, immI(b)) : illegal(b, 4);
    case 0x63: {
      const op = BRANCHES[f3];
      return op ? make(op, b, 4, 0, rs1, rs2, immB(b)) : illegal(b, 4);
    }
    case 0x03: return f3 === 7 ? illegal(b, 4) : make('load', b, 4, rd, rs1, 0, immI(b), f3);
    case 0x23: return f3 > 3 ? illegal(b, 4) : make('store', b, 4, 0, rs1, rs2, immS(b), f3);
    case 0x13: {
      if (f3 === 1 || f3 === 5) {
        const f6 = b >>> 26;
        const shamt = (b >>> 20) & 63;
        if (f3 === 1) return f6 === 0 ? make('slli', b, 4, rd, rs1, 0, shamt) : illegal(b, 4);
        if (f6 === 0) return make('srli', b, 4, rd, rs1, 0, shamt);
        if (f6 === 0x10) return make('srai', b, 4, rd, rs1, 0, shamt);
        return illegal(b, 4);
      }
      return make(OP_IMM[f3], b, 4, rd, rs1, 0, immI(b));
    }
    case 0x1b: {
      if (f3 === 0) return make('addiw', b, 4, rd, rs1, 0, immI(b));
      if (f3 === 1) return f7 === 0 ? make('slliw', b, 4, rd, rs1, 0, rs2) : illegal(b, 4);
      if (f3 === 5) {
        if (f7 === 0) return make('srliw', b, 4, rd, rs1, 0, rs2);
        if (f7 === 0x20) return make('sraiw', b, 4, rd, rs1, 0, rs2);
      }
      return illegal(b, 4);
    }
    case 0x33: {
      if (f7 === 0) return make(OP_REG[f3], b, 4, rd, rs1, rs2);
      if (f7 === 1) return make(OP_MUL[f3], b, 4, rd, rs1, rs2);
      if (f7 === 0x20) {
        if (f3 === 0) return make('sub', b, 4, rd, rs1, rs2);
        if (f3 === 5) return make('sra', b, 4, rd, rs1, rs2);
      }
      return illegal(b, 4);
    }
    case 0x3b: {
      if (f7 === 0) {
        if (f3 === 0) return make('addw', b, 4, rd, rs1, rs2);
        if (f3 === 1) return make('sllw', b, 4, rd, rs1, rs2);
        if (f3 === 5) return make('srlw', b, 4, rd, rs1, rs2);
      } else if (f7 === 0x20) {
        if (f3 === 0) return make('subw', b, 4, rd, rs1, rs2);
        if (f3 === 5) return make('sraw', b, 4, rd, rs1, rs2);
      } else if (f7 === 1) {
        const op = ([null, null, null, null, 'divw', 'divuw', 'remw', 'remuw'] as (Op | null)[])[f3];
        if (f3 === 0) return make('mulw', b, 4, rd, rs1, rs2);
        if (op) return make(op, b, 4, rd, rs1, rs2);
      }
      return illegal(b, 4);
    }
    case 0x2f: {
      if (f3 !== 2 && f3 !== 3) return illegal(b, 4);
      const f5 = b >>> 27;
      if (f5 === 0x02) return rs2 === 0 ? make('lr', b, 4, rd, rs1, 0, 0, f3) : illegal(b, 4);
      if (f5 === 0x03) return make('sc', b, 4, rd, rs1, rs2, 0, f3);
      return AMO_OPS.has(f5) ? make('amo', b, 4, rd, rs1, rs2, 0, f3, f5) : illegal(b, 4);
    }
    case 0x0f:
      if (f3 === 0) return make('fence', b, 4);
      if (f3 === 1) return make('fence.i', b, 4);
      return illegal(b, 4);
    case 0x73: {
      if (f3 === 0) {
        if (b === 0x00000073) return make('ecall', b, 4);
        if (b === 0x00100073) return make('ebreak', b, 4);
        if (b === 0x10200073) return make('sret', b, 4);
        if (b === 0x10500073) return make('wfi', b, 4);
        if (f7 === 0x09 && rd === 0) return make('sfence.vma', b, 4, 0, rs1, rs2);
        return illegal(b, 4);
      }
      if (f3 === 4) return illegal(b, 4);
      // CSR number in imm (unsigned 12 bits); for the immediate forms rs1 holds the 5-bit zimm.
      return make('csr', b, 4, rd, rs1, 0, b >>> 20, f3);
    }
    default:
      return illegal(b, 4);
  }
}

/** RV64C. Register fields rd'/rs1'/rs2' name x8..x15. Reserved encodings are illegal; HINTs execute as no-ops. */
function decode16(h: number): Insn {
  const q = h & 3, f3 = h >>> 13;
  const rdp = ((h >>> 2) & 7) + 8, rs1p = ((h >>> 7) & 7) + 8;
  const rd = (h >>> 7) & 31, rs2 = (h >>> 2) & 31;
  const bit12 = (h >>> 12) & 1;
  // 6-bit signed immediate from bits 12 and 6:2.
  const imm6 = ((bit12 << 31) >> 26) | ((h >>> 2) & 31);
  if (q === 0) {
    switch (f3) {
      case 0: {
        const nzuimm = (((h >>> 7) & 0xf) << 6) | (((h >>> 11) & 3) << 4) | (((h >>> 5) & 1) << 3) | (((h >>> 6) & 1) << 2);
        return nzuimm === 0 ? illegal(h, 2) : make('addi', h, 2, rdp, 2, 0, nzuimm);
      }
      case 2: return make('load', h, 2, rdp, rs1p, 0, clwOff(h), 2);
      case 3: return make('load', h, 2, rdp, rs1p, 0, cldOff(h), 3);
      case 6: return make('store', h, 2, 0, rs1p, rdp, clwOff(h), 2);
      case 7: return make('store', h, 2, 0, rs1p, rdp, cldOff(h), 3);
      default: return illegal(h, 2);
    }
  }
  if (q === 1) {
    switch (f3) {
      case 0: return make('addi', h, 2, rd, rd, 0, imm6);
      case 1: return rd === 0 ? illegal(h, 2) : make('addiw', h, 2, rd, rd, 0, imm6);
      case 2: return make('addi', h, 2, rd, 0, 0, imm6);
      case 3: {
        if (rd === 2) {
          const imm = ((bit12 << 31) >> 22) | (((h >>> 3) & 3) << 7) | (((h >>> 5) & 1) << 6) | (((h >>> 2) & 1) << 5) | (((h >>> 6) & 1) << 4);
          return imm === 0 ? illegal(h, 2) : make('addi', h, 2, 2, 2, 0, imm);
        }
        return imm6 === 0 ? illegal(h, 2) : make('lui', h, 2, rd, 0, 0, imm6 << 12);
      }
      case 4: {
        const f2 = (h >>> 10) & 3;
        const shamt = (bit12 << 5) | ((h >>> 2) & 31);
        if (f2 === 0) return make('srli', h, 2, rs1p, rs1p, 0, shamt);
        if (f2 === 1) return make('srai', h, 2, rs1p, rs1p, 0, shamt);
        if (f2 === 2) return make('andi', h, 2, rs1p, rs1p, 0, imm6);
        const f = (h >>> 5) & 3;
        if (bit12 === 0) return make((['sub', 'xor', 'or', 'and'] as Op[])[f], h, 2, rs1p, rs1p, rdp);
        if (f === 0) return make('subw', h, 2, rs1p, rs1p, rdp);
        if (f === 1) return make('addw', h, 2, rs1p, rs1p, rdp);
        return illegal(h, 2);
      }
      case 5: return make('jal', h, 2, 0, 0, 0, cjOff(h));
      case 6: return make('beq', h, 2, 0, rs1p, 0, cbOff(h));
      default: return make('bne', h, 2, 0, rs1p, 0, cbOff(h));
    }
  }
  if (q === 2) {
    switch (f3) {
      case 0: return make('slli', h, 2, rd, rd, 0, (bit12 << 5) | ((h >>> 2) & 31));
      case 2: {
        const off = (bit12 << 5) | (((h >>> 4) & 7) << 2) | (((h >>> 2) & 3) << 6);
        return rd === 0 ? illegal(h, 2) : make('load', h, 2, rd, 2, 0, off, 2);
      }
      case 3: {
        const off = (bit12 << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6);
        return rd === 0 ? illegal(h, 2) : make('load', h, 2, rd, 2, 0, off, 3);
      }
      case 4: {
        if (bit12 === 0) {
          if (rs2 === 0) return rd === 0 ? illegal(h, 2) : make('jalr', h, 2, 0, rd, 0, 0);
          return make('add', h, 2, rd, 0, rs2);
        }
        if (rs2 === 0) return rd === 0 ? make('ebreak', h, 2) : make('jalr', h, 2, 1, rd, 0, 0);
        return make('add', h, 2, rd, rd, rs2);
      }
      case 6: return make('store', h, 2, 0, 2, rs2, (((h >>> 9) & 0xf) << 2) | (((h >>> 7) & 3) << 6), 2);
      case 7: return make('store', h, 2, 0, 2, rs2, (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6), 3);
      default: return illegal(h, 2);
    }
  }
  return illegal(h, 2);
}

function clwOff(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 6) & 1) << 2) | (((h >>> 5) & 1) << 6);
}
function cldOff(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 5) & 3) << 6);
}
function cjOff(h: number): number {
  const b = (s: number) => (h >>> s) & 1;
  const v = (b(12) << 11) | (b(11) << 4) | (((h >>> 9) & 3) << 8) | (b(8) << 10) | (b(7) << 6) | (b(6) << 7) | (((h >>> 3) & 7) << 1) | (b(2) << 5);
  return (v << 20) >> 20;
}
function cbOff(h: number): number {
  const v = (((h >>> 12) & 1) << 8) | (((h >>> 10) & 3) << 3) | (((h >>> 5) & 3) << 6) | (((h >>> 3) & 3) << 1) | (((h >>> 2) & 1) << 5);
  return (v << 23) >> 23;
}

/**
 * The H extension's "transformed instruction" for a trapping load/store (htinst): the standard-form instruction
 * with the address offset and immediate fields zeroed and bit 1 clear when the original was compressed.
 */
export function transformedInsn(insn: Insn): number {
  let std: number;
  if (insn.op === 'load') std = (insn.funct3 << 12) | (insn.rd << 7) | 0x03;
  else if (insn.op === 'store') std = (insn.rs2 << 20) | (insn.funct3 << 12) | 0x23;
  else return 0;
  return insn.len === 2 ? std & ~2 : std;
}
