import { describe, expect, it } from 'vitest';
import { encode } from '../isa/index.js';
import { Hart, Stop, TierOptions } from './hart.js';
import { DEBUG_TRIGGER_CAUSE } from './trap.js';
import { a0, a1, a2, a3, BASE, exitPc, load, Machine, RAM_BASE, regs, s0, t0, t1, t2, t3 } from './test-helpers.js';

// The compiled tier against the interpreter on the same programs: the same registers, pc, icount and exits at
// every budget boundary, and the compiled code really ran (its statistics count the instructions it retired).
// Programs are assembled with the ISA table's own encoder.

const E = encode;
/** Compiles every block start on its second entry, in batches of one. */
const EAGER: TierOptions = { tier: 'auto', hotThreshold: 2, batch: 1 };
const INTERP: TierOptions = { tier: 'interp' };

/** Nested loops: a block that loops to itself, a forward branch, and a back edge to another block. */
const NESTED = [
  E('addi', { rd: t0, rs1: 0, imm: 0 }), // i = 0
  E('addi', { rd: a0, rs1: 0, imm: 0 }), // sum = 0
  E('addi', { rd: t1, rs1: 0, imm: 0 }), // outer: j = 0
  E('add', { rd: a0, rs1: a0, rs2: t1 }), // inner: sum += j
  E('andi', { rd: t2, rs1: a0, imm: 4 }),
  E('addi', { rd: t1, rs1: t1, imm: 1 }),
  E('bne', { rs1: t1, rs2: a2, imm: -12 }), // to inner (its own start)
  E('beq', { rs1: t2, rs2: 0, imm: 8 }), // forward, over the xori
  E('xori', { rd: a0, rs1: a0, imm: 0x55 }),
  E('addi', { rd: t0, rs1: t0, imm: 1 }),
  E('bne', { rs1: t0, rs2: a1, imm: -32 }), // to outer (another block)
  E('ecall'),
];

/** An array walk: stores, loads of every width, a misaligned load, a 64-bit multiply-high. */
const MEMORY = [
  E('addi', { rd: s0, rs1: 0, imm: 1 }),
  E('slli', { rd: s0, rs1: s0, imm: 31 }),
  E('lui', { rd: t0, imm: 0x10000 }),
  E('add', { rd: s0, rs1: s0, rs2: t0 }), // s0 = 0x8001_0000, in RAM
  E('addi', { rd: t0, rs1: 0, imm: 0 }),
  E('slli', { rd: t1, rs1: t0, imm: 3 }), // loop:
  E('add', { rd: t1, rs1: t1, rs2: s0 }),
  E('mul', { rd: t3, rs1: t0, rs2: a0 }),
  E('sd', { rs1: t1, rs2: t3, imm: 0 }),
  E('ld', { rd: t2, rs1: t1, imm: 0 }),
  E('lw', { rd: a3, rs1: t1, imm: 4 }),
  E('lhu', { rd: a2, rs1: t1, imm: 3 }),
  E('mulhu', { rd: a2, rs1: a2, rs2: t2 }),
  E('add', { rd: a0, rs1: a0, rs2: t2 }),
  E('xor', { rd: a0, rs1: a0, rs2: a2 }),
  E('addi', { rd: t0, rs1: t0, imm: 1 }),
  E('bne', { rs1: t0, rs2: a1, imm: -44 }),
  E('ecall'),
];

function machines(words: number[], regsIn: Record<number, bigint>, tier: TierOptions = EAGER): [Machine, Machine] {
  return [load(words, regsIn, 1 << 20, INTERP), load(words, regsIn, 1 << 20, tier)];
}

function sameState(want: Hart, got: Hart, where: string): void {
  expect(got.icount, where).toBe(want.icount);
  expect(got.pc, where).toBe(want.pc);
  expect(regs(got), where).toEqual(regs(want));
}

/** Runs both in the same chunks to the end (a trap), comparing at every boundary. */
function runAlike(want: Hart, got: Hart, chunks: number[]): void {
  for (let i = 0; ; i++) {
    const n = chunks[i % chunks.length];
    const a = want.run(n), b = got.run(n);
    expect(b, `chunk ${i}`).toBe(a);
    sameState(want, got, `after chunk ${i} (${n})`);
    if (a !== Stop.Budget) {
      expect(got.exit).toEqual(want.exit);
      return;
    }
  }
}

describe('compiled tier against the interpreter', () => {
  it('a loop closing (taken backward branch) counts 10 towards compiling, other block starts 1', () => {
    // A loop of `turns` turns: its start is reached once by falling in and turns - 1 times by the backward branch.
    const compiledAfter = (turns: bigint, threshold: number): number => {
      const { hart } = load([
        E('addi', { rd: a0, rs1: a0, imm: 1 }),
        E('bne', { rs1: a0, rs2: a1, imm: -4 }),
        E('ecall'),
      ], { [a1]: turns }, 1 << 20, { tier: 'auto', hotThreshold: threshold, batch: 1, maxQueueWait: 0 });
      hart.run(1000);
      return hart.compiledStats.insns;
    };
    // 1 + 10 x 9 = 91 < 100: never compiled; 1 + 10 x 10 = 101: compiled, and the rest of the loop runs compiled.
    expect(compiledAfter(10n, 100)).toBe(0);
    expect(compiledAfter(40n, 100)).toBeGreaterThan(0);
    // Without the weight it would take 100 turns.
    expect(compiledAfter(40n, 1000)).toBe(0);
  });

  it('runs nested loops alike (self loop, forward branch, back edge through the dispatch)', () => {
    const [ref, jit] = machines(NESTED, { [a1]: 300n, [a2]: 50n });
    runAlike(ref.hart, jit.hart, [1_000_000]);
    expect(ref.hart.icount).toBeGreaterThan(60_000);
    const compiled = jit.hart.compiledStats.insns;
    expect(compiled).toBeGreaterThan(ref.hart.icount * 0.9);
  });

  it('stops at exactly every budget, however the run is cut', () => {
    for (const chunks of [[1], [3, 7], [13, 1, 64], [999], [4096, 5]]) {
      const [ref, jit] = machines(NESTED, { [a1]: 40n, [a2]: 30n });
      runAlike(ref.hart, jit.hart, chunks);
    }
  });

  it('loads and stores through the TLB alike, misaligned ones and multiply-high included', () => {
    const [ref, jit] = machines(MEMORY, { [a0]: 0x9e3779b97f4a7c15n, [a1]: 2000n });
    runAlike(ref.hart, jit.hart, [777]);
    expect(ref.hart.exit.scause).toBe(10); // the final ecall: the loop ran to its end
    expect(jit.hart.compiledStats.insns).toBeGreaterThan(10_000);
  });

  it('leaves compiled code for an MMIO access with the same exit (guest page fault, htval, htinst)', () => {
    const prog = [
      E('addi', { rd: t0, rs1: t0, imm: 1 }), // loop: spin 500 times, then read the UART
      E('bne', { rs1: t0, rs2: a1, imm: -4 }),
      E('lbu', { rd: a2, rs1: a3, imm: 5 }),
      E('ecall'),
    ];
    const [ref, jit] = machines(prog, { [a1]: 500n, [a3]: 0x1000_0000n });
    runAlike(ref.hart, jit.hart, [100_000]);
    expect(jit.hart.exit.scause).toBe(21);
    expect(jit.hart.exit.htval).toBe(0x1000_0005 >>> 2);
    expect(jit.hart.exit.htinst).toBe(0x4603);
  });

  it('drops compiled code that a store overwrites, and runs the new instruction', () => {
    // The loop adds 1 to a0; after 100 passes it overwrites its own addi with "addi a0, a0, 16".
    const prog = [
      E('addi', { rd: a0, rs1: a0, imm: 1 }), // at RAM_BASE
      E('addi', { rd: t0, rs1: t0, imm: 1 }),
      E('bne', { rs1: t0, rs2: a1, imm: 12 }), // not yet: skip the store
      E('sw', { rs1: a3, rs2: a2, imm: 0 }),
      E('addi', { rd: a1, rs1: 0, imm: 0 }),
      E('bne', { rs1: t0, rs2: t3, imm: -20 }),
      E('ecall'),
    ];
    const next = BigInt(E('addi', { rd: a0, rs1: a0, imm: 16 }) >>> 0);
    const [ref, jit] = machines(prog, { [a1]: 100n, [a2]: next, [a3]: BASE, [t3]: 300n });
    runAlike(ref.hart, jit.hart, [1_000_000]);
    expect(jit.hart.getReg(a0)).toBe(100n + 200n * 16n);
  });

  it('stops at an address breakpoint set inside compiled code, at the same icount', () => {
    const [ref, jit] = machines(NESTED, { [a1]: 300n, [a2]: 50n });
    for (const h of [ref.hart, jit.hart]) expect(h.run(20_000)).toBe(Stop.Budget);
    expect(jit.hart.compiledStats.insns).toBeGreaterThan(0);
    const at = BASE + 36n; // addi t0, t0, 1: in the outer loop's compiled block
    for (const h of [ref.hart, jit.hart]) h.addBreakpoint(at);
    runAlike(ref.hart, jit.hart, [1_000_000]);
    expect(jit.hart.exit.scause).toBe(DEBUG_TRIGGER_CAUSE);
    expect(exitPc(jit.hart.exit)).toBe(at);
  });

  it('stays exact when the code cache is flushed at every batch (table indexes reused)', () => {
    const [ref, jit] = machines(MEMORY, { [a0]: 12345n, [a1]: 3000n }, { ...EAGER, codeCacheBytes: 1 });
    runAlike(ref.hart, jit.hart, [333]);
    expect(ref.hart.exit.scause).toBe(10);
    expect(jit.hart.jit!.stats.flushes).toBeGreaterThan(0);
  });

  it('compiles nothing under the interpreter tier, and everything it can under jit', () => {
    const interp = load(NESTED, { [a1]: 30n, [a2]: 30n }, 1 << 20, INTERP).hart;
    interp.run(1_000_000);
    expect(interp.jit).toBeNull();
    expect(interp.compiledStats.insns).toBe(0);
    const jit = load(NESTED, { [a1]: 30n, [a2]: 30n }, 1 << 20, { tier: 'jit' }).hart;
    jit.run(1_000_000);
    expect(jit.compiledStats.insns).toBeGreaterThan(interp.icount / 2);
    expect(jit.icount).toBe(interp.icount);
    void RAM_BASE;
  });
});
