import { describe, expect, it } from 'vitest';
import { TLB_SIZE } from './mmu.js';
import { a0, a1, load, t0 } from './test-helpers.js';

/** sd rs2, imm(rs1) */
const sd = (rs2: number, rs1: number, imm: number) => (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 0x1f) << 7) | 0x23;

const PAGE_A = 0x8010_0000;
/** A page whose write-TLB slot is PAGE_A's: filling it evicts PAGE_A's entry. */
const PAGE_B = PAGE_A + TLB_SIZE * 4096;

/** A machine running `words`, with a dirty tracker of its own, and the RAM page index of an address. */
function tracked(words: number[], regs: Record<number, bigint>) {
  const m = load(words, regs);
  return { m, tracker: m.ram.addDirtyTracker(), page: (addr: number) => (addr - m.ram.base) >>> 12 };
}

describe('dirty page tracking', () => {
  it('a page written through a TLB entry that is evicted before the next collection is still reported', () => {
    const { m, tracker, page } = tracked([sd(t0, a0, 0), sd(t0, a0, 8), sd(t0, a1, 0)], { [a0]: BigInt(PAGE_A), [a1]: BigInt(PAGE_B), [t0]: 0x1234n });
    m.hart.run(1);
    m.hart.collectDirtyPages();
    expect(tracker[page(PAGE_A)]).toBe(1);
    tracker.fill(0);
    // The second store takes the TLB fast path (it logs nothing); the third evicts the entry it used.
    m.hart.run(2);
    m.hart.collectDirtyPages();
    expect(tracker[page(PAGE_A)]).toBe(1);
    expect(tracker[page(PAGE_B)]).toBe(1);
  });

  it('logs a page only when a store really writes it: a write-TLB entry that is not used again logs nothing', () => {
    const { m, tracker, page } = tracked([sd(t0, a0, 0), 0x00000013, 0x00000013], { [a0]: BigInt(PAGE_A), [t0]: 7n });
    m.hart.run(1);
    m.hart.collectDirtyPages();
    expect(tracker[page(PAGE_A)]).toBe(1);
    tracker.fill(0);
    // The entry for PAGE_A stays in the write TLB, but no store uses it: the next period logs nothing.
    m.hart.run(2);
    m.hart.collectDirtyPages();
    expect(tracker.every((b) => b === 0)).toBe(true);
  });

  it('every tracker gets every page, each clearing its own', () => {
    const m = load([sd(t0, a0, 0), sd(t0, a1, 0)], { [a0]: BigInt(PAGE_A), [a1]: BigInt(PAGE_B), [t0]: 1n });
    const first = m.ram.addDirtyTracker(), second = m.ram.addDirtyTracker();
    const page = (addr: number) => (addr - m.ram.base) >>> 12;
    m.hart.run(1);
    m.hart.collectDirtyPages();
    first.fill(0);
    m.hart.run(1);
    m.hart.collectDirtyPages();
    // The log is exact: A was written only before the first collection, B only after it.
    expect([first[page(PAGE_A)], first[page(PAGE_B)]]).toEqual([0, 1]);
    expect([second[page(PAGE_A)], second[page(PAGE_B)]]).toEqual([1, 1]);
    // A tracker added after a collection has seen nothing yet: every page is marked.
    expect(m.ram.addDirtyTracker().every((b) => b === 1)).toBe(true);
  });
});
