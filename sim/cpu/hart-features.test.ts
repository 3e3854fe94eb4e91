import { describe, expect, it } from 'vitest';
import { encode } from '../isa/index.js';
import { isaFeatures } from '../machine.js';
import { GuestRam } from '../memory.js';
import { Hart, Stop } from './hart.js';
import { TIERS } from './jit.js';
import { Cause } from './trap.js';
import { a0, a1, a2, BASE, exitTval, place, RAM_BASE, setRegs } from './test-helpers.js';

// A hart built from an older ISA string (a journal recorded before F/D, Zb* and Sstc names
// rv64imac_zicsr_zifencei_zicntr) must trap on the newer instructions exactly as the machine it was recorded on
// did: illegal instruction, stval = the bits fetched (a compressed one's halfword), under every tier.

const OLD_ISA = 'rv64imac_zicsr_zifencei_zicntr';

function hartWith(isa: string, words: number[], tier: (typeof TIERS)[number]): Hart {
  const ram = new GuestRam(RAM_BASE, 64 << 10);
  place(ram, RAM_BASE, words);
  const hart = new Hart(ram, { tier, batch: 1 }, isaFeatures(isa));
  hart.pc = BASE;
  return hart;
}

describe('a hart built from an ISA string', () => {
  it('isaFeatures names what the table has and the string lacks', () => {
    const old = isaFeatures(OLD_ISA);
    expect(old.fpu).toBe(false);
    expect(old.sstc).toBe(false);
    expect([...old.without].sort()).toEqual(['D', 'F', 'Zba', 'Zbb', 'Zbs']);
    const full = isaFeatures('rv64imafdc_zicsr_zifencei_zicntr_zihintpause_zba_zbb_zbs_sstc');
    expect(full).toEqual({ fpu: true, sstc: true, without: new Set() });
    expect([...isaFeatures('rv64imafdc_zicsr_zifencei_zicntr_zbb').without].sort()).toEqual(['Zba', 'Zbs']);
  });

  const cases: [string, number][] = [
    ['sh1add a0, a1, a2 (Zba)', encode('sh1add', { rd: a0, rs1: a1, rs2: a2 })],
    ['cpop a0, a1 (Zbb)', encode('cpop', { rd: a0, rs1: a1 })],
    ['bseti a0, a1, 3 (Zbs)', encode('bseti', { rd: a0, rs1: a1, imm: 3 })],
    ['fadd.d fa0, fa1, fa2 (D)', encode('fadd.d', { rd: 10, rs1: 11, rs2: 12, rm: 7 })],
    ['c.fld fa0, 8(a1) (compressed D)', 0x2588],
    ['c.fsdsp fa0, 0(sp) (compressed D)', 0xa02a],
  ];
  for (const tier of TIERS) {
    for (const [name, word] of cases) {
      it(`${tier}: without the extension, ${name} is illegal with stval = its bits`, () => {
        // An addi first, so that the compiled tier sees a block that reaches the instruction; run twice, the
        // second time through whatever the first run compiled.
        const hart = hartWith(OLD_ISA, [encode('addi', { rd: a0, rs1: 0, imm: 5 }), word], tier);
        setRegs(hart, { [a1]: BigInt(RAM_BASE + 0x100), [2]: BigInt(RAM_BASE + 0x200) });
        for (let round = 1; round <= 2; round++) {
          hart.pc = BASE;
          expect(hart.run(2)).toBe(Stop.Trap);
          expect(hart.exit.scause).toBe(Cause.IllegalInst);
          expect(exitTval(hart.exit)).toBe(BigInt((word & 3) === 3 ? word >>> 0 : word & 0xffff));
          expect(hart.icount).toBe(round);
          expect(hart.getReg(a0)).toBe(5n);
        }
      });
    }
  }

  it('with the extensions, the same words run', () => {
    const hart = hartWith('rv64imafdc_zicsr_zifencei_zicntr_zihintpause_zba_zbb_zbs_sstc', [cases[0][1], cases[1][1]], 'interp');
    setRegs(hart, { [a1]: 3n, [a2]: 4n });
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(10n);
  });
});
