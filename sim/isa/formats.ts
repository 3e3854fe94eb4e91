/**
 * Operand formats: which fields an encoding carries, how to extract them from an instruction word and how to put
 * them back (the decoder, the disassembler and the tests' assembler all use these).
 */
export type Format =
  | 'R' // rd, rs1, rs2
  | 'R1' // rd, rs1 (the unary bit-manipulation forms: clz, sext.b, rev8, ...; rs2 is part of the opcode)
  | 'I' // rd, rs1, imm[11:0]
  | 'SH6' // rd, rs1, shamt[5:0]
  | 'SH5' // rd, rs1, shamt[4:0]
  | 'L' // a load: rd, imm(rs1)
  | 'S' // a store: rs2, imm(rs1)
  | 'B' // rs1, rs2, pc-relative target
  | 'U' // rd, imm[31:12] (imm holds the value, low 12 bits clear)
  | 'J' // rd, pc-relative target
  | 'JALR' // rd, imm(rs1)
  | 'CSR' // rd, csr (imm, unsigned), rs1
  | 'CSRI' // rd, csr (imm, unsigned), zimm (in rs1)
  | 'AMO' // rd, rs2, (rs1); aq/rl in rm (bit 1 aq, bit 0 rl)
  | 'LR' // rd, (rs1); aq/rl in rm
  | 'N' // no operands
  | 'FENCE' // pred (rs2 field holds it) and succ (rs1 field), fm in rm
  | 'SFENCE' // rs1, rs2
  // Floating point (F, D). The whole word is kept in imm (an illegal rounding mode's stval).
  | 'FR' // rd, rs1, rs2, rm
  | 'FR4' // rd, rs1, rs2, rs3, rm
  | 'FR1' // rd, rs1, rm
  | 'FRN' // rd, rs1, rs2 (funct3 fixed)
  | 'FR1N'; // rd, rs1 (funct3 fixed)

export interface Fields {
  rd: number;
  rs1: number;
  rs2: number;
  rs3: number;
  rm: number;
  imm: number;
}

export const noFields = (): Fields => ({ rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, imm: 0 });

const immI = (b: number): number => b >> 20;
const immS = (b: number): number => ((b >> 25) << 5) | ((b >>> 7) & 0x1f);
const immB = (b: number): number =>
  ((b >> 31) << 12) | (((b >>> 7) & 1) << 11) | (((b >>> 25) & 0x3f) << 5) | (((b >>> 8) & 0xf) << 1);
const immJ = (b: number): number =>
  ((b >> 31) << 20) | (((b >>> 12) & 0xff) << 12) | (((b >>> 20) & 1) << 11) | (((b >>> 21) & 0x3ff) << 1);

/** The fields of a 32-bit instruction word in this format. */
export function extract(format: Format, b: number): Fields {
  const f = noFields();
  const rd = (b >>> 7) & 31, rs1 = (b >>> 15) & 31, rs2 = (b >>> 20) & 31;
  switch (format) {
    case 'R': case 'SFENCE': f.rd = rd; f.rs1 = rs1; f.rs2 = rs2; break;
    case 'R1': f.rd = rd; f.rs1 = rs1; break;
    case 'I': case 'L': case 'JALR': f.rd = rd; f.rs1 = rs1; f.imm = immI(b); break;
    case 'SH6': f.rd = rd; f.rs1 = rs1; f.imm = (b >>> 20) & 63; break;
    case 'SH5': f.rd = rd; f.rs1 = rs1; f.imm = (b >>> 20) & 31; break;
    case 'S': f.rs1 = rs1; f.rs2 = rs2; f.imm = immS(b); break;
    case 'B': f.rs1 = rs1; f.rs2 = rs2; f.imm = immB(b); break;
    case 'U': f.rd = rd; f.imm = b & 0xfffff000; break;
    case 'J': f.rd = rd; f.imm = immJ(b); break;
    case 'CSR': case 'CSRI': f.rd = rd; f.rs1 = rs1; f.imm = b >>> 20; break;
    case 'AMO': f.rd = rd; f.rs1 = rs1; f.rs2 = rs2; f.rm = (b >>> 25) & 3; break;
    case 'LR': f.rd = rd; f.rs1 = rs1; f.rm = (b >>> 25) & 3; break;
    case 'FENCE': f.rs2 = (b >>> 24) & 15; f.rs1 = (b >>> 20) & 15; f.rm = (b >>> 28) & 15; break;
    case 'FR': f.rd = rd; f.rs1 = rs1; f.rs2 = rs2; f.rm = (b >>> 12) & 7; f.imm = b; break;
    case 'FR4': f.rd = rd; f.rs1 = rs1; f.rs2 = rs2; f.rs3 = (b >>> 27) & 31; f.rm = (b >>> 12) & 7; f.imm = b; break;
    case 'FR1': f.rd = rd; f.rs1 = rs1; f.rm = (b >>> 12) & 7; f.imm = b; break;
    case 'FRN': f.rd = rd; f.rs1 = rs1; f.rs2 = rs2; f.imm = b; break;
    case 'FR1N': f.rd = rd; f.rs1 = rs1; f.imm = b; break;
    case 'N': break;
  }
  return f;
}

/** The instruction word of `match` with these fields put in (the inverse of extract, for the assembler). */
export function insert(format: Format, match: number, f: Fields): number {
  let b = match;
  const rd = (f.rd & 31) << 7, rs1 = (f.rs1 & 31) << 15, rs2 = (f.rs2 & 31) << 20;
  const imm = f.imm;
  switch (format) {
    case 'R': case 'SFENCE': b |= rd | rs1 | rs2; break;
    case 'R1': b |= rd | rs1; break;
    case 'I': case 'L': case 'JALR': b |= rd | rs1 | ((imm & 0xfff) << 20); break;
    case 'SH6': b |= rd | rs1 | ((imm & 63) << 20); break;
    case 'SH5': b |= rd | rs1 | ((imm & 31) << 20); break;
    case 'S': b |= rs1 | rs2 | (((imm >>> 5) & 0x7f) << 25) | ((imm & 0x1f) << 7); break;
    case 'B':
      b |= rs1 | rs2 | (((imm >>> 12) & 1) << 31) | (((imm >>> 5) & 0x3f) << 25) | (((imm >>> 1) & 0xf) << 8) |
        (((imm >>> 11) & 1) << 7);
      break;
    case 'U': b |= rd | (imm & 0xfffff000); break;
    case 'J':
      b |= rd | (((imm >>> 20) & 1) << 31) | (((imm >>> 1) & 0x3ff) << 21) | (((imm >>> 11) & 1) << 20) |
        (((imm >>> 12) & 0xff) << 12);
      break;
    case 'CSR': case 'CSRI': b |= rd | rs1 | ((imm & 0xfff) << 20); break;
    case 'AMO': b |= rd | rs1 | rs2 | ((f.rm & 3) << 25); break;
    case 'LR': b |= rd | rs1 | ((f.rm & 3) << 25); break;
    case 'FENCE': b |= ((f.rm & 15) << 28) | ((f.rs2 & 15) << 24) | ((f.rs1 & 15) << 20); break;
    case 'FR': b |= rd | rs1 | rs2 | ((f.rm & 7) << 12); break;
    case 'FR4': b |= rd | rs1 | rs2 | ((f.rs3 & 31) << 27) | ((f.rm & 7) << 12); break;
    case 'FR1': b |= rd | rs1 | ((f.rm & 7) << 12); break;
    case 'FRN': b |= rd | rs1 | rs2; break;
    case 'FR1N': b |= rd | rs1; break;
    case 'N': break;
  }
  return b | 0;
}
