import { describe, it, expect } from 'vitest';
import { Hart, Stop } from './hart.js';
import {
  a0, a1, a2, a3, a4, a5, BASE, dump, INT32_MIN, INT64_MAX, INT64_MIN, load, place, RAM_BASE, ra, regs, s0, s1, sext32, sp,
  t6, u64, withRegs, zero,
} from './test-helpers.js';

// RV64I integer computation, LUI/AUIPC, control transfer, the M extension and the RVC forms of all of these, run
// on the hart one instruction at a time from 0x8000_0000. Words were assembled with riscv64-unknown-elf-as.

type Regs = Record<number, bigint>;
const SMALL_RAM = 64 << 10;

/** Runs the single instruction `word` with `inputs`; checks that exactly `out` changed, the pc and the count. */
function one(word: number, inputs: Regs, out: Regs, nextPc?: bigint): Hart {
  const { hart } = load([word], inputs, SMALL_RAM);
  const before = regs(hart);
  expect(hart.run(1)).toBe(Stop.Budget);
  expect(hart.icount).toBe(1);
  expect(dump(regs(hart))).toEqual(dump(withRegs(before, out)));
  expect(hart.pc).toBe(nextPc ?? BASE + ((word & 3) === 3 ? 4n : 2n));
  return hart;
}

type Case = [what: string, word: number, inputs: Regs, out: Regs];

function cases(list: Case[]): void {
  for (const [what, word, inputs, out] of list) it(what, () => one(word, inputs, out));
}

// Shift operands: V has bit 63 clear, W has it set.
const V = 0x0123_4567_89ab_cdefn;
const W = 0x8765_4321_0fed_cba9n;
const shl = (x: bigint, s: bigint): bigint => u64(x << s);
const shr = (x: bigint, s: bigint): bigint => u64(x) >> s;
const sar = (x: bigint, s: bigint): bigint => u64(BigInt.asIntN(64, x) >> s);

describe('RV64I register-register', () => {
  cases([
    ['add', 0x00c58533, { [a1]: 1n, [a2]: 2n }, { [a0]: 3n }], // add a0, a1, a2
    ['add carries into the high word', 0x00c58533, { [a1]: 0xffff_ffffn, [a2]: 1n }, { [a0]: 0x1_0000_0000n }], // add a0, a1, a2
    ['add wraps at 2^63', 0x00c58533, { [a1]: INT64_MAX, [a2]: 1n }, { [a0]: INT64_MIN }], // add a0, a1, a2
    ['add wraps at 2^64', 0x00c58533, { [a1]: -1n, [a2]: 1n }, { [a0]: 0n }], // add a0, a1, a2
    ['add negative', 0x00c58533, { [a1]: -1n, [a2]: -1n }, { [a0]: -2n }], // add a0, a1, a2
    ['add with rd = rs1 = rs2', 0x00a50533, { [a0]: 0x8000_0000_8000_0000n }, { [a0]: 0x1_0000_0000n }], // add a0, a0, a0
    ['add to x0 changes nothing', 0x00c58033, { [a1]: 1n, [a2]: 2n }, {}], // add x0, a1, a2
    ['sub borrows from the high word', 0x40c58533, { [a1]: 0x1_0000_0000n, [a2]: 1n }, { [a0]: 0xffff_ffffn }], // sub a0, a1, a2
    ['sub below zero', 0x40c58533, { [a1]: 0n, [a2]: 1n }, { [a0]: -1n }], // sub a0, a1, a2
    ['sub wraps at -2^63', 0x40c58533, { [a1]: INT64_MIN, [a2]: 1n }, { [a0]: INT64_MAX }], // sub a0, a1, a2
    ['sub with rd = rs1 = rs2', 0x40a50533, { [a0]: 0x1234_5678_9abc_def0n }, { [a0]: 0n }], // sub a0, a0, a0
    ['sub rs2 = rd', 0x40c58633, { [a1]: 10n, [a2]: 3n }, { [a2]: 7n }], // sub a2, a1, a2
    ['slt -1 < 1', 0x00c5a533, { [a1]: -1n, [a2]: 1n }, { [a0]: 1n }], // slt a0, a1, a2
    ['slt 1 < -1 is false', 0x00c5a533, { [a1]: 1n, [a2]: -1n }, { [a0]: 0n }], // slt a0, a1, a2
    ['slt equal is false', 0x00c5a533, { [a1]: -5n, [a2]: -5n }, { [a0]: 0n }], // slt a0, a1, a2
    ['slt high word decides', 0x00c5a533, { [a1]: 0x1_0000_0000n, [a2]: 0xffff_ffffn }, { [a0]: 0n }], // slt a0, a1, a2
    ['slt low word compares unsigned', 0x00c5a533, { [a1]: 0x7fff_ffffn, [a2]: 0x8000_0000n }, { [a0]: 1n }], // slt a0, a1, a2
    ['slt MIN < MAX', 0x00c5a533, { [a1]: INT64_MIN, [a2]: INT64_MAX }, { [a0]: 1n }], // slt a0, a1, a2
    ['sltu -1 < 1 is false', 0x00c5b533, { [a1]: -1n, [a2]: 1n }, { [a0]: 0n }], // sltu a0, a1, a2
    ['sltu 1 < -1', 0x00c5b533, { [a1]: 1n, [a2]: -1n }, { [a0]: 1n }], // sltu a0, a1, a2
    ['sltu across the words', 0x00c5b533, { [a1]: 0xffff_ffffn, [a2]: 0x1_0000_0000n }, { [a0]: 1n }], // sltu a0, a1, a2
    ['sltu low word', 0x00c5b533, { [a1]: 0x8000_0000n, [a2]: 0x7fff_ffffn }, { [a0]: 0n }], // sltu a0, a1, a2
    ['sltu x0 < rs2 (snez)', 0x00c03533, { [a2]: 0x1_0000_0000n }, { [a0]: 1n }], // sltu a0, x0, a2
    ['xor', 0x00c5c533, { [a1]: 0xff00_ff00_f0f0_f0f0n, [a2]: 0x0ff0_0ff0_ffff_0000n }, { [a0]: 0xf0f0_f0f0_0f0f_f0f0n }], // xor a0, a1, a2
    ['or', 0x00c5e533, { [a1]: 0xff00_0000_0000_00f0n, [a2]: 0x00ff_0000_0000_000fn }, { [a0]: 0xffff_0000_0000_00ffn }], // or a0, a1, a2
    ['and', 0x00c5f533, { [a1]: 0xff00_ff00_ffff_0000n, [a2]: 0x0ff0_0ff0_f0f0_f0f0n }, { [a0]: 0x0f00_0f00_f0f0_0000n }], // and a0, a1, a2
  ]);

  describe('64-bit shifts by a register (amount = rs2 & 63)', () => {
    for (const s of [0n, 1n, 31n, 32n, 33n, 63n, 64n, 65n, -1n]) {
      const amt = s & 63n;
      it(`sll/srl/sra by ${s}`, () => {
        one(0x00c59533, { [a1]: V, [a2]: s }, { [a0]: shl(V, amt) }); // sll a0, a1, a2
        one(0x00c59533, { [a1]: W, [a2]: s }, { [a0]: shl(W, amt) }); // sll a0, a1, a2
        one(0x00c5d533, { [a1]: W, [a2]: s }, { [a0]: shr(W, amt) }); // srl a0, a1, a2
        one(0x00c5d533, { [a1]: V, [a2]: s }, { [a0]: shr(V, amt) }); // srl a0, a1, a2
        one(0x40c5d533, { [a1]: W, [a2]: s }, { [a0]: sar(W, amt) }); // sra a0, a1, a2
        one(0x40c5d533, { [a1]: V, [a2]: s }, { [a0]: sar(V, amt) }); // sra a0, a1, a2
      });
    }
    it('shift with rd = rs1 = rs2', () => {
      one(0x00a51533, { [a0]: 33n }, { [a0]: 33n << 33n }); // sll a0, a0, a0
    });
  });
});

describe('RV64I register-immediate', () => {
  cases([
    ['addi borrow from the high word', 0xfff58513, { [a1]: 0x1_0000_0000n }, { [a0]: 0xffff_ffffn }], // addi a0, a1, -1
    ['addi carry into the high word', 0x00158513, { [a1]: 0xffff_ffffn }, { [a0]: 0x1_0000_0000n }], // addi a0, a1, 1
    ['addi max immediate', 0x7ff58513, { [a1]: -1n }, { [a0]: 2046n }], // addi a0, a1, 2047
    ['addi min immediate', 0x80058513, { [a1]: 0n }, { [a0]: -2048n }], // addi a0, a1, -2048
    ['addi from x0 (li)', 0xfff00513, {}, { [a0]: -1n }], // addi a0, x0, -1
    ['addi 0 (mv) keeps all 64 bits', 0x00058513, { [a1]: W }, { [a0]: W }], // addi a0, a1, 0
    ['addi to x0 (nop)', 0x00100013, {}, {}], // addi x0, x0, 1
    ['slti negative < 0', 0x0005a513, { [a1]: -1n }, { [a0]: 1n }], // slti a0, a1, 0
    ['slti 0 < -1 is false', 0xfff5a513, { [a1]: 0n }, { [a0]: 0n }], // slti a0, a1, -1
    ['slti high word set', 0xfff5a513, { [a1]: 0x1_0000_0000n }, { [a0]: 0n }], // slti a0, a1, -1
    ['slti -2049 < -2048', 0x8005a513, { [a1]: -2049n }, { [a0]: 1n }], // slti a0, a1, -2048
    ['slti equal is false', 0xfff5a513, { [a1]: -1n }, { [a0]: 0n }], // slti a0, a1, -1
    ['sltiu 0 < 1 (seqz)', 0x0015b513, { [a1]: 0n }, { [a0]: 1n }], // sltiu a0, a1, 1
    ['sltiu 2^32 < 1 is false', 0x0015b513, { [a1]: 0x1_0000_0000n }, { [a0]: 0n }], // sltiu a0, a1, 1
    ['sltiu immediate -1 is 2^64-1', 0xfff5b513, { [a1]: -2n }, { [a0]: 1n }], // sltiu a0, a1, -1
    ['sltiu -1 < -1 is false', 0xfff5b513, { [a1]: -1n }, { [a0]: 0n }], // sltiu a0, a1, -1
    ['sltiu 2^31 < 2047 is false', 0x7ff5b513, { [a1]: 0x8000_0000n }, { [a0]: 0n }], // sltiu a0, a1, 2047
    ['xori -1 (not)', 0xfff5c513, { [a1]: V }, { [a0]: u64(~V) }], // xori a0, a1, -1
    ['xori positive keeps the high word', 0x5555c513, { [a1]: W }, { [a0]: W ^ 0x555n }], // xori a0, a1, 0x555
    ['ori negative sets the high word', 0x8005e513, { [a1]: 0x1234n }, { [a0]: u64(0x1234n | -2048n) }], // ori a0, a1, -2048
    ['ori positive', 0x0f05e513, { [a1]: 0x1_0000_0000n }, { [a0]: 0x1_0000_00f0n }], // ori a0, a1, 0xf0
    ['andi negative keeps the high word', 0xf005f513, { [a1]: W }, { [a0]: W & u64(-256n) }], // andi a0, a1, -256
    ['andi positive clears the high word', 0x0ff5f513, { [a1]: W }, { [a0]: W & 0xffn }], // andi a0, a1, 255
  ]);

  describe('64-bit shifts by an immediate', () => {
    it('slli by 0, 1, 31, 32, 63', () => {
      one(0x00059513, { [a1]: W }, { [a0]: W }); // slli a0, a1, 0
      one(0x00159513, { [a1]: W }, { [a0]: shl(W, 1n) }); // slli a0, a1, 1
      one(0x01f59513, { [a1]: W }, { [a0]: shl(W, 31n) }); // slli a0, a1, 31
      one(0x02059513, { [a1]: W }, { [a0]: shl(W, 32n) }); // slli a0, a1, 32
      one(0x03f59513, { [a1]: V }, { [a0]: shl(V, 63n) }); // slli a0, a1, 63
    });
    it('srli by 0, 1, 31, 32, 63', () => {
      one(0x0005d513, { [a1]: W }, { [a0]: W }); // srli a0, a1, 0
      one(0x0015d513, { [a1]: W }, { [a0]: shr(W, 1n) }); // srli a0, a1, 1
      one(0x01f5d513, { [a1]: W }, { [a0]: shr(W, 31n) }); // srli a0, a1, 31
      one(0x0205d513, { [a1]: W }, { [a0]: shr(W, 32n) }); // srli a0, a1, 32
      one(0x03f5d513, { [a1]: W }, { [a0]: 1n }); // srli a0, a1, 63
    });
    it('srai by 0, 1, 31, 32, 63', () => {
      one(0x4005d513, { [a1]: W }, { [a0]: W }); // srai a0, a1, 0
      one(0x4015d513, { [a1]: W }, { [a0]: sar(W, 1n) }); // srai a0, a1, 1
      one(0x41f5d513, { [a1]: W }, { [a0]: sar(W, 31n) }); // srai a0, a1, 31
      one(0x4205d513, { [a1]: W }, { [a0]: sar(W, 32n) }); // srai a0, a1, 32
      one(0x43f5d513, { [a1]: W }, { [a0]: u64(-1n) }); // srai a0, a1, 63
      one(0x43f5d513, { [a1]: V }, { [a0]: 0n }); // srai a0, a1, 63
    });
  });
});

describe('RV64I W forms (32-bit result, sign-extended; upper source bits ignored)', () => {
  cases([
    ['addiw overflows to negative', 0x0015851b, { [a1]: 0x7fff_ffffn }, { [a0]: sext32(0x8000_0000n) }], // addiw a0, a1, 1
    ['addiw ignores the upper word', 0x0015851b, { [a1]: 0x1234_5678_ffff_ffffn }, { [a0]: 0n }], // addiw a0, a1, 1
    ['addiw negative', 0xfff5851b, { [a1]: 0xffff_ffff_0000_0000n }, { [a0]: u64(-1n) }], // addiw a0, a1, -1
    ['addiw 0 (sext.w)', 0x0005851b, { [a1]: 0x1_8000_0000n }, { [a0]: sext32(0x8000_0000n) }], // addiw a0, a1, 0
    ['slliw by 31', 0x01f5951b, { [a1]: 0x1_0000_0001n }, { [a0]: sext32(0x8000_0000n) }], // slliw a0, a1, 31
    ['slliw by 0', 0x0005951b, { [a1]: 0xdead_beef_7fff_ffffn }, { [a0]: 0x7fff_ffffn }], // slliw a0, a1, 0
    ['srliw by 0 sign-extends bit 31', 0x0005d51b, { [a1]: 0xffff_ffff_8000_0000n }, { [a0]: sext32(0x8000_0000n) }], // srliw a0, a1, 0
    ['srliw by 1', 0x0015d51b, { [a1]: 0xffff_ffff_8000_0000n }, { [a0]: 0x4000_0000n }], // srliw a0, a1, 1
    ['srliw by 31', 0x01f5d51b, { [a1]: 0x0000_0001_8000_0000n }, { [a0]: 1n }], // srliw a0, a1, 31
    ['sraiw by 31', 0x41f5d51b, { [a1]: 0x8000_0000n }, { [a0]: u64(-1n) }], // sraiw a0, a1, 31
    ['sraiw by 0', 0x4005d51b, { [a1]: 0x8000_0000n }, { [a0]: sext32(0x8000_0000n) }], // sraiw a0, a1, 0
    ['sraiw positive by 31', 0x41f5d51b, { [a1]: 0xffff_ffff_7fff_ffffn }, { [a0]: 0n }], // sraiw a0, a1, 31
    ['addw overflow', 0x00c5853b, { [a1]: 0x7fff_ffffn, [a2]: 1n }, { [a0]: sext32(0x8000_0000n) }], // addw a0, a1, a2
    ['addw ignores upper words', 0x00c5853b, { [a1]: 0x1111_1111_0000_0002n, [a2]: 0x2222_2222_0000_0003n }, { [a0]: 5n }], // addw a0, a1, a2
    ['subw', 0x40c5853b, { [a1]: 0x8000_0000n, [a2]: 1n }, { [a0]: 0x7fff_ffffn }], // subw a0, a1, a2
    ['subw negative', 0x40c5853b, { [a1]: 0x1_0000_0000n, [a2]: 1n }, { [a0]: u64(-1n) }], // subw a0, a1, a2
    ['sllw by 31', 0x00c5953b, { [a1]: 1n, [a2]: 31n }, { [a0]: sext32(0x8000_0000n) }], // sllw a0, a1, a2
    ['sllw by 32 is by 0', 0x00c5953b, { [a1]: 0x1_0000_0001n, [a2]: 32n }, { [a0]: 1n }], // sllw a0, a1, a2
    ['sllw by 63 is by 31', 0x00c5953b, { [a1]: 3n, [a2]: 63n }, { [a0]: sext32(0x8000_0000n) }], // sllw a0, a1, a2
    ['srlw by 0', 0x00c5d53b, { [a1]: 0x8000_0000n, [a2]: 0n }, { [a0]: sext32(0x8000_0000n) }], // srlw a0, a1, a2
    ['srlw by 31', 0x00c5d53b, { [a1]: 0x8000_0000n, [a2]: 31n }, { [a0]: 1n }], // srlw a0, a1, a2
    ['srlw by 32 is by 0', 0x00c5d53b, { [a1]: 0x8000_0000n, [a2]: 32n }, { [a0]: sext32(0x8000_0000n) }], // srlw a0, a1, a2
    ['sraw by 31', 0x40c5d53b, { [a1]: 0x8000_0000n, [a2]: 31n }, { [a0]: u64(-1n) }], // sraw a0, a1, a2
    ['sraw by 63 is by 31', 0x40c5d53b, { [a1]: 0x4000_0000n, [a2]: 63n }, { [a0]: 0n }], // sraw a0, a1, a2
    ['sraw by 4', 0x40c5d53b, { [a1]: 0xf_8000_0000n, [a2]: 4n }, { [a0]: sext32(0xf800_0000n) }], // sraw a0, a1, a2
  ]);
});

describe('LUI and AUIPC', () => {
  cases([
    ['lui negative sign-extends', 0x80000537, {}, { [a0]: u64(-0x8000_0000n) }], // lui a0, 0x80000
    ['lui largest positive', 0x7ffff537, {}, { [a0]: 0x7fff_f000n }], // lui a0, 0x7ffff
    ['lui -4096', 0xfffff537, {}, { [a0]: u64(-4096n) }], // lui a0, 0xfffff
    ['lui 0 clears all 64 bits', 0x00000537, { [a0]: -1n }, { [a0]: 0n }], // lui a0, 0
    ['lui to x0', 0x12345037, {}, {}], // lui x0, 0x12345
    ['auipc 0', 0x00000517, {}, { [a0]: BASE }], // auipc a0, 0
    ['auipc -2^31 from 0x80000000 gives 0', 0x80000517, {}, { [a0]: 0n }], // auipc a0, 0x80000
    ['auipc -4096', 0xfffff517, {}, { [a0]: BASE - 4096n }], // auipc a0, 0xfffff
    ['auipc largest positive', 0x7ffff517, {}, { [a0]: BASE + 0x7fff_f000n }], // auipc a0, 0x7ffff
  ]);

  it('auipc uses its own pc', () => {
    const { hart, ram } = load([], {}, SMALL_RAM);
    place(ram, RAM_BASE + 0x1236, [
      0x00001517, // auipc a0, 1
      0xfffff597, // auipc a1, 0xfffff
    ]);
    hart.pc = BASE + 0x1236n;
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(BASE + 0x2236n);
    expect(hart.getReg(a1)).toBe(BASE + 0x23an);
  });
});

describe('conditional branches', () => {
  // Each branch is at 0x80000000 with offset +16: taken → 0x80000010, not taken → 0x80000004.
  const branch: [string, number, bigint, bigint, boolean][] = [
    ['beq equal', 0x00c58863, 5n, 5n, true], // beq a1, a2, .+16
    ['beq high words differ', 0x00c58863, 5n, 0x1_0000_0005n, false], // beq a1, a2, .+16
    ['beq low words differ', 0x00c58863, 0x1_0000_0005n, 0x1_0000_0004n, false], // beq a1, a2, .+16
    ['bne equal', 0x00c59863, -1n, -1n, false], // bne a1, a2, .+16
    ['bne high words differ', 0x00c59863, 0x1_0000_0000n, 0n, true], // bne a1, a2, .+16
    ['blt -1 < 1', 0x00c5c863, -1n, 1n, true], // blt a1, a2, .+16
    ['blt 1 < -1', 0x00c5c863, 1n, -1n, false], // blt a1, a2, .+16
    ['blt equal', 0x00c5c863, 7n, 7n, false], // blt a1, a2, .+16
    ['blt low word unsigned', 0x00c5c863, 0x7fff_ffffn, 0x8000_0000n, true], // blt a1, a2, .+16
    ['blt MIN < MAX', 0x00c5c863, INT64_MIN, INT64_MAX, true], // blt a1, a2, .+16
    ['bge -1 >= 1', 0x00c5d863, -1n, 1n, false], // bge a1, a2, .+16
    ['bge 1 >= -1', 0x00c5d863, 1n, -1n, true], // bge a1, a2, .+16
    ['bge equal', 0x00c5d863, INT64_MIN, INT64_MIN, true], // bge a1, a2, .+16
    ['bltu -1 < 1', 0x00c5e863, -1n, 1n, false], // bltu a1, a2, .+16
    ['bltu 1 < -1', 0x00c5e863, 1n, -1n, true], // bltu a1, a2, .+16
    ['bltu across the words', 0x00c5e863, 0xffff_ffffn, 0x1_0000_0000n, true], // bltu a1, a2, .+16
    ['bltu low word', 0x00c5e863, 0x8000_0000n, 0x7fff_ffffn, false], // bltu a1, a2, .+16
    ['bgeu equal', 0x00c5f863, 3n, 3n, true], // bgeu a1, a2, .+16
    ['bgeu -1 >= 1', 0x00c5f863, -1n, 1n, true], // bgeu a1, a2, .+16
    ['bgeu 1 >= -1', 0x00c5f863, 1n, -1n, false], // bgeu a1, a2, .+16
  ];
  for (const [what, word, x, y, taken] of branch) {
    it(`${what}: ${taken ? 'taken' : 'not taken'}`, () => {
      one(word, { [a1]: x, [a2]: y }, {}, BASE + (taken ? 16n : 4n));
    });
  }

  it('compares with x0', () => {
    one(0x00050863, { [a0]: 0n }, {}, BASE + 16n); // beq a0, x0, .+16
    one(0x00050863, { [a0]: 0x1_0000_0000n }, {}, BASE + 4n); // beq a0, x0, .+16
    one(0x00a04863, { [a0]: 1n }, {}, BASE + 16n); // blt x0, a0, .+16
  });

  it('branches backwards', () => {
    const { hart, ram } = load([], { [a1]: 1n }, SMALL_RAM);
    place(ram, RAM_BASE + 0x100, [
      0xf00590e3, // bne a1, x0, .-0x100
    ]);
    hart.pc = BASE + 0x100n;
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.pc).toBe(BASE);
  });

  it('takes and falls through branches inside one block', () => {
    const prog = [
      0x00100513, // addi a0, x0, 1
      0x00b50463, // beq a0, a1, .+8
      0x06450513, // addi a0, a0, 100
      0x00a50513, // addi a0, a0, 10
      0x00051463, // bne a0, x0, .+8
      0x3e850513, // addi a0, a0, 1000
      0x00700613, // addi a2, x0, 7
    ];
    let m = load(prog, { [a1]: 1n }, SMALL_RAM); // beq taken: skips +100
    expect(m.hart.run(5)).toBe(Stop.Budget);
    expect(m.hart.getReg(a0)).toBe(11n);
    expect(m.hart.getReg(a2)).toBe(7n);
    expect(m.hart.pc).toBe(BASE + 28n);
    m = load(prog, { [a1]: 2n }, SMALL_RAM); // beq not taken
    expect(m.hart.run(6)).toBe(Stop.Budget);
    expect(m.hart.getReg(a0)).toBe(111n);
    expect(m.hart.getReg(a2)).toBe(7n);
    expect(m.hart.pc).toBe(BASE + 28n);
  });
});

describe('JAL and JALR', () => {
  it('jal links pc + 4 and jumps forward', () => {
    one(0x001000ef, {}, { [ra]: BASE + 4n }, BASE + 2048n); // jal ra, .+2048
  });
  it('jal x0 does not link', () => {
    one(0x0080006f, {}, {}, BASE + 8n); // jal x0, .+8
  });
  it('jal backwards', () => {
    const { hart, ram } = load([], {}, SMALL_RAM);
    place(ram, RAM_BASE + 0x1000, [
      0x801ff0ef, // jal ra, .-2048
    ]);
    hart.pc = BASE + 0x1000n;
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.pc).toBe(BASE + 0x800n);
    expect(hart.getReg(ra)).toBe(BASE + 0x1004n);
  });
  it('jalr clears bit 0 of the target', () => {
    one(0x005580e7, { [a1]: BASE + 0x100n }, { [ra]: BASE + 4n }, BASE + 0x104n); // jalr ra, 5(a1)
  });
  it('jalr with a negative offset', () => {
    one(0xffc580e7, { [a1]: BASE + 0x104n }, { [ra]: BASE + 4n }, BASE + 0x100n); // jalr ra, -4(a1)
  });
  it('jalr to a 2-byte aligned target (IALIGN = 16 with C)', () => {
    one(0x002580e7, { [a1]: BASE + 0x100n }, { [ra]: BASE + 4n }, BASE + 0x102n); // jalr ra, 2(a1)
  });
  it('jalr with rd = rs1 uses the old value as the base', () => {
    one(0x000585e7, { [a1]: BASE + 0x200n }, { [a1]: BASE + 4n }, BASE + 0x200n); // jalr a1, 0(a1)
  });
  it('jalr x0 (ret) does not link', () => {
    one(0x00008067, { [ra]: BASE + 0x40n }, {}, BASE + 0x40n); // jalr x0, 0(ra)
  });
  it('jalr target computed on 64 bits', () => {
    one(0x001580e7, { [a1]: 0x1_ffff_ffffn }, { [ra]: BASE + 4n }, 0x2_0000_0000n); // jalr ra, 1(a1)
  });
});

// ---- M extension ------------------------------------------------------------------------------------------------

const sx = (v: bigint): bigint => BigInt.asIntN(64, v);
const w32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const uw32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const refM: [string, number, (a: bigint, b: bigint) => bigint][] = [
  ['mul', 0x02c58533, (a, b) => u64(a * b)], // mul a0, a1, a2
  ['mulh', 0x02c59533, (a, b) => u64((sx(a) * sx(b)) >> 64n)], // mulh a0, a1, a2
  ['mulhsu', 0x02c5a533, (a, b) => u64((sx(a) * u64(b)) >> 64n)], // mulhsu a0, a1, a2
  ['mulhu', 0x02c5b533, (a, b) => u64((u64(a) * u64(b)) >> 64n)], // mulhu a0, a1, a2
  ['div', 0x02c5c533, (a, b) => (b === 0n ? u64(-1n) : sx(a) === INT64_MIN && sx(b) === -1n ? u64(INT64_MIN) : u64(sx(a) / sx(b)))], // div a0, a1, a2
  ['divu', 0x02c5d533, (a, b) => (b === 0n ? u64(-1n) : u64(a) / u64(b))], // divu a0, a1, a2
  ['rem', 0x02c5e533, (a, b) => (b === 0n ? a : sx(a) === INT64_MIN && sx(b) === -1n ? 0n : u64(sx(a) % sx(b)))], // rem a0, a1, a2
  ['remu', 0x02c5f533, (a, b) => (b === 0n ? a : u64(a) % u64(b))], // remu a0, a1, a2
  ['mulw', 0x02c5853b, (a, b) => u64(w32(a * b))], // mulw a0, a1, a2
  ['divw', 0x02c5c53b, (a, b) => u64(uw32(b) === 0n ? -1n : w32(a) === INT32_MIN && w32(b) === -1n ? INT32_MIN : w32(a) / w32(b))], // divw a0, a1, a2
  ['divuw', 0x02c5d53b, (a, b) => u64(uw32(b) === 0n ? -1n : w32(uw32(a) / uw32(b)))], // divuw a0, a1, a2
  ['remw', 0x02c5e53b, (a, b) => u64(uw32(b) === 0n ? w32(a) : w32(a) === INT32_MIN && w32(b) === -1n ? 0n : w32(a) % w32(b))], // remw a0, a1, a2
  ['remuw', 0x02c5f53b, (a, b) => u64(uw32(b) === 0n ? w32(a) : w32(uw32(a) % uw32(b)))], // remuw a0, a1, a2
];
const M_OPERANDS = [
  0n, 1n, -1n, 2n, -2n, 7n, -7n, INT64_MIN, INT64_MAX, INT32_MIN, 0x8000_0000n, 0x7fff_ffffn, 0xffff_ffffn,
  0x1_0000_0000n, 0xdead_beef_1234_5678n, 0x0000_0001_8000_0000n, 0xffff_ffff_0000_0000n,
].map(u64);

describe('M extension: every instruction over every pair of edge operands', () => {
  for (const [name, word, ref] of refM) {
    it(name, () => {
      const { hart } = load([word], {}, SMALL_RAM);
      const bad: string[] = [];
      for (const x of M_OPERANDS) {
        for (const y of M_OPERANDS) {
          hart.setReg(a1, x);
          hart.setReg(a2, y);
          hart.pc = BASE;
          hart.run(1);
          const got = hart.getReg(a0), want = ref(x, y);
          if (got !== want) bad.push(`${name} 0x${x.toString(16)}, 0x${y.toString(16)} = 0x${got.toString(16)}, want 0x${want.toString(16)}`);
          expect(hart.getReg(a1)).toBe(x);
          expect(hart.getReg(a2)).toBe(y);
        }
      }
      expect(bad).toEqual([]);
      expect(hart.icount).toBe(M_OPERANDS.length ** 2);
    });
  }

  cases([
    ['div by zero is -1', 0x02c5c533, { [a1]: 42n, [a2]: 0n }, { [a0]: u64(-1n) }], // div a0, a1, a2
    ['divu by zero is 2^64-1', 0x02c5d533, { [a1]: 42n, [a2]: 0n }, { [a0]: u64(-1n) }], // divu a0, a1, a2
    ['rem by zero is the dividend', 0x02c5e533, { [a1]: -42n, [a2]: 0n }, { [a0]: u64(-42n) }], // rem a0, a1, a2
    ['remu by zero is the dividend', 0x02c5f533, { [a1]: -42n, [a2]: 0n }, { [a0]: u64(-42n) }], // remu a0, a1, a2
    ['div overflow is MIN', 0x02c5c533, { [a1]: INT64_MIN, [a2]: -1n }, { [a0]: INT64_MIN }], // div a0, a1, a2
    ['rem overflow is 0', 0x02c5e533, { [a1]: INT64_MIN, [a2]: -1n }, { [a0]: 0n }], // rem a0, a1, a2
    ['divw by zero is -1', 0x02c5c53b, { [a1]: 42n, [a2]: 0x1_0000_0000n }, { [a0]: u64(-1n) }], // divw a0, a1, a2
    ['divuw by zero is -1 (sign-extended 2^32-1)', 0x02c5d53b, { [a1]: 42n, [a2]: 0n }, { [a0]: u64(-1n) }], // divuw a0, a1, a2
    ['remw by zero is the dividend, sign-extended', 0x02c5e53b, { [a1]: 0x8000_0000n, [a2]: 0n }, { [a0]: sext32(0x8000_0000n) }], // remw a0, a1, a2
    ['remuw by zero is the dividend, sign-extended', 0x02c5f53b, { [a1]: 0xffff_fff0n, [a2]: 0n }, { [a0]: u64(-16n) }], // remuw a0, a1, a2
    ['divw overflow', 0x02c5c53b, { [a1]: 0x8000_0000n, [a2]: 0xffff_ffffn }, { [a0]: sext32(0x8000_0000n) }], // divw a0, a1, a2
    ['remw overflow', 0x02c5e53b, { [a1]: 0x8000_0000n, [a2]: -1n }, { [a0]: 0n }], // remw a0, a1, a2
    ['mulw sign-extends', 0x02c5853b, { [a1]: 0x7fff_ffffn, [a2]: 2n }, { [a0]: u64(-2n) }], // mulw a0, a1, a2
    ['mulw ignores the upper words', 0x02c5853b, { [a1]: 0x1234_0000_0000_0003n, [a2]: 0x5678_0000_0000_0005n }, { [a0]: 15n }], // mulw a0, a1, a2
    ['mulh MIN * MIN', 0x02c59533, { [a1]: INT64_MIN, [a2]: INT64_MIN }, { [a0]: 1n << 62n }], // mulh a0, a1, a2
    ['mulhu -1 * -1', 0x02c5b533, { [a1]: -1n, [a2]: -1n }, { [a0]: u64(-2n) }], // mulhu a0, a1, a2
    ['mulhsu -1 * (2^64-1)', 0x02c5a533, { [a1]: -1n, [a2]: -1n }, { [a0]: u64(-1n) }], // mulhsu a0, a1, a2
    ['mul with rd = rs1 = rs2', 0x02a50533, { [a0]: 0x1_0000_0001n }, { [a0]: 0x2_0000_0001n }], // mul a0, a0, a0
    ['div with rd = rs2', 0x02c5c633, { [a1]: -100n, [a2]: 7n }, { [a2]: u64(-14n) }], // div a2, a1, a2
  ]);
});

// ---- RVC -----------------------------------------------------------------------------------------------------------

describe('RV64C computational and control-transfer forms', () => {
  cases([
    ['c.addi4spn', 0x1fe8, { [sp]: 0x1000n }, { [a0]: 0x13fcn }], // c.addi4spn a0, sp, 1020
    ['c.nop', 0x0001, {}, {}], // c.nop
    ['c.addi negative', 0x1501, { [a0]: 0n }, { [a0]: u64(-32n) }], // c.addi a0, -32
    ['c.addi with carry', 0x0ffd, { [t6]: 0xffff_fff0n }, { [t6]: 0x1_0000_000fn }], // c.addi t6, 31
    ['c.addiw -1', 0x357d, { [a0]: 0x1_0000_0000n }, { [a0]: u64(-1n) }], // c.addiw a0, -1
    ['c.addiw overflow', 0x2505, { [a0]: 0x7fff_ffffn }, { [a0]: sext32(0x8000_0000n) }], // c.addiw a0, 1
    ['c.addiw 0 (sext.w)', 0x2501, { [a0]: 0x1_8000_0000n }, { [a0]: sext32(0x8000_0000n) }], // c.addiw a0, 0
    ['c.li -32', 0x5781, { [a5]: 0x1234n }, { [a5]: u64(-32n) }], // c.li a5, -32
    ['c.li 31', 0x4ffd, {}, { [t6]: 31n }], // c.li t6, 31
    ['c.addi16sp -512', 0x7101, { [sp]: 0x1000n }, { [sp]: 0xe00n }], // c.addi16sp sp, -512
    ['c.addi16sp 496', 0x617d, { [sp]: 0x1000n }, { [sp]: 0x11f0n }], // c.addi16sp sp, 496
    ['c.lui negative', 0x7501, {}, { [a0]: u64(-0x20000n) }], // c.lui a0, 0xfffe0
    ['c.lui 0x1f', 0x6ffd, {}, { [t6]: 0x1f000n }], // c.lui t6, 0x1f
    ['c.srli 63', 0x917d, { [a0]: -1n }, { [a0]: 1n }], // c.srli a0, 63
    ['c.srli 1', 0x8085, { [s1]: W }, { [s1]: shr(W, 1n) }], // c.srli s1, 1
    ['c.srai 32', 0x9781, { [a5]: INT64_MIN }, { [a5]: sext32(0x8000_0000n) }], // c.srai a5, 32
    ['c.srai 63', 0x97fd, { [a5]: W }, { [a5]: u64(-1n) }], // c.srai a5, 63
    ['c.slli 63', 0x157e, { [a0]: 1n }, { [a0]: INT64_MIN }], // c.slli a0, 63
    ['c.slli 32', 0x1502, { [a0]: 0x8000_0001n }, { [a0]: 0x8000_0001_0000_0000n }], // c.slli a0, 32
    ['c.andi -32', 0x9901, { [a0]: -1n }, { [a0]: u64(-32n) }], // c.andi a0, -32
    ['c.andi 31 clears the high word', 0x887d, { [s0]: W }, { [s0]: W & 31n }], // c.andi s0, 31
    ['c.sub borrow', 0x8d0d, { [a0]: 0x1_0000_0000n, [a1]: 1n }, { [a0]: 0xffff_ffffn }], // c.sub a0, a1
    ['c.xor', 0x8c3d, { [s0]: V, [a5]: W }, { [s0]: V ^ W }], // c.xor s0, a5
    ['c.or', 0x8e55, { [a2]: V, [a3]: W }, { [a2]: V | W }], // c.or a2, a3
    ['c.and', 0x8f65, { [a4]: V, [s1]: W }, { [a4]: V & W }], // c.and a4, s1
    ['c.subw', 0x9d0d, { [a0]: 0x8000_0000n, [a1]: 1n }, { [a0]: 0x7fff_ffffn }], // c.subw a0, a1
    ['c.addw', 0x9fa1, { [a5]: 0x7fff_ffffn, [s0]: 0x1_0000_0001n }, { [a5]: sext32(0x8000_0000n) }], // c.addw a5, s0
    ['c.mv copies all 64 bits', 0x852e, { [a1]: W }, { [a0]: W }], // c.mv a0, a1
    ['c.add with carry', 0x9faa, { [t6]: 0xffff_ffffn, [a0]: 1n }, { [t6]: 0x1_0000_0000n }], // c.add t6, a0
  ]);

  it('c.j forwards and backwards', () => {
    one(0xaffd, {}, {}, BASE + 2046n); // c.j .+2046
    const { hart, ram } = load([], {}, SMALL_RAM);
    place(ram, RAM_BASE + 0x800, [
      0xb001, // c.j .-2048
    ]);
    hart.pc = BASE + 0x800n;
    hart.run(1);
    expect(hart.pc).toBe(BASE);
  });
  it('c.beqz / c.bnez compare all 64 bits with zero', () => {
    one(0xcd7d, { [a0]: 0n }, {}, BASE + 254n); // c.beqz a0, .+254
    one(0xcd7d, { [a0]: 0x1_0000_0000n }, {}, BASE + 2n); // c.beqz a0, .+254
    one(0xe7cd, { [a5]: 0x1_0000_0000n }, {}, BASE + 0xaan); // c.bnez a5, .+0xaa
    one(0xe7cd, { [a5]: 0n }, {}, BASE + 2n); // c.bnez a5, .+0xaa
  });
  it('c.beqz backwards', () => {
    const { hart, ram } = load([], {}, SMALL_RAM);
    place(ram, RAM_BASE + 0x100, [
      0xd101, // c.beqz a0, .-256
    ]);
    hart.pc = BASE + 0x100n;
    hart.run(1);
    expect(hart.pc).toBe(BASE);
  });
  it('c.jr clears bit 0 and does not link', () => {
    one(0x8082, { [ra]: BASE + 0x101n }, {}, BASE + 0x100n); // c.jr ra
  });
  it('c.jalr links pc + 2', () => {
    one(0x9782, { [a5]: BASE + 0x100n }, { [ra]: BASE + 2n }, BASE + 0x100n); // c.jalr a5
  });
  it('c.jalr ra uses the old ra as the target', () => {
    one(0x9082, { [ra]: BASE + 0x100n }, { [ra]: BASE + 2n }, BASE + 0x100n); // c.jalr ra
  });

  it('mixes 16- and 32-bit instructions, including 32-bit ones at 2-byte aligned addresses', () => {
    const { hart } = load([
      0x4505, // c.li a0, 1
      0x00250513, // addi a0, a0, 2
      0x0511, // c.addi a0, 4
      0x000015b7, // lui a1, 1
      0x952e, // c.add a0, a1
      0xa011, // c.j .+4
      0x4501, // c.li a0, 0
      0x00900613, // addi a2, x0, 9
    ], {}, SMALL_RAM);
    expect(hart.run(7)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(0x1007n);
    expect(hart.getReg(a1)).toBe(0x1000n);
    expect(hart.getReg(a2)).toBe(9n);
    expect(hart.pc).toBe(BASE + 22n);
  });

  it('skips with c.j over an instruction', () => {
    const { hart } = load([
      0x4505, // c.li a0, 1
      0xa019, // c.j .+6
      0x00250513, // addi a0, a0, 2
      0x0511, // c.addi a0, 4
    ], {}, SMALL_RAM);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(5n);
    expect(hart.pc).toBe(BASE + 10n);
  });

  it('fetches a 32-bit instruction that straddles a page boundary', () => {
    const { hart, ram } = load([], {}, SMALL_RAM);
    place(ram, RAM_BASE + 0xffc, [
      0x0001, // c.nop
      0x00500513, // addi a0, x0, 5
      0x00600593, // addi a1, x0, 6
    ]);
    hart.pc = BASE + 0xffcn;
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(5n);
    expect(hart.getReg(a1)).toBe(6n);
    expect(hart.pc).toBe(BASE + 0x1006n);
  });

  it('never writes x0', () => {
    const { hart } = load([
      0xfff00013, // addi x0, x0, -1
      0x00000037, // lui x0, 0
      0x00000017, // auipc x0, 0
      0x0080006f, // jal x0, .+8
    ], {}, SMALL_RAM);
    hart.run(4);
    expect(hart.getReg(zero)).toBe(0n);
    expect(hart.x[0]).toBe(0);
    expect(hart.x[1]).toBe(0);
  });
});
