import { describe, it, expect } from 'vitest';
import { decode as decodeRow, Decoded, insnLength, transformedInsn as transformed } from './decoder.js';

// Encodings assembled with riscv64-unknown-elf-as (-march=rv64imac_zicsr_zifencei); each word carries its source.
// The cases name each operation the way the hart's first decoder did (op, funct3 for widths and CSR forms, funct5
// for AMOs); `legacy` maps a table row to that naming, so the same cases check the table-driven decoder.

const AMO_ADD = 0x00, AMO_SWAP = 0x01, AMO_XOR = 0x04, AMO_OR = 0x08, AMO_AND = 0x0c;
const AMO_MIN = 0x10, AMO_MAX = 0x14, AMO_MINU = 0x18, AMO_MAXU = 0x1c;

interface Insn { op: string; rd: number; rs1: number; rs2: number; imm: number; funct3: number; funct5: number; len: 2 | 4; bits: number }

function legacy(d: Decoded): Insn {
  const k = d.row.kind, name = d.row.name, f3 = (d.row.match >>> 12) & 7;
  let op = name, funct3 = 0, funct5 = 0;
  if (k === 'load' || k === 'store') { op = k; funct3 = f3; }
  else if (name.startsWith('lr.') || name.startsWith('sc.')) { op = name.slice(0, 2); funct3 = f3; }
  else if (k === 'atomic') { op = 'amo'; funct3 = f3; funct5 = d.row.match >>> 27; }
  else if (name.startsWith('csrr')) { op = 'csr'; funct3 = f3; }
  return { op, rd: d.rd, rs1: d.rs1, rs2: d.rs2, imm: d.imm, funct3, funct5, len: d.len, bits: d.bits };
}

const decode = (bits: number): Insn => legacy(decodeRow(bits));
const transformedInsn = (i: Insn): number => transformed(decodeRow(i.bits));


/** The fields that define an operation (not its length or raw bits). */
const op = (i: Insn) => ({ op: i.op, rd: i.rd, rs1: i.rs1, rs2: i.rs2, imm: i.imm, funct3: i.funct3, funct5: i.funct5 });

describe('insnLength', () => {
  it('is 4 when the low two bits are 11, else 2', () => {
    expect(insnLength(0x0533)).toBe(4); // low half of add a0, a0, a1
    expect(insnLength(0x0505)).toBe(2); // c.addi a0, 1
    expect(insnLength(0x4501)).toBe(2); // c.li a0, 0
    expect(insnLength(0x8082)).toBe(2); // c.jr ra
    expect(insnLength(0x0000)).toBe(2);
  });
});

describe('decode: RV64I, M, A, Zicsr, Zifencei, system', () => {
  const cases: [number, Partial<Insn>][] = [
    [0x80000537, { op: 'lui', rd: 10, imm: 0x8000_0000 | 0 }], // lui a0, 0x80000
    [0x7fffffb7, { op: 'lui', rd: 31, imm: 0x7ffff000 }], // lui t6, 0x7ffff
    [0xfffff297, { op: 'auipc', rd: 5, imm: -4096 }], // auipc t0, 0xfffff
    [0x001000ef, { op: 'jal', rd: 1, imm: 2048 }], // jal ra, .+2048
    [0x8000006f, { op: 'jal', rd: 0, imm: -(1 << 20) }], // jal x0, .-0x100000
    [0x7ffff06f, { op: 'jal', rd: 0, imm: (1 << 20) - 2 }], // jal x0, .+0xffffe
    [0xfff580e7, { op: 'jalr', rd: 1, rs1: 11, imm: -1 }], // jalr ra, -1(a1)
    [0x00008067, { op: 'jalr', rd: 0, rs1: 1, imm: 0 }], // jalr x0, 0(ra)
    [0x00b50463, { op: 'beq', rs1: 10, rs2: 11, imm: 8 }], // beq a0, a1, .+8
    [0xfeb518e3, { op: 'bne', rs1: 10, rs2: 11, imm: -16 }], // bne a0, a1, .-16
    [0x8062c063, { op: 'blt', rs1: 5, rs2: 6, imm: -4096 }], // blt t0, t1, .-4096
    [0x7e62dfe3, { op: 'bge', rs1: 5, rs2: 6, imm: 4094 }], // bge t0, t1, .+4094
    [0x000fe163, { op: 'bltu', rs1: 31, rs2: 0, imm: 2 }], // bltu t6, x0, .+2
    [0xfff07fe3, { op: 'bgeu', rs1: 0, rs2: 31, imm: -2 }], // bgeu x0, t6, .-2
    [0x80058503, { op: 'load', rd: 10, rs1: 11, imm: -2048, funct3: 0 }], // lb a0, -2048(a1)
    [0x7ff59503, { op: 'load', rd: 10, rs1: 11, imm: 2047, funct3: 1 }], // lh a0, 2047(a1)
    [0xffc5a503, { op: 'load', rd: 10, rs1: 11, imm: -4, funct3: 2 }], // lw a0, -4(a1)
    [0x0085b503, { op: 'load', rd: 10, rs1: 11, imm: 8, funct3: 3 }], // ld a0, 8(a1)
    [0x0015c503, { op: 'load', rd: 10, rs1: 11, imm: 1, funct3: 4 }], // lbu a0, 1(a1)
    [0x0025d503, { op: 'load', rd: 10, rs1: 11, imm: 2, funct3: 5 }], // lhu a0, 2(a1)
    [0x0045e503, { op: 'load', rd: 10, rs1: 11, imm: 4, funct3: 6 }], // lwu a0, 4(a1)
    [0x80a58023, { op: 'store', rs1: 11, rs2: 10, imm: -2048, funct3: 0 }], // sb a0, -2048(a1)
    [0x7ea59fa3, { op: 'store', rs1: 11, rs2: 10, imm: 2047, funct3: 1 }], // sh a0, 2047(a1)
    [0xfea5afa3, { op: 'store', rs1: 11, rs2: 10, imm: -1, funct3: 2 }], // sw a0, -1(a1)
    [0x02113423, { op: 'store', rs1: 2, rs2: 1, imm: 40, funct3: 3 }], // sd ra, 40(sp)
    [0x80058513, { op: 'addi', rd: 10, rs1: 11, imm: -2048 }], // addi a0, a1, -2048
    [0xfff5a513, { op: 'slti', rd: 10, rs1: 11, imm: -1 }], // slti a0, a1, -1
    [0x7ff5b513, { op: 'sltiu', rd: 10, rs1: 11, imm: 2047 }], // sltiu a0, a1, 2047
    [0xfff5c513, { op: 'xori', rd: 10, rs1: 11, imm: -1 }], // xori a0, a1, -1
    [0x5555e513, { op: 'ori', rd: 10, rs1: 11, imm: 0x555 }], // ori a0, a1, 0x555
    [0xf005f513, { op: 'andi', rd: 10, rs1: 11, imm: -256 }], // andi a0, a1, -256
    [0x03f59513, { op: 'slli', rd: 10, rs1: 11, imm: 63 }], // slli a0, a1, 63
    [0x02059513, { op: 'slli', rd: 10, rs1: 11, imm: 32 }], // slli a0, a1, 32
    [0x0005d513, { op: 'srli', rd: 10, rs1: 11, imm: 0 }], // srli a0, a1, 0
    [0x03f5d513, { op: 'srli', rd: 10, rs1: 11, imm: 63 }], // srli a0, a1, 63
    [0x43f5d513, { op: 'srai', rd: 10, rs1: 11, imm: 63 }], // srai a0, a1, 63
    [0x4015d513, { op: 'srai', rd: 10, rs1: 11, imm: 1 }], // srai a0, a1, 1
    [0xfff5851b, { op: 'addiw', rd: 10, rs1: 11, imm: -1 }], // addiw a0, a1, -1
    [0x01f5951b, { op: 'slliw', rd: 10, rs1: 11, imm: 31 }], // slliw a0, a1, 31
    [0x01f5d51b, { op: 'srliw', rd: 10, rs1: 11, imm: 31 }], // srliw a0, a1, 31
    [0x41f5d51b, { op: 'sraiw', rd: 10, rs1: 11, imm: 31 }], // sraiw a0, a1, 31
    [0x00c58533, { op: 'add', rd: 10, rs1: 11, rs2: 12 }], // add a0, a1, a2
    [0x40c58533, { op: 'sub', rd: 10, rs1: 11, rs2: 12 }], // sub a0, a1, a2
    [0x00c59533, { op: 'sll', rd: 10, rs1: 11, rs2: 12 }], // sll a0, a1, a2
    [0x00c5a533, { op: 'slt', rd: 10, rs1: 11, rs2: 12 }], // slt a0, a1, a2
    [0x00c5b533, { op: 'sltu', rd: 10, rs1: 11, rs2: 12 }], // sltu a0, a1, a2
    [0x00c5c533, { op: 'xor', rd: 10, rs1: 11, rs2: 12 }], // xor a0, a1, a2
    [0x00c5d533, { op: 'srl', rd: 10, rs1: 11, rs2: 12 }], // srl a0, a1, a2
    [0x40c5d533, { op: 'sra', rd: 10, rs1: 11, rs2: 12 }], // sra a0, a1, a2
    [0x00c5e533, { op: 'or', rd: 10, rs1: 11, rs2: 12 }], // or a0, a1, a2
    [0x00c5f533, { op: 'and', rd: 10, rs1: 11, rs2: 12 }], // and a0, a1, a2
    [0x00c5853b, { op: 'addw', rd: 10, rs1: 11, rs2: 12 }], // addw a0, a1, a2
    [0x40c5853b, { op: 'subw', rd: 10, rs1: 11, rs2: 12 }], // subw a0, a1, a2
    [0x00c5953b, { op: 'sllw', rd: 10, rs1: 11, rs2: 12 }], // sllw a0, a1, a2
    [0x00c5d53b, { op: 'srlw', rd: 10, rs1: 11, rs2: 12 }], // srlw a0, a1, a2
    [0x40c5d53b, { op: 'sraw', rd: 10, rs1: 11, rs2: 12 }], // sraw a0, a1, a2
    [0x02c58533, { op: 'mul', rd: 10, rs1: 11, rs2: 12 }], // mul a0, a1, a2
    [0x02c59533, { op: 'mulh', rd: 10, rs1: 11, rs2: 12 }], // mulh a0, a1, a2
    [0x02c5a533, { op: 'mulhsu', rd: 10, rs1: 11, rs2: 12 }], // mulhsu a0, a1, a2
    [0x02c5b533, { op: 'mulhu', rd: 10, rs1: 11, rs2: 12 }], // mulhu a0, a1, a2
    [0x02c5c533, { op: 'div', rd: 10, rs1: 11, rs2: 12 }], // div a0, a1, a2
    [0x02c5d533, { op: 'divu', rd: 10, rs1: 11, rs2: 12 }], // divu a0, a1, a2
    [0x02c5e533, { op: 'rem', rd: 10, rs1: 11, rs2: 12 }], // rem a0, a1, a2
    [0x02c5f533, { op: 'remu', rd: 10, rs1: 11, rs2: 12 }], // remu a0, a1, a2
    [0x02c5853b, { op: 'mulw', rd: 10, rs1: 11, rs2: 12 }], // mulw a0, a1, a2
    [0x02c5c53b, { op: 'divw', rd: 10, rs1: 11, rs2: 12 }], // divw a0, a1, a2
    [0x02c5d53b, { op: 'divuw', rd: 10, rs1: 11, rs2: 12 }], // divuw a0, a1, a2
    [0x02c5e53b, { op: 'remw', rd: 10, rs1: 11, rs2: 12 }], // remw a0, a1, a2
    [0x02c5f53b, { op: 'remuw', rd: 10, rs1: 11, rs2: 12 }], // remuw a0, a1, a2
    [0x1005a52f, { op: 'lr', rd: 10, rs1: 11, funct3: 2 }], // lr.w a0, (a1)
    [0x1605b52f, { op: 'lr', rd: 10, rs1: 11, funct3: 3 }], // lr.d.aqrl a0, (a1)
    [0x18c5a52f, { op: 'sc', rd: 10, rs1: 11, rs2: 12, funct3: 2 }], // sc.w a0, a2, (a1)
    [0x1ac5b52f, { op: 'sc', rd: 10, rs1: 11, rs2: 12, funct3: 3 }], // sc.d.rl a0, a2, (a1)
    [0x08c5a52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 2, funct5: AMO_SWAP }], // amoswap.w a0, a2, (a1)
    [0x04c5a52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 2, funct5: AMO_ADD }], // amoadd.w.aq a0, a2, (a1)
    [0x20c5b52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 3, funct5: AMO_XOR }], // amoxor.d a0, a2, (a1)
    [0x60c5b52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 3, funct5: AMO_AND }], // amoand.d a0, a2, (a1)
    [0x40c5a52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 2, funct5: AMO_OR }], // amoor.w a0, a2, (a1)
    [0x80c5b52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 3, funct5: AMO_MIN }], // amomin.d a0, a2, (a1)
    [0xa0c5a52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 2, funct5: AMO_MAX }], // amomax.w a0, a2, (a1)
    [0xc0c5b52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 3, funct5: AMO_MINU }], // amominu.d a0, a2, (a1)
    [0xe6c5a52f, { op: 'amo', rd: 10, rs1: 11, rs2: 12, funct3: 2, funct5: AMO_MAXU }], // amomaxu.w.aqrl a0, a2, (a1)
    [0x0330000f, { op: 'fence' }], // fence rw, rw
    [0x8330000f, { op: 'fence' }], // fence.tso
    [0x0000100f, { op: 'fence.i' }], // fence.i
    [0x00000073, { op: 'ecall' }], // ecall
    [0x00100073, { op: 'ebreak' }], // ebreak
    [0x10200073, { op: 'sret' }], // sret
    [0x10500073, { op: 'wfi' }], // wfi
    [0x12b50073, { op: 'sfence.vma', rs1: 10, rs2: 11 }], // sfence.vma a0, a1
    [0x12000073, { op: 'sfence.vma', rs1: 0, rs2: 0 }], // sfence.vma x0, x0
    [0x14059573, { op: 'csr', rd: 10, rs1: 11, imm: 0x140, funct3: 1 }], // csrrw a0, sscratch, a1
    [0xc0002573, { op: 'csr', rd: 10, rs1: 0, imm: 0xc00, funct3: 2 }], // csrrs a0, cycle, x0
    [0x1005b073, { op: 'csr', rd: 0, rs1: 11, imm: 0x100, funct3: 3 }], // csrrc x0, sstatus, a1
    [0x105fd573, { op: 'csr', rd: 10, rs1: 31, imm: 0x105, funct3: 5 }], // csrrwi a0, stvec, 31
    [0x14416573, { op: 'csr', rd: 10, rs1: 2, imm: 0x144, funct3: 6 }], // csrrsi a0, sip, 2
    [0xfff0f573, { op: 'csr', rd: 10, rs1: 1, imm: 0xfff, funct3: 7 }], // csrrci a0, 0xfff, 1
  ];
  for (const [bits, want] of cases) {
    it(`0x${(bits >>> 0).toString(16).padStart(8, '0')} → ${want.op}`, () => {
      const insn = decode(bits);
      expect(insn).toMatchObject({ ...want, len: 4, bits: bits | 0 });
    });
  }

  it('fields a form does not use are zero', () => {
    expect(op(decode(0x800005b7))).toEqual({ op: 'lui', rd: 11, rs1: 0, rs2: 0, imm: 0x8000_0000 | 0, funct3: 0, funct5: 0 }); // lui a1, 0x80000
    expect(op(decode(0x00b50463))).toEqual({ op: 'beq', rd: 0, rs1: 10, rs2: 11, imm: 8, funct3: 0, funct5: 0 }); // beq a0, a1, .+8
  });

  const illegal: [number, string][] = [
    [0x00000000, 'all zeros (compressed, reserved)'],
    [0xffffffff, 'all ones'],
    [0x0005f503, 'LOAD with funct3 = 7'],
    [0x00a5c023, 'STORE with funct3 = 4'],
    [0x4005951b, 'slliw with funct7 = 0x20'],
    [0x0205951b, 'slliw with shamt[5] set (reserved in RV64)'],
    [0x0205d51b, 'srliw with shamt[5] set'],
    [0x4205d51b, 'sraiw with shamt[5] set'],
    [0x40059513, 'slli with funct6 = 0x10'],
    [0x20059513, 'slli with funct6 = 0x08'],
    [0x2005d513, 'srli with funct6 = 0x08'],
    [0x04c58533, 'OP with funct7 = 2'],
    [0x40c5b533, 'OP funct7 = 0x20 with funct3 = sltu'], // (with funct3 = xor it is Zbb's xnor)
    [0x00c5a53b, 'OP-32 funct3 = 2'],
    [0x02c5953b, 'OP-32 funct7 = 1 (M) with funct3 = 1'],
    [0x40c5953b, 'OP-32 funct7 = 0x20 with funct3 = 1'],
    [0x1015a52f, 'lr.w with rs2 != 0'],
    [0x00c5852f, 'AMO with funct3 = 0'],
    [0x00c5c52f, 'AMO with funct3 = 4'],
    [0x28c5a52f, 'AMO with funct5 = 0x05 (unassigned)'],
    [0x0000200f, 'MISC-MEM funct3 = 2'],
    [0x30200073, 'mret'],
    [0x7b200073, 'dret'],
    [0x00200073, 'uret'],
    [0x12a580f3, 'sfence.vma with rd != 0'],
    [0x1405c573, 'SYSTEM funct3 = 4'],
    [0x0005a567, 'jalr with funct3 = 2'],
    [0x00b52063, 'branch funct3 = 2'],
    [0x00b53063, 'branch funct3 = 3'],
    [0x0000007f, 'opcode 0x7f'],
    [0x00004007, 'FLQ (no Q extension)'],
    [0x04000053, 'OP-FP with fmt = half precision (no Zfh)'],
    [0x48000053, 'OP-FP with a reserved funct5'],
  ];
  for (const [bits, what] of illegal) {
    it(`illegal: ${what}`, () => {
      const insn = decode(bits);
      expect(insn.op).toBe('illegal');
      expect(insn.bits).toBe((bits & 3) === 3 ? bits | 0 : bits & 0xffff);
    });
  }
});

describe('decode: RV64C expands to the operation it stands for', () => {
  // [compressed, 32-bit equivalent]: the decoded operation must be the same, with len 2 and the 16-bit bits.
  const pairs: [number, number][] = [
    [0x0048, 0x00410513], // c.addi4spn a0, sp, 4  ~  addi a0, sp, 4
    [0x1fe4, 0x3fc10493], // c.addi4spn s1, sp, 1020  ~  addi s1, sp, 1020
    [0x411c, 0x00052783], // c.lw a5, 0(a0)  ~  lw a5, 0(a0)
    [0x5fe0, 0x07c7a403], // c.lw s0, 124(a5)  ~  lw s0, 124(a5)
    [0x7cf8, 0x0f84b703], // c.ld a4, 248(s1)  ~  ld a4, 248(s1)
    [0x6588, 0x0085b503], // c.ld a0, 8(a1)  ~  ld a0, 8(a1)
    [0xc2b0, 0x04c6a023], // c.sw a2, 64(a3)  ~  sw a2, 64(a3)
    [0xdfe0, 0x0687ae23], // c.sw s0, 124(a5)  ~  sw s0, 124(a5)
    [0xfc7c, 0x0ef43c23], // c.sd a5, 248(s0)  ~  sd a5, 248(s0)
    [0x0001, 0x00000013], // c.nop  ~  addi x0, x0, 0
    [0x1501, 0xfe050513], // c.addi a0, -32  ~  addi a0, a0, -32
    [0x0ffd, 0x01ff8f93], // c.addi t6, 31  ~  addi t6, t6, 31
    [0x357d, 0xfff5051b], // c.addiw a0, -1  ~  addiw a0, a0, -1
    [0x2081, 0x0000809b], // c.addiw ra, 0  ~  addiw ra, ra, 0
    [0x5781, 0xfe000793], // c.li a5, -32  ~  addi a5, x0, -32
    [0x42fd, 0x01f00293], // c.li t0, 31  ~  addi t0, x0, 31
    [0x7101, 0xe0010113], // c.addi16sp sp, -512  ~  addi sp, sp, -512
    [0x617d, 0x1f010113], // c.addi16sp sp, 496  ~  addi sp, sp, 496
    [0x6141, 0x01010113], // c.addi16sp sp, 16  ~  addi sp, sp, 16
    [0x6505, 0x00001537], // c.lui a0, 1  ~  lui a0, 1
    [0x7501, 0xfffe0537], // c.lui a0, 0xfffe0  ~  lui a0, 0xfffe0
    [0x6ffd, 0x0001ffb7], // c.lui t6, 0x1f  ~  lui t6, 0x1f
    [0x917d, 0x03f55513], // c.srli a0, 63  ~  srli a0, a0, 63
    [0x8085, 0x0014d493], // c.srli s1, 1  ~  srli s1, s1, 1
    [0x9781, 0x4207d793], // c.srai a5, 32  ~  srai a5, a5, 32
    [0x9901, 0xfe057513], // c.andi a0, -32  ~  andi a0, a0, -32
    [0x887d, 0x01f47413], // c.andi s0, 31  ~  andi s0, s0, 31
    [0x8d0d, 0x40b50533], // c.sub a0, a1  ~  sub a0, a0, a1
    [0x8c3d, 0x00f44433], // c.xor s0, a5  ~  xor s0, s0, a5
    [0x8e55, 0x00d66633], // c.or a2, a3  ~  or a2, a2, a3
    [0x8f65, 0x00977733], // c.and a4, s1  ~  and a4, a4, s1
    [0x9d0d, 0x40b5053b], // c.subw a0, a1  ~  subw a0, a0, a1
    [0x9fa1, 0x008787bb], // c.addw a5, s0  ~  addw a5, a5, s0
    [0xb001, 0x801ff06f], // c.j .-2048  ~  jal x0, .-2048
    [0xaffd, 0x7fe0006f], // c.j .+2046  ~  jal x0, .+2046
    [0xa46d, 0x2aa0006f], // c.j .+0x2aa  ~  jal x0, .+0x2aa
    [0xd101, 0xf00500e3], // c.beqz a0, .-256  ~  beq a0, x0, .-256
    [0xccfd, 0x0e048f63], // c.beqz s1, .+254  ~  beq s1, x0, .+254
    [0xe7cd, 0x0a079563], // c.bnez a5, .+0xaa  ~  bne a5, x0, .+0xaa
    [0x157e, 0x03f51513], // c.slli a0, 63  ~  slli a0, a0, 63
    [0x0f86, 0x001f9f93], // c.slli t6, 1  ~  slli t6, t6, 1
    [0x557e, 0x0fc12503], // c.lwsp a0, 252(sp)  ~  lw a0, 252(sp)
    [0x4082, 0x00012083], // c.lwsp ra, 0(sp)  ~  lw ra, 0(sp)
    [0x7ffe, 0x1f813f83], // c.ldsp t6, 504(sp)  ~  ld t6, 504(sp)
    [0x60a2, 0x00813083], // c.ldsp ra, 8(sp)  ~  ld ra, 8(sp)
    [0x8082, 0x00008067], // c.jr ra  ~  jalr x0, 0(ra)
    [0x8f82, 0x000f8067], // c.jr t6  ~  jalr x0, 0(t6)
    [0x852e, 0x00b00533], // c.mv a0, a1  ~  add a0, x0, a1
    [0x9002, 0x00100073], // c.ebreak  ~  ebreak
    [0x9782, 0x000780e7], // c.jalr a5  ~  jalr ra, 0(a5)
    [0x9082, 0x000080e7], // c.jalr ra  ~  jalr ra, 0(ra)
    [0x9faa, 0x00af8fb3], // c.add t6, a0  ~  add t6, t6, a0
    [0xdfaa, 0x0ea12e23], // c.swsp a0, 252(sp)  ~  sw a0, 252(sp)
    [0xc206, 0x00112223], // c.swsp ra, 4(sp)  ~  sw ra, 4(sp)
    [0xfffe, 0x1ff13c23], // c.sdsp t6, 504(sp)  ~  sd t6, 504(sp)
    [0xe422, 0x00813423], // c.sdsp s0, 8(sp)  ~  sd s0, 8(sp)
  ];
  for (const [c, full] of pairs) {
    it(`0x${c.toString(16).padStart(4, '0')} ≡ 0x${(full >>> 0).toString(16).padStart(8, '0')}`, () => {
      const ci = decode(c), fi = decode(full);
      expect(fi.op).not.toBe('illegal');
      expect(op(ci)).toEqual(op(fi));
      expect(ci.len).toBe(2);
      expect(ci.bits).toBe(c);
    });
  }

  it('decodes only the low 16 bits of a compressed word', () => {
    expect(op(decode(0xdead_0505 | 0))).toEqual(op(decode(0x0505))); // c.addi a0, 1 with junk above
  });

  // Reserved encodings (RVC spec, table of reserved/"RES" entries) and instructions of absent extensions.
  const reserved: [number, string][] = [
    [0x0000, 'the all-zero halfword'],
    [0x0004, 'c.addi4spn with nzuimm = 0'],
    [0x4002, 'c.lwsp with rd = 0'],
    [0x6002, 'c.ldsp with rd = 0'],
    [0x8002, 'c.jr with rs1 = 0'],
    [0x2001, 'c.addiw with rd = 0'],
    [0x6501, 'c.lui with nzimm = 0'],
    [0x6101, 'c.addi16sp with nzimm = 0'],
    [0x9d41, 'c.subw-space funct2 = 10 (reserved)'],
    [0x9d61, 'c.subw-space funct2 = 11 (reserved)'],
    [0x8000, 'quadrant 0 funct3 = 4 (reserved)'],
  ];
  for (const [h, what] of reserved) {
    it(`illegal: ${what}`, () => {
      const insn = decode(h);
      expect(insn.op).toBe('illegal');
      expect(insn.len).toBe(2);
      expect(insn.bits).toBe(h);
    });
  }

  it('HINT encodings execute as no-ops (decode to operations on x0 or with no effect)', () => {
    expect(op(decode(0x0001))).toMatchObject({ op: 'addi', rd: 0 }); // c.nop
    expect(op(decode(0x0005))).toMatchObject({ op: 'addi', rd: 0 }); // c.addi x0, 1 (HINT)
    expect(op(decode(0x4005))).toMatchObject({ op: 'addi', rd: 0 }); // c.li x0, 1 (HINT)
    expect(op(decode(0x0006))).toMatchObject({ op: 'slli', rd: 0 }); // c.slli x0, 1 (HINT)
    expect(op(decode(0x802a))).toMatchObject({ op: 'add', rd: 0 }); // c.mv x0, a0 (HINT)
  });
});

describe('transformedInsn (htinst for a trapping load/store, H extension)', () => {
  it('keeps rd/rs2 and the width, zeroes rs1 and the offset', () => {
    expect(transformedInsn(decode(0x0085b503))).toBe(0x00003503); // ld a0, 8(a1)
    expect(transformedInsn(decode(0xfff44f83))).toBe(0x00004f83); // lbu t6, -1(s0)
    expect(transformedInsn(decode(0x00001083))).toBe(0x00001083); // lh ra, 0(x0)
    expect(transformedInsn(decode(0x7ff5e503))).toBe(0x00006503); // lwu a0, 2047(a1)
    expect(transformedInsn(decode(0xfec6b823))).toBe(0x00c03023); // sd a2, -16(a3)
    expect(transformedInsn(decode(0x01f500a3))).toBe(0x01f00023); // sb t6, 1(a0)
    expect(transformedInsn(decode(0x00a11123))).toBe(0x00a01023); // sh a0, 2(sp)
    expect(transformedInsn(decode(0x00a5a023))).toBe(0x00a02023); // sw a0, 0(a1)
  });
  it('clears bit 1 for compressed forms', () => {
    expect(transformedInsn(decode(0x41c0))).toBe(0x00002401); // c.lw s0, 4(a1)
    expect(transformedInsn(decode(0x6588))).toBe(0x00003501); // c.ld a0, 8(a1)
    expect(transformedInsn(decode(0x4532))).toBe(0x00002501); // c.lwsp a0, 12(sp)
    expect(transformedInsn(decode(0xc114))).toBe(0x00d02021); // c.sw a3, 0(a0)
    expect(transformedInsn(decode(0xe47e))).toBe(0x01f03021); // c.sdsp t6, 8(sp)
  });
  it('is 0 for anything else', () => {
    expect(transformedInsn(decode(0x00b50533))).toBe(0); // add a0, a0, a1
    expect(transformedInsn(decode(0x00000073))).toBe(0); // ecall
  });
});
