import { describe, expect, it } from 'vitest';
import { Hart, Stop, type Tier } from '../cpu/hart.js';
import {
  a0, a1, a2, BASE, dump, exitTval, INT64_MAX, INT64_MIN, place, RAM_BASE, regs, setRegs, u64, withRegs,
} from '../cpu/test-helpers.js';
import { Cause } from '../cpu/trap.js';
import { GuestRam } from '../memory.js';
import { decode } from './decoder.js';

// Zba, Zbb and Zbs, one instruction at a time on the hart, under the interpreter and the compiled tier (the rows
// emit one copy of the semantics for both, but each tier supplies its own operands). Words were assembled with
// riscv64-unknown-elf-as -march=rv64gc_zba_zbb_zbs; each carries its source. Expected values are worked by hand.

type Regs = Record<number, bigint>;
type Case = [what: string, word: number, inputs: Regs, out: Regs];

const V = 0x0123_4567_89ab_cdefn;
const W = 0x8765_4321_0fed_cba9n;
const TOP = 1n << 63n;

/** A hart in S-mode at 0x8000_0000 running `word` under `tier`. */
function hartWith(word: number, tier: Tier): Hart {
  const ram = new GuestRam(RAM_BASE, 64 << 10);
  place(ram, RAM_BASE, [word]);
  // batch 1: the block is compiled when first reached and runs compiled at once.
  const hart = new Hart(ram, { tier, batch: 1 });
  hart.pc = BASE;
  return hart;
}

/** Runs `word` alone under `tier`; checks that exactly `out` changed and that the pc moved past it. */
function one(tier: Tier, word: number, inputs: Regs, out: Regs): Hart {
  const hart = hartWith(word, tier);
  // The compiled tier may compile a block when it is next entered rather than at once: run the instruction once
  // (on whatever registers hold), then check a second run of it from the start.
  if (tier === 'jit') {
    hart.run(1);
    hart.pc = BASE;
  }
  setRegs(hart, inputs);
  const before = regs(hart);
  const icount = hart.icount;
  expect(hart.run(1)).toBe(Stop.Budget);
  expect(hart.icount).toBe(icount + 1);
  expect(dump(regs(hart))).toEqual(dump(withRegs(before, out)));
  expect(hart.pc).toBe(BASE + 4n);
  return hart;
}

function cases(list: Case[]): void {
  for (const tier of ['interp', 'jit'] as const) {
    describe(tier, () => {
      for (const [what, word, inputs, out] of list) {
        it(what, () => {
          const hart = one(tier, word, inputs, out);
          // The compiled tier really compiled it (the table's decode agrees on what it is).
          if (tier === 'jit') expect(hart.jit?.stats.compiledInsns, decode(word).row.name).toBeGreaterThanOrEqual(1);
        });
      }
    });
  }
}

describe('Zba', () => {
  cases([
    ['add.uw takes the low word of rs1 unsigned', 0x08c5853b, { [a1]: 0xffff_ffff_8000_0001n, [a2]: 0x10n }, { [a0]: 0x8000_0011n }], // add.uw a0,a1,a2
    ['add.uw carries past bit 31', 0x08c5853b, { [a1]: -1n, [a2]: 1n }, { [a0]: 0x1_0000_0000n }], // add.uw a0,a1,a2
    ['add.uw rs2 = x0 (zext.w)', 0x0805853b, { [a1]: W }, { [a0]: 0x0fed_cba9n }], // add.uw a0,a1,zero
    ['add.uw rd = rs1 = rs2', 0x08b585bb, { [a1]: 0x1_8000_0000n }, { [a1]: 0x2_0000_0000n }], // add.uw a1,a1,a1
    ['sh1add', 0x20c5a533, { [a1]: 3n, [a2]: 100n }, { [a0]: 106n }], // sh1add a0,a1,a2
    ['sh1add shifts bit 63 out', 0x20c5a533, { [a1]: TOP, [a2]: 5n }, { [a0]: 5n }], // sh1add a0,a1,a2
    ['sh1add of -1', 0x20c5a533, { [a1]: -1n, [a2]: 0n }, { [a0]: u64(-2n) }], // sh1add a0,a1,a2
    ['sh2add', 0x20c5c533, { [a1]: 0x4000_0000_0000_0001n, [a2]: 1n }, { [a0]: 5n }], // sh2add a0,a1,a2
    ['sh3add wraps to zero', 0x20c5e533, { [a1]: -1n, [a2]: 8n }, { [a0]: 0n }], // sh3add a0,a1,a2
    ['sh3add rd = rs2', 0x20c5e633, { [a1]: 2n, [a2]: 0x1000n }, { [a2]: 0x1010n }], // sh3add a2,a1,a2
    ['sh1add.uw drops the high word of rs1', 0x20c5a53b, { [a1]: 0xdead_beef_8000_0000n, [a2]: 1n }, { [a0]: 0x1_0000_0001n }], // sh1add.uw a0,a1,a2
    ['sh2add.uw of -1', 0x20c5c53b, { [a1]: -1n, [a2]: 0n }, { [a0]: 0x3_ffff_fffcn }], // sh2add.uw a0,a1,a2
    ['sh3add.uw', 0x20c5e53b, { [a1]: 0x1_0000_0002n, [a2]: -16n }, { [a0]: 0n }], // sh3add.uw a0,a1,a2
    ['slli.uw by 0 is zext.w', 0x0805951b, { [a1]: W }, { [a0]: 0x0fed_cba9n }], // slli.uw a0,a1,0x0
    ['slli.uw by 5', 0x0855951b, { [a1]: -1n }, { [a0]: 0x1f_ffff_ffe0n }], // slli.uw a0,a1,0x5
    ['slli.uw by 32', 0x0a05951b, { [a1]: -1n }, { [a0]: 0xffff_ffff_0000_0000n }], // slli.uw a0,a1,0x20
    ['slli.uw by 63', 0x0bf5951b, { [a1]: 0x1_0000_0001n }, { [a0]: TOP }], // slli.uw a0,a1,0x3f
  ]);
});

describe('Zbb: logic with negate, counts, min/max, extensions', () => {
  cases([
    ['andn', 0x40c5f533, { [a1]: 0xff00_ff00_ff00_ff00n, [a2]: 0x0ff0_0ff0_0ff0_0ff0n }, { [a0]: 0xf000_f000_f000_f000n }], // andn a0,a1,a2
    ['andn rs1 = rs2 is zero', 0x40b5f533, { [a1]: V }, { [a0]: 0n }], // andn a0,a1,a1
    ['orn', 0x40c5e533, { [a1]: 0n, [a2]: 0xffn }, { [a0]: 0xffff_ffff_ffff_ff00n }], // orn a0,a1,a2
    ['orn with rs2 = -1', 0x40c5e533, { [a1]: 1n, [a2]: -1n }, { [a0]: 1n }], // orn a0,a1,a2
    ['xnor of equal values is -1', 0x40c5c533, { [a1]: V, [a2]: V }, { [a0]: u64(-1n) }], // xnor a0,a1,a2
    ['xnor', 0x40c5c533, { [a1]: 0n, [a2]: 0xf0n }, { [a0]: 0xffff_ffff_ffff_ff0fn }], // xnor a0,a1,a2
    ['clz of 0 is 64', 0x60059513, { [a1]: 0n }, { [a0]: 64n }], // clz a0,a1
    ['clz of 1', 0x60059513, { [a1]: 1n }, { [a0]: 63n }], // clz a0,a1
    ['clz of bit 63', 0x60059513, { [a1]: TOP }, { [a0]: 0n }], // clz a0,a1
    ['clz of bit 32', 0x60059513, { [a1]: 0x1_0000_0000n }, { [a0]: 31n }], // clz a0,a1
    ['clz rd = rs1', 0x60059593, { [a1]: 0xffn }, { [a1]: 56n }], // clz a1,a1
    ['ctz of 0 is 64', 0x60159513, { [a1]: 0n }, { [a0]: 64n }], // ctz a0,a1
    ['ctz of bit 63', 0x60159513, { [a1]: TOP }, { [a0]: 63n }], // ctz a0,a1
    ['ctz of 0x100', 0x60159513, { [a1]: 0x100n }, { [a0]: 8n }], // ctz a0,a1
    ['cpop of -1', 0x60259513, { [a1]: -1n }, { [a0]: 64n }], // cpop a0,a1
    ['cpop of every nibble once', 0x60259513, { [a1]: V }, { [a0]: 32n }], // cpop a0,a1
    ['cpop of both ends', 0x60259513, { [a1]: TOP | 1n }, { [a0]: 2n }], // cpop a0,a1
    ['clzw of a zero low word is 32', 0x6005951b, { [a1]: 0xffff_ffff_0000_0000n }, { [a0]: 32n }], // clzw a0,a1
    ['clzw of bit 31', 0x6005951b, { [a1]: 0x8000_0000n }, { [a0]: 0n }], // clzw a0,a1
    ['clzw ignores the high word', 0x6005951b, { [a1]: 0x1_0000_0001n }, { [a0]: 31n }], // clzw a0,a1
    ['ctzw of a zero low word is 32', 0x6015951b, { [a1]: 0xffff_ffff_0000_0000n }, { [a0]: 32n }], // ctzw a0,a1
    ['ctzw of bit 31', 0x6015951b, { [a1]: 0x8000_0000n }, { [a0]: 31n }], // ctzw a0,a1
    ['ctzw', 0x6015951b, { [a1]: 0xffff_ffff_0000_0010n }, { [a0]: 4n }], // ctzw a0,a1
    ['cpopw of -1', 0x6025951b, { [a1]: -1n }, { [a0]: 32n }], // cpopw a0,a1
    ['cpopw counts the low word only', 0x6025951b, { [a1]: 0x1234_5678_0000_0007n }, { [a0]: 3n }], // cpopw a0,a1
    ['max is signed', 0x0ac5e533, { [a1]: -1n, [a2]: 1n }, { [a0]: 1n }], // max a0,a1,a2
    ['max of MIN and MAX', 0x0ac5e533, { [a1]: INT64_MIN, [a2]: INT64_MAX }, { [a0]: INT64_MAX }], // max a0,a1,a2
    ['maxu is unsigned', 0x0ac5f533, { [a1]: -1n, [a2]: 1n }, { [a0]: u64(-1n) }], // maxu a0,a1,a2
    ['min is signed', 0x0ac5c533, { [a1]: -1n, [a2]: 1n }, { [a0]: u64(-1n) }], // min a0,a1,a2
    ['min of equal values', 0x0ac5c533, { [a1]: V, [a2]: V }, { [a0]: V }], // min a0,a1,a2
    ['minu is unsigned', 0x0ac5d533, { [a1]: -1n, [a2]: 1n }, { [a0]: 1n }], // minu a0,a1,a2
    ['minu of 0 and bit 63', 0x0ac5d533, { [a1]: TOP, [a2]: 0n }, { [a0]: 0n }], // minu a0,a1,a2
    ['max rd = rs1', 0x0ac5e5b3, { [a1]: -5n, [a2]: -3n }, { [a1]: u64(-3n) }], // max a1,a1,a2
    ['minu rd = rs2', 0x0ac5d633, { [a1]: 7n, [a2]: TOP }, { [a2]: 7n }], // minu a2,a1,a2
    ['sext.b of 0x80', 0x60459513, { [a1]: 0x80n }, { [a0]: 0xffff_ffff_ffff_ff80n }], // sext.b a0,a1
    ['sext.b drops the upper bytes', 0x60459513, { [a1]: 0x1234_567fn }, { [a0]: 0x7fn }], // sext.b a0,a1
    ['sext.h of 0x8000', 0x60559513, { [a1]: 0x8000n }, { [a0]: 0xffff_ffff_ffff_8000n }], // sext.h a0,a1
    ['sext.h drops the upper bytes', 0x60559513, { [a1]: 0xffff_0000_0000_7fffn }, { [a0]: 0x7fffn }], // sext.h a0,a1
    ['zext.h of -1', 0x0805c53b, { [a1]: -1n }, { [a0]: 0xffffn }], // zext.h a0,a1
    ['zext.h', 0x0805c53b, { [a1]: W }, { [a0]: 0xcba9n }], // zext.h a0,a1
  ]);
});

describe('Zbb: rotates and byte operations', () => {
  cases([
    ['rol by 4', 0x60c59533, { [a1]: V, [a2]: 4n }, { [a0]: 0x1234_5678_9abc_def0n }], // rol a0,a1,a2
    ['rol by 68 is by 4', 0x60c59533, { [a1]: V, [a2]: 68n }, { [a0]: 0x1234_5678_9abc_def0n }], // rol a0,a1,a2
    ['rol by 0', 0x60c59533, { [a1]: V, [a2]: 0n }, { [a0]: V }], // rol a0,a1,a2
    ['rol carries bit 63 to bit 0', 0x60c59533, { [a1]: TOP, [a2]: 1n }, { [a0]: 1n }], // rol a0,a1,a2
    ['ror by 4', 0x60c5d533, { [a1]: V, [a2]: 4n }, { [a0]: 0xf012_3456_789a_bcden }], // ror a0,a1,a2
    ['ror by -1 is by 63', 0x60c5d533, { [a1]: V, [a2]: -1n }, { [a0]: 0x0246_8acf_1357_9bden }], // ror a0,a1,a2
    ['rolw wraps within the low word', 0x60c5953b, { [a1]: 0x8000_0001n, [a2]: 1n }, { [a0]: 3n }], // rolw a0,a1,a2
    ['rolw by 33 is by 1', 0x60c5953b, { [a1]: 0x8000_0001n, [a2]: 33n }, { [a0]: 3n }], // rolw a0,a1,a2
    ['rolw sign-extends', 0x60c5953b, { [a1]: 0x1234_5678_4000_0000n, [a2]: 1n }, { [a0]: 0xffff_ffff_8000_0000n }], // rolw a0,a1,a2
    ['rorw sign-extends', 0x60c5d53b, { [a1]: 1n, [a2]: 1n }, { [a0]: 0xffff_ffff_8000_0000n }], // rorw a0,a1,a2
    ['rorw by 32 is by 0', 0x60c5d53b, { [a1]: 0xffff_ffff_0000_0001n, [a2]: 32n }, { [a0]: 1n }], // rorw a0,a1,a2
    ['rori by 0', 0x6005d513, { [a1]: W }, { [a0]: W }], // rori a0,a1,0x0
    ['rori by 7', 0x6075d513, { [a1]: V }, { [a0]: 0xde02_468a_cf13_579bn }], // rori a0,a1,0x7
    ['rori by 63', 0x63f5d513, { [a1]: V }, { [a0]: 0x0246_8acf_1357_9bden }], // rori a0,a1,0x3f
    ['roriw by 0 is sext.w', 0x6005d51b, { [a1]: 0x8000_0000n }, { [a0]: 0xffff_ffff_8000_0000n }], // roriw a0,a1,0x0
    ['roriw by 1', 0x6015d51b, { [a1]: 0xffff_ffff_0000_0001n }, { [a0]: 0xffff_ffff_8000_0000n }], // roriw a0,a1,0x1
    ['roriw by 31', 0x61f5d51b, { [a1]: 1n }, { [a0]: 2n }], // roriw a0,a1,0x1f
    ['orc.b', 0x2875d513, { [a1]: 0x0001_0200_8000_ff00n }, { [a0]: 0x00ff_ff00_ff00_ff00n }], // orc.b a0,a1
    ['orc.b of 0', 0x2875d513, { [a1]: 0n }, { [a0]: 0n }], // orc.b a0,a1
    ['orc.b of -1', 0x2875d513, { [a1]: -1n }, { [a0]: u64(-1n) }], // orc.b a0,a1
    ['orc.b of the end bytes', 0x2875d513, { [a1]: 0x0100_0000_0000_0080n }, { [a0]: 0xff00_0000_0000_00ffn }], // orc.b a0,a1
    ['orc.b of 0x7f bytes', 0x2875d513, { [a1]: 0x7f00_7f00_0000_0001n }, { [a0]: 0xff00_ff00_0000_00ffn }], // orc.b a0,a1
    ['rev8', 0x6b85d513, { [a1]: V }, { [a0]: 0xefcd_ab89_6745_2301n }], // rev8 a0,a1
    ['rev8 of the low byte', 0x6b85d513, { [a1]: 0xffn }, { [a0]: 0xff00_0000_0000_0000n }], // rev8 a0,a1
    ['rev8 rd = rs1', 0x6b85d593, { [a1]: W }, { [a1]: 0xa9cb_ed0f_2143_6587n }], // rev8 a1,a1
  ]);
});

describe('Zbs', () => {
  cases([
    ['bclr bit 63', 0x48c59533, { [a1]: -1n, [a2]: 63n }, { [a0]: INT64_MAX }], // bclr a0,a1,a2
    ['bclr by 64 is bit 0', 0x48c59533, { [a1]: -1n, [a2]: 64n }, { [a0]: u64(-2n) }], // bclr a0,a1,a2
    ['bext bit 63', 0x48c5d533, { [a1]: TOP, [a2]: 63n }, { [a0]: 1n }], // bext a0,a1,a2
    ['bext by -1 is bit 63', 0x48c5d533, { [a1]: TOP, [a2]: -1n }, { [a0]: 1n }], // bext a0,a1,a2
    ['bext of a clear bit', 0x48c5d533, { [a1]: TOP, [a2]: 62n }, { [a0]: 0n }], // bext a0,a1,a2
    ['binv sets a clear bit', 0x68c59533, { [a1]: 0n, [a2]: 32n }, { [a0]: 0x1_0000_0000n }], // binv a0,a1,a2
    ['binv by 96 clears bit 32', 0x68c59533, { [a1]: 0x1_0000_0000n, [a2]: 96n }, { [a0]: 0n }], // binv a0,a1,a2
    ['bset bit 63', 0x28c59533, { [a1]: 0n, [a2]: 63n }, { [a0]: TOP }], // bset a0,a1,a2
    ['bset of a set bit', 0x28c59533, { [a1]: 5n, [a2]: 2n }, { [a0]: 5n }], // bset a0,a1,a2
    ['bclri 63', 0x4bf59513, { [a1]: -1n }, { [a0]: INT64_MAX }], // bclri a0,a1,0x3f
    ['bexti 5', 0x4855d513, { [a1]: 0x20n }, { [a0]: 1n }], // bexti a0,a1,0x5
    ['bexti 63', 0x4bf5d513, { [a1]: INT64_MAX }, { [a0]: 0n }], // bexti a0,a1,0x3f
    ['binvi 33', 0x6a159513, { [a1]: 0n }, { [a0]: 0x2_0000_0000n }], // binvi a0,a1,0x21
    ['bseti 0', 0x28059513, { [a1]: 0n }, { [a0]: 1n }], // bseti a0,a1,0x0
    ['bclr to x0 changes nothing', 0x48c59033, { [a1]: -1n, [a2]: 1n }, {}], // bclr zero,a1,a2
  ]);
});

describe('encodings next to the bit-manipulation rows stay illegal (they leave the guest with stval = the bits)', () => {
  const words: [number, string][] = [
    [0x60359513, 'OP-IMM funct7 = 0x30, funct3 = 1, rs2 = 3 (between cpop and sext.b)'],
    [0x6065951b, 'OP-IMM-32 funct7 = 0x30, funct3 = 1, rs2 = 6 (no sext.h on words)'],
    [0x2865d513, 'orc.b with rs2 = 6'],
    [0x6985d513, 'rev8 with the RV32 encoding (shamt 0x18)'],
    [0x0815c53b, 'zext.h with rs2 = 1 (packw, Zbkb)'],
    [0x08c5c533, 'OP funct7 = 4, funct3 = 4 (RV32 pack)'],
    [0x0ac59533, 'OP funct7 = 5, funct3 = 1 (clmul, Zbc)'],
    [0x4205951b, 'slli.uw pattern on funct6 0x10'],
  ];
  for (const [word, what] of words) {
    it(what, () => {
      expect(decode(word).row.name).toBe('illegal');
      const hart = hartWith(word, 'interp');
      expect(hart.run(1)).toBe(Stop.Trap);
      expect(hart.exit.scause).toBe(Cause.IllegalInst);
      expect(exitTval(hart.exit)).toBe(BigInt(word >>> 0));
    });
  }
});

describe('Zihintpause', () => {
  // pause is the fence hint pred = w, succ = 0: it decodes as fence, which does nothing on one hart.
  cases([['pause does nothing but move on', 0x0100000f, { [a1]: 1n }, {}]]); // pause
});
