import { describe, it, expect } from 'vitest';
import { Stop } from './hart.js';
import { Cause } from './trap.js';
import {
  a0, a1, a2, a3, a4, a5, BASE, dump, exitPc, exitTval, load, peek, place, poke, RAM_BASE, RAM_SIZE, ra, regs,
  s0, sp, t6, u64, withRegs,
} from './test-helpers.js';

// Loads, stores (every width, sign, alignment, across pages), the A extension, accesses outside RAM (which leave
// the guest as guest page faults or instruction access faults) and self-modifying code. Bare translation.
// Words were assembled with riscv64-unknown-elf-as.

type Regs = Record<number, bigint>;
const DATA = RAM_BASE + 0x1000;
const D = BigInt(DATA);
/** Bytes placed at DATA by `withData`: 88 99 aa bb cc dd ee ff 01 02 … 08, then 0x10 … 0x1f. */
const PATTERN = [0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, ...Array.from({ length: 16 }, (_, i) => 0x10 + i)];

function withData(words: number[], inputs: Regs) {
  const m = load(words, inputs);
  m.ram.write(DATA, Uint8Array.from(PATTERN));
  return m;
}

/** Little-endian value of `size` bytes of `bytes` at `off`. */
function le(bytes: readonly number[], off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]);
  return v;
}
const sext = (v: bigint, bits: number): bigint => u64(BigInt.asIntN(bits, v));

/** Runs one instruction over the data pattern; checks that only `out` changed and the pc moved on. */
function one(word: number, inputs: Regs, out: Regs) {
  const m = withData([word], inputs);
  const before = regs(m.hart);
  expect(m.hart.run(1)).toBe(Stop.Budget);
  expect(dump(regs(m.hart))).toEqual(dump(withRegs(before, out)));
  expect(m.hart.pc).toBe(BASE + ((word & 3) === 3 ? 4n : 2n));
  return m;
}

describe('loads', () => {
  it('every width and sign, aligned', () => {
    one(0x00058503, { [a1]: D }, { [a0]: sext(0x88n, 8) }); // lb a0, 0(a1)
    one(0x00858503, { [a1]: D }, { [a0]: 1n }); // lb a0, 8(a1)
    one(0x0005c503, { [a1]: D }, { [a0]: 0x88n }); // lbu a0, 0(a1)
    one(0x00059503, { [a1]: D }, { [a0]: sext(0x9988n, 16) }); // lh a0, 0(a1)
    one(0x00859503, { [a1]: D }, { [a0]: 0x0201n }); // lh a0, 8(a1)
    one(0x0005d503, { [a1]: D }, { [a0]: 0x9988n }); // lhu a0, 0(a1)
    one(0x0005a503, { [a1]: D }, { [a0]: sext(0xbbaa_9988n, 32) }); // lw a0, 0(a1)
    one(0x0085a503, { [a1]: D }, { [a0]: 0x0403_0201n }); // lw a0, 8(a1)
    one(0x0005e503, { [a1]: D }, { [a0]: 0xbbaa_9988n }); // lwu a0, 0(a1)
    one(0x0005b503, { [a1]: D }, { [a0]: 0xffee_ddcc_bbaa_9988n }); // ld a0, 0(a1)
    one(0x0085b503, { [a1]: D }, { [a0]: 0x0807_0605_0403_0201n }); // ld a0, 8(a1)
  });
  it('negative offsets and a base above the data', () => {
    one(0xff85b503, { [a1]: D + 16n }, { [a0]: 0x0807_0605_0403_0201n }); // ld a0, -8(a1)
    one(0x8005c503, { [a1]: D + 2048n }, { [a0]: 0x88n }); // lbu a0, -2048(a1)
  });
  it('rd = rs1, and rd = x0 (no write)', () => {
    one(0x0005b583, { [a1]: D }, { [a1]: 0xffee_ddcc_bbaa_9988n }); // ld a1, 0(a1)
    one(0x0005b003, { [a1]: D }, {}); // ld x0, 0(a1)
  });
  it('x0 as the base: the address is the offset alone (here 0, not RAM)', () => {
    const { hart } = withData([0x00003503], {}); // ld a0, 0(x0)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitTval(hart.exit)).toBe(0n);
  });

  it('misaligned loads inside a page are performed (as QEMU does)', () => {
    const widths: [string, number, number, boolean][] = [
      // [name, word with a1 as base and offset 0, size, signed]
      ['lh', 0x00059503, 2, true], // lh a0, 0(a1)
      ['lhu', 0x0005d503, 2, false], // lhu a0, 0(a1)
      ['lw', 0x0005a503, 4, true], // lw a0, 0(a1)
      ['lwu', 0x0005e503, 4, false], // lwu a0, 0(a1)
      ['ld', 0x0005b503, 8, true], // ld a0, 0(a1)
    ];
    for (const [name, word, size, signed] of widths) {
      for (let off = 1; off < size; off++) {
        const raw = le(PATTERN, off, size);
        const want = signed ? sext(raw, 8 * size) : raw;
        const { hart } = withData([word], { [a1]: D + BigInt(off) });
        expect(hart.run(1), `${name} at +${off}`).toBe(Stop.Budget);
        expect(hart.getReg(a0), `${name} at +${off}`).toBe(want);
      }
    }
  });

  it('misaligned loads after aligned ones on the same page (a TLB hit must not serve them)', () => {
    const m = withData([
      0x0005b503, // ld a0, 0(a1)
      0x0055a603, // lw a2, 5(a1)
      0x0015d683, // lhu a3, 1(a1)
      0x0085b703, // ld a4, 8(a1)
      0x0025e783, // lwu a5, 2(a1)
    ], { [a1]: D });
    expect(m.hart.run(5)).toBe(Stop.Budget);
    expect(m.hart.getReg(a0)).toBe(le(PATTERN, 0, 8));
    expect(m.hart.getReg(a2)).toBe(sext(le(PATTERN, 5, 4), 32));
    expect(m.hart.getReg(a3)).toBe(le(PATTERN, 1, 2));
    expect(m.hart.getReg(a4)).toBe(le(PATTERN, 8, 8));
    expect(m.hart.getReg(a5)).toBe(le(PATTERN, 2, 4));
  });

  it('misaligned loads that cross a page boundary', () => {
    const page = RAM_BASE + 0x3000;
    const bytes = Array.from({ length: 16 }, (_, i) => 0xf0 - i * 7);
    const cases: [number, number, number, boolean][] = [
      // [word with a1 as base, offset from page - 8, size, signed]
      [0x0005b503, 5, 8, true], // ld a0, 0(a1)
      [0x0005b503, 1, 8, true], // ld a0, 0(a1)
      [0x0005b503, 7, 8, true], // ld a0, 0(a1)
      [0x0005a503, 6, 4, true], // lw a0, 0(a1)
      [0x0005e503, 5, 4, false], // lwu a0, 0(a1)
      [0x0005a503, 7, 4, true], // lw a0, 0(a1)
      [0x00059503, 7, 2, true], // lh a0, 0(a1)
      [0x0005d503, 7, 2, false], // lhu a0, 0(a1)
    ];
    for (const [word, off, size, signed] of cases) {
      const { hart, ram } = load([word], { [a1]: BigInt(page - 8 + off) });
      ram.write(page - 8, Uint8Array.from(bytes));
      const raw = le(bytes, off, size);
      expect(hart.run(1)).toBe(Stop.Budget);
      expect(hart.getReg(a0), `size ${size} at page-${8 - off}`).toBe(signed ? sext(raw, 8 * size) : raw);
    }
  });
});

describe('stores', () => {
  const V = 0x1122_3344_5566_7788n;
  function store(word: number, addr: number, value: bigint, window = 16): number[] {
    const { hart, ram } = load([word], { [a1]: BigInt(addr), [a2]: value });
    ram.write(DATA, new Uint8Array(32).fill(0xaa));
    const before = regs(hart);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(regs(hart)).toEqual(before);
    return Array.from(ram.read(DATA, window));
  }
  const fill = (n = 16) => new Array<number>(n).fill(0xaa);

  it('sb, sh, sw, sd write exactly their bytes', () => {
    let want = fill(); want[1] = 0x88;
    expect(store(0x00c580a3, DATA, V)).toEqual(want); // sb a2, 1(a1)
    want = fill(); want.splice(2, 2, 0x88, 0x77);
    expect(store(0x00c59123, DATA, V)).toEqual(want); // sh a2, 2(a1)
    want = fill(); want.splice(4, 4, 0x88, 0x77, 0x66, 0x55);
    expect(store(0x00c5a223, DATA, V)).toEqual(want); // sw a2, 4(a1)
    want = fill(); want.splice(8, 8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
    expect(store(0x00c5b423, DATA, V)).toEqual(want); // sd a2, 8(a1)
    want = fill(); want.splice(0, 8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
    expect(store(0xfec5bc23, DATA + 8, V)).toEqual(want); // sd a2, -8(a1)
    want = fill(); want.splice(0, 8, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(store(0x0005b023, DATA, V)).toEqual(want); // sd x0, 0(a1)
  });

  it('misaligned stores inside a page', () => {
    const bytesOf = (n: number) => Array.from({ length: n }, (_, i) => Number((V >> BigInt(8 * i)) & 0xffn));
    const forms: [number, number][] = [
      [0x00c59023, 2], // sh a2, 0(a1)
      [0x00c5a023, 4], // sw a2, 0(a1)
      [0x00c5b023, 8], // sd a2, 0(a1)
    ];
    for (const [word, size] of forms) {
      for (let off = 1; off < size; off++) {
        const want = fill();
        want.splice(off, size, ...bytesOf(size));
        expect(store(word, DATA + off, V), `size ${size} at +${off}`).toEqual(want);
      }
    }
  });

  it('misaligned stores that cross a page boundary', () => {
    const forms: [number, number][] = [
      [0x00c5b023, 8], // sd a2, 0(a1)
      [0x00c5a023, 4], // sw a2, 0(a1)
      [0x00c59023, 2], // sh a2, 0(a1)
    ];
    for (const [word, size] of forms) {
      const page = RAM_BASE + 0x3000;
      const addr = page - 1;
      const { hart, ram } = load([word], { [a1]: BigInt(addr), [a2]: V });
      ram.write(page - 8, new Uint8Array(16).fill(0xaa));
      expect(hart.run(1)).toBe(Stop.Budget);
      const want = new Array<number>(16).fill(0xaa);
      for (let i = 0; i < size; i++) want[7 + i] = Number((V >> BigInt(8 * i)) & 0xffn);
      expect(Array.from(ram.read(page - 8, 16)), `size ${size}`).toEqual(want);
    }
  });

  it('a store then a load of the same address sees the value, at every width', () => {
    const { hart } = load([
      0x00c5b023, // sd a2, 0(a1)
      0x0005b503, // ld a0, 0(a1)
      0x00d58423, // sb a3, 8(a1)
      0x00858683, // lb a3, 8(a1)
      0x00e59523, // sh a4, 10(a1)
      0x00a5d703, // lhu a4, 10(a1)
      0x00f5a623, // sw a5, 12(a1)
      0x00c5a783, // lw a5, 12(a1)
    ], { [a1]: D, [a2]: V, [a3]: 0x1_80n, [a4]: 0x1_8001n, [a5]: 0x1_8000_0001n });
    expect(hart.run(8)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(V);
    expect(hart.getReg(a3)).toBe(sext(0x80n, 8));
    expect(hart.getReg(a4)).toBe(0x8001n);
    expect(hart.getReg(a5)).toBe(sext(0x8000_0001n, 32));
  });
});

describe('RV64C loads and stores', () => {
  it('c.lw, c.ld, c.lwsp, c.ldsp', () => {
    one(0x411c, { [a0]: D }, { [a5]: sext(0xbbaa_9988n, 32) }); // c.lw a5, 0(a0)
    one(0x6588, { [a1]: D }, { [a0]: 0x0807_0605_0403_0201n }); // c.ld a0, 8(a1)
    one(0x4532, { [sp]: D }, { [a0]: sext(le(PATTERN, 12, 4), 32) }); // c.lwsp a0, 12(sp)
    one(0x6fe2, { [sp]: D - 8n }, { [t6]: le(PATTERN, 16, 8) }); // c.ldsp t6, 24(sp)
  });
  it('c.sw, c.sd, c.swsp, c.sdsp', () => {
    const V = 0xfedc_ba98_7654_3210n;
    const cases: [number, Regs, number, number][] = [
      // [word, registers, offset written from DATA, size]
      [0xc110, { [a0]: D, [a2]: V }, 0, 4], // c.sw a2, 0(a0)
      [0xe590, { [a1]: D - 8n, [a2]: V }, 0, 8], // c.sd a2, 8(a1)
      [0xc232, { [sp]: D, [a2]: V }, 4, 4], // c.swsp a2, 4(sp)
      [0xe43e, { [sp]: D, [a5]: V }, 8, 8], // c.sdsp a5, 8(sp)
    ];
    for (const [word, inputs, off, size] of cases) {
      const { hart, ram } = load([word], inputs);
      ram.write(DATA, new Uint8Array(16).fill(0xaa));
      expect(hart.run(1)).toBe(Stop.Budget);
      expect(hart.pc).toBe(BASE + 2n);
      const want = new Array<number>(16).fill(0xaa);
      for (let i = 0; i < size; i++) want[off + i] = Number((V >> BigInt(8 * i)) & 0xffn);
      expect(Array.from(ram.read(DATA, 16))).toEqual(want);
    }
  });
  it('c.lw and c.ld at the largest offsets', () => {
    const { hart, ram } = load([
      0x5fe0, // c.lw s0, 124(a5)
      0x7cf8, // c.ld a4, 248(s1)
    ], { [a5]: D, [9]: D });
    poke(ram, DATA + 124, 4, 0x8765_4321n);
    poke(ram, DATA + 248, 8, 0x0123_4567_89ab_cdefn);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(s0)).toBe(sext(0x8765_4321n, 32));
    expect(hart.getReg(a4)).toBe(0x0123_4567_89ab_cdefn);
  });
});

describe('accesses outside RAM leave the guest', () => {
  const UART = 0x1000_0000n;

  it('a load from a non-RAM address: guest page fault (21) with htval and htinst', () => {
    const { hart } = withData([0x0005b503], { [a1]: UART }); // ld a0, 0(a1)
    const before = regs(hart);
    expect(hart.run(10)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitPc(hart.exit)).toBe(BASE);
    expect(exitTval(hart.exit)).toBe(UART);
    expect(hart.exit.htval).toBe(Number(UART >> 2n));
    expect(hart.exit.htinst).toBe(0x3503); // ld a0, 0(x0) with the offset field zeroed
    expect(hart.exit.fromPriv).toBe(1);
    expect(hart.icount).toBe(0);
    expect(hart.pc).toBe(BASE);
    expect(regs(hart)).toEqual(before);
  });

  it('the faulting address includes the offset; htinst keeps the width and rd', () => {
    const { hart } = withData([0x0045a603], { [a1]: UART }); // lw a2, 4(a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(exitTval(hart.exit)).toBe(UART + 4n);
    expect(hart.exit.htval).toBe(Number((UART + 4n) >> 2n));
    expect(hart.exit.htinst).toBe(0x2603);
  });

  it('a store to a non-RAM address: guest page fault (23)', () => {
    const { hart } = withData([0x00c58023], { [a1]: UART, [a2]: 0x41n }); // sb a2, 0(a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.StoreGuestPageFault);
    expect(exitTval(hart.exit)).toBe(UART);
    expect(hart.exit.htval).toBe(Number(UART >> 2n));
    expect(hart.exit.htinst).toBe(0x00c00023);
  });

  it('compressed forms give htinst with bit 1 clear', () => {
    let m = withData([0x4188], { [a1]: UART }); // c.lw a0, 0(a1)
    expect(m.hart.run(1)).toBe(Stop.Trap);
    expect(m.hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(m.hart.exit.htinst).toBe(0x2501);
    m = withData([0xe190], { [a1]: UART }); // c.sd a2, 0(a1)
    expect(m.hart.run(1)).toBe(Stop.Trap);
    expect(m.hart.exit.scause).toBe(Cause.StoreGuestPageFault);
    expect(m.hart.exit.htinst).toBe(0x00c03021);
  });

  it('the address just past the end of RAM is not RAM', () => {
    const end = BigInt(RAM_BASE + RAM_SIZE);
    const { hart } = withData([0x0005b503], { [a1]: end }); // ld a0, 0(a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitTval(hart.exit)).toBe(end);
    const last = withData([0x0005b503], { [a1]: end - 8n }); // ld a0, 0(a1)
    expect(last.hart.run(1)).toBe(Stop.Budget);
  });

  it('a load into x0 from a non-RAM address still traps (the access happens)', () => {
    const { hart } = withData([0x0005a003], { [a1]: UART }); // lw x0, 0(a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(hart.exit.htinst).toBe(0x2003);
  });

  it('guest-physical addresses above 4 GiB: htval holds address >> 2 in full', () => {
    const gpa = 0x10_0000_0008n;
    const { hart } = withData([0x0005b503], { [a1]: gpa }); // ld a0, 0(a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitTval(hart.exit)).toBe(gpa);
    expect(BigInt(hart.exit.htval)).toBe(gpa >> 2n);
  });

  it('instructions before the faulting one retire; the fault stops mid-block', () => {
    const { hart } = withData([
      0x00100513, // addi a0, x0, 1
      0x00150513, // addi a0, a0, 1
      0x0005b603, // ld a2, 0(a1)
      0x00150513, // addi a0, a0, 1
    ], { [a1]: UART });
    expect(hart.run(100)).toBe(Stop.Trap);
    expect(hart.icount).toBe(2);
    expect(hart.getReg(a0)).toBe(2n);
    expect(hart.pc).toBe(BASE + 8n);
    expect(exitPc(hart.exit)).toBe(BASE + 8n);
  });

  it('a fetch from a non-RAM address: instruction access fault (1)', () => {
    const { hart } = load([]);
    hart.pc = 0x1000n;
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.InstAccess);
    expect(exitPc(hart.exit)).toBe(0x1000n);
    expect(exitTval(hart.exit)).toBe(0x1000n);
    expect(hart.exit.htval).toBe(0);
    expect(hart.exit.htinst).toBe(0);
    expect(hart.icount).toBe(0);
  });

  it('a jump out of RAM: the jump retires, the fetch faults', () => {
    const { hart } = load([
      0x00058067, // jalr x0, 0(a1)
    ], { [a1]: 0x2000_0000n });
    expect(hart.run(5)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.InstAccess);
    expect(exitPc(hart.exit)).toBe(0x2000_0000n);
    expect(hart.icount).toBe(1);
  });

  it('a 32-bit instruction in the last two bytes of RAM: access fault at the end of RAM, sepc at its start', () => {
    const { hart, ram } = load([]);
    const end = RAM_BASE + RAM_SIZE;
    poke(ram, end - 2, 2, 0x0513n); // low half of addi a0, x0, 1
    hart.pc = BigInt(end - 2);
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.InstAccess);
    expect(exitPc(hart.exit)).toBe(BigInt(end - 2));
    expect(exitTval(hart.exit)).toBe(BigInt(end));
    expect(hart.icount).toBe(0);
  });

  it('running off the end of RAM', () => {
    const { hart, ram } = load([]);
    const end = RAM_BASE + RAM_SIZE;
    place(ram, end - 4, [
      0x00100513, // addi a0, x0, 1
    ]);
    hart.pc = BigInt(end - 4);
    expect(hart.run(5)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.InstAccess);
    expect(exitPc(hart.exit)).toBe(BigInt(end));
    expect(hart.icount).toBe(1);
    expect(hart.getReg(a0)).toBe(1n);
  });
});

describe('A extension', () => {
  it('lr.w / sc.w succeed: lr sign-extends, sc writes 32 bits and returns 0', () => {
    const { hart, ram } = load([
      0x100525af, // lr.w a1, (a0)
      0x18c526af, // sc.w a3, a2, (a0)
    ], { [a0]: D, [a2]: 0xdead_beef_1234_5678n, [a3]: 7n });
    poke(ram, DATA, 8, 0x1111_1111_8000_0000n);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(a1)).toBe(sext(0x8000_0000n, 32));
    expect(hart.getReg(a3)).toBe(0n);
    expect(peek(ram, DATA, 8)).toBe(0x1111_1111_1234_5678n);
  });

  it('lr.d / sc.d succeed', () => {
    const { hart, ram } = load([
      0x100535af, // lr.d a1, (a0)
      0x18c536af, // sc.d a3, a2, (a0)
    ], { [a0]: D, [a2]: 0xdead_beef_1234_5678n, [a3]: 7n });
    poke(ram, DATA, 8, 0x8000_0000_0000_0001n);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(a1)).toBe(0x8000_0000_0000_0001n);
    expect(hart.getReg(a3)).toBe(0n);
    expect(peek(ram, DATA, 8)).toBe(0xdead_beef_1234_5678n);
  });

  it('sc without a reservation fails (1) and leaves memory alone', () => {
    const { hart, ram } = load([0x18c536af], { [a0]: D, [a2]: 5n }); // sc.d a3, a2, (a0)
    poke(ram, DATA, 8, 42n);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(a3)).toBe(1n);
    expect(peek(ram, DATA, 8)).toBe(42n);
  });

  it('sc to another address than the reservation fails', () => {
    const { hart, ram } = load([
      0x100525af, // lr.w a1, (a0)
      0x18c726af, // sc.w a3, a2, (a4)
    ], { [a0]: D, [a4]: D + 4n, [a2]: 5n });
    poke(ram, DATA, 8, 0x0000_0009_0000_0008n);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(a3)).toBe(1n);
    expect(peek(ram, DATA, 8)).toBe(0x0000_0009_0000_0008n);
  });

  it('a reservation is used up by an sc: a second sc fails', () => {
    const { hart, ram } = load([
      0x100525af, // lr.w a1, (a0)
      0x18c526af, // sc.w a3, a2, (a0)
      0x18b5272f, // sc.w a4, a1, (a0)
    ], { [a0]: D, [a2]: 5n });
    poke(ram, DATA, 4, 3n);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a3)).toBe(0n);
    expect(hart.getReg(a4)).toBe(1n);
    expect(peek(ram, DATA, 4)).toBe(5n);
  });

  it('sc fails when memory no longer holds the value lr loaded (QEMU: sc is a cmpxchg against it)', () => {
    // QEMU target/riscv/insn_trans/trans_rva.c.inc gen_sc: tcg_gen_atomic_cmpxchg_tl(dat, load_res, load_val, …).
    const { hart, ram } = load([
      0x100525af, // lr.w a1, (a0)
      0x00e52023, // sw a4, 0(a0)
      0x18c526af, // sc.w a3, a2, (a0)
    ], { [a0]: D, [a2]: 5n, [a4]: 9n });
    poke(ram, DATA, 4, 3n);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a3)).toBe(1n);
    expect(peek(ram, DATA, 4)).toBe(9n);
  });

  it('a trap between lr and sc drops the reservation (QEMU clears it on every trap and privilege change)', () => {
    const { hart, ram } = load([
      0x100525af, // lr.w a1, (a0)
      0x00100073, // ebreak
      0x18c526af, // sc.w a3, a2, (a0)
    ], { [a0]: D, [a2]: 5n });
    place(ram, RAM_BASE + 0x800, [
      0x141022f3, // csrrs t0, sepc, x0
      0x00428293, // addi t0, t0, 4
      0x14129073, // csrrw x0, sepc, t0
      0x10200073, // sret
    ]);
    hart.csr.stvecLo = (RAM_BASE + 0x800) | 0;
    poke(ram, DATA, 4, 3n);
    expect(hart.run(6)).toBe(Stop.Budget); // lr, (ebreak traps) 4 handler instructions, sc
    expect(hart.pc).toBe(BASE + 12n);
    expect(hart.getReg(a3)).toBe(1n);
    expect(peek(ram, DATA, 4)).toBe(3n);
  });

  it('misaligned lr raises load address misaligned (4), which leaves the guest', () => {
    const { hart } = load([0x100525af], { [a0]: D + 2n }); // lr.w a1, (a0)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadMisaligned);
    expect(exitTval(hart.exit)).toBe(D + 2n);
    expect(hart.getReg(a1)).toBe(0n);
  });

  it('misaligned sc without a reservation fails without trapping (QEMU checks the reservation address first)', () => {
    const { hart, ram } = load([0x18c536af], { [a0]: D + 4n, [a2]: 5n }); // sc.d a3, a2, (a0)
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(a3)).toBe(1n);
    expect(peek(ram, DATA, 16)).toBe(0n);
  });

  // Every AMO: rd gets the old value (sign-extended for .W); memory gets op(old, rs2). M is negative, S positive.
  const M64 = 0x8000_0000_0000_0001n, S64 = 2n;
  const M32 = 0x8000_0001n, S32 = 0x1234_5678_0000_0002n; // .W uses only the low 32 bits of rs2
  const amos: [string, number, number, bigint][] = [
    ['amoswap.d', 0x08c5b6af, 8, S64], // amoswap.d a3, a2, (a1)
    ['amoadd.d', 0x00c5b6af, 8, M64 + S64], // amoadd.d a3, a2, (a1)
    ['amoxor.d', 0x20c5b6af, 8, M64 ^ S64], // amoxor.d a3, a2, (a1)
    ['amoand.d', 0x60c5b6af, 8, M64 & S64], // amoand.d a3, a2, (a1)
    ['amoor.d', 0x40c5b6af, 8, M64 | S64], // amoor.d a3, a2, (a1)
    ['amomin.d', 0x80c5b6af, 8, M64], // amomin.d a3, a2, (a1)
    ['amomax.d', 0xa0c5b6af, 8, S64], // amomax.d a3, a2, (a1)
    ['amominu.d', 0xc0c5b6af, 8, S64], // amominu.d a3, a2, (a1)
    ['amomaxu.d', 0xe0c5b6af, 8, M64], // amomaxu.d a3, a2, (a1)
    ['amoswap.w', 0x08c5a6af, 4, 2n], // amoswap.w a3, a2, (a1)
    ['amoadd.w', 0x00c5a6af, 4, 0x8000_0003n], // amoadd.w a3, a2, (a1)
    ['amoxor.w', 0x20c5a6af, 4, 0x8000_0003n], // amoxor.w a3, a2, (a1)
    ['amoand.w', 0x60c5a6af, 4, 0n], // amoand.w a3, a2, (a1)
    ['amoor.w', 0x40c5a6af, 4, 0x8000_0003n], // amoor.w a3, a2, (a1)
    ['amomin.w', 0x80c5a6af, 4, M32], // amomin.w a3, a2, (a1)
    ['amomax.w', 0xa0c5a6af, 4, 2n], // amomax.w a3, a2, (a1)
    ['amominu.w', 0xc0c5a6af, 4, 2n], // amominu.w a3, a2, (a1)
    ['amomaxu.w', 0xe0c5a6af, 4, M32], // amomaxu.w a3, a2, (a1)
  ];
  for (const [name, word, size, after] of amos) {
    it(`${name}`, () => {
      const wide = size === 8;
      const { hart, ram } = load([word], { [a1]: D, [a2]: wide ? S64 : S32 });
      poke(ram, DATA, 8, wide ? M64 : 0xdead_beef_0000_0000n | M32);
      poke(ram, DATA + 8, 8, 0x5555_5555_5555_5555n);
      expect(hart.run(1)).toBe(Stop.Budget);
      expect(hart.getReg(a3)).toBe(wide ? M64 : sext(M32, 32));
      expect(hart.getReg(a2)).toBe(wide ? S64 : S32);
      expect(peek(ram, DATA, size)).toBe(u64(after) & ((1n << BigInt(8 * size)) - 1n));
      if (!wide) expect(peek(ram, DATA + 4, 4)).toBe(0xdead_beefn);
      expect(peek(ram, DATA + 8, 8)).toBe(0x5555_5555_5555_5555n);
    });
  }

  it('amoadd carries across the words for .d and wraps for .w', () => {
    let m = load([0x00c5b6af], { [a1]: D, [a2]: 1n }); // amoadd.d a3, a2, (a1)
    poke(m.ram, DATA, 8, 0xffff_ffffn);
    m.hart.run(1);
    expect(peek(m.ram, DATA, 8)).toBe(0x1_0000_0000n);
    m = load([0x00c5a6af], { [a1]: D, [a2]: 1n }); // amoadd.w a3, a2, (a1)
    poke(m.ram, DATA, 8, 0x7777_7777_ffff_ffffn);
    m.hart.run(1);
    expect(peek(m.ram, DATA, 8)).toBe(0x7777_7777_0000_0000n);
    expect(m.hart.getReg(a3)).toBe(u64(-1n));
  });

  it('amomin.w / amominu.w compare 32-bit values (upper bits of rs2 ignored)', () => {
    let m = load([0x80c5a6af], { [a1]: D, [a2]: 0x0000_0000_ffff_ffffn }); // amomin.w a3, a2, (a1)
    poke(m.ram, DATA, 4, 1n);
    m.hart.run(1);
    expect(peek(m.ram, DATA, 4)).toBe(0xffff_ffffn);
    m = load([0xc0c5a6af], { [a1]: D, [a2]: 0x0000_0000_ffff_ffffn }); // amominu.w a3, a2, (a1)
    poke(m.ram, DATA, 4, 1n);
    m.hart.run(1);
    expect(peek(m.ram, DATA, 4)).toBe(1n);
  });

  it('amo with rd = rs2 returns the old value and stores with the old rs2', () => {
    const { hart, ram } = load([0x00c5a62f], { [a1]: D, [a2]: 10n }); // amoadd.w a2, a2, (a1)
    poke(ram, DATA, 4, 32n);
    hart.run(1);
    expect(hart.getReg(a2)).toBe(32n);
    expect(peek(ram, DATA, 4)).toBe(42n);
  });

  it('amoswap to x0 writes memory only', () => {
    const { hart, ram } = load([0x08c5b02f], { [a1]: D, [a2]: 10n }); // amoswap.d x0, a2, (a1)
    const before = regs(hart);
    hart.run(1);
    expect(regs(hart)).toEqual(before);
    expect(peek(ram, DATA, 8)).toBe(10n);
  });

  it('a misaligned AMO raises store/AMO address misaligned (6), not delegated: Stop.Trap', () => {
    const cases: [number, bigint][] = [
      [0x00c5a6af, D + 2n], // amoadd.w a3, a2, (a1)
      [0x00c5b6af, D + 4n], // amoadd.d a3, a2, (a1)
      [0x08c5b6af, D + 1n], // amoswap.d a3, a2, (a1)
      [0x0ec5a6af, D + 6n], // amoswap.w.aqrl a3, a2, (a1)
    ];
    for (const [word, addr] of cases) {
      const { hart, ram } = load([word], { [a1]: addr, [a2]: 1n });
      expect(hart.run(1)).toBe(Stop.Trap);
      expect(hart.exit.scause).toBe(Cause.StoreMisaligned);
      expect(exitTval(hart.exit)).toBe(addr);
      expect(exitPc(hart.exit)).toBe(BASE);
      expect(hart.icount).toBe(0);
      expect(hart.getReg(a3)).toBe(0n);
      expect(peek(ram, DATA, 16)).toBe(0n);
    }
  });

  it('an AMO on a non-RAM address is a store guest page fault (23)', () => {
    const { hart } = load([0x00c5a6af], { [a1]: 0x1000_0000n, [a2]: 1n }); // amoadd.w a3, a2, (a1)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.StoreGuestPageFault);
    expect(exitTval(hart.exit)).toBe(0x1000_0000n);
    expect(hart.exit.htval).toBe(0x1000_0000 / 4);
  });

  it('lr on a non-RAM address is a load guest page fault (21)', () => {
    const { hart } = load([0x100525af], { [a0]: 0x1000_0000n }); // lr.w a1, (a0)
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitTval(hart.exit)).toBe(0x1000_0000n);
  });
});

describe('self-modifying code', () => {
  const NEW = 0x06460613; // addi a2, a2, 100

  it('a store over an instruction that already ran: the new instruction runs next time', () => {
    const prog = [
      0x00160613, // addi a2, a2, 1
      0x00069863, // bne a3, x0, .+16
      0x00b52023, // sw a1, 0(a0)
      0x00100693, // addi a3, x0, 1
      0xff1ff06f, // jal x0, .-16
      0x00700713, // addi a4, x0, 7
    ];
    // All at once (blocks), then one instruction at a time (single-instruction blocks).
    for (const stepwise of [false, true]) {
      const { hart } = load(prog, { [a0]: D - 0x1000n, [a1]: BigInt(NEW) });
      if (stepwise) for (let i = 0; i < 8; i++) expect(hart.run(1)).toBe(Stop.Budget);
      else expect(hart.run(8)).toBe(Stop.Budget);
      expect(hart.getReg(a2)).toBe(101n);
      expect(hart.getReg(a4)).toBe(7n);
      expect(hart.pc).toBe(BASE + 0x18n);
      expect(hart.icount).toBe(8);
    }
  });

  it('a store over the next instruction of the same block', () => {
    const { hart } = load([
      0x00b52223, // sw a1, 4(a0)
      0x00100613, // addi a2, x0, 1
      0x00300693, // addi a3, x0, 3
    ], { [a0]: BASE, [a1]: BigInt(0x02a00613) }); // addi a2, x0, 42
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a2)).toBe(42n);
    expect(hart.getReg(a3)).toBe(3n);
  });

  it('a halfword store over a compressed instruction', () => {
    const { hart } = load([
      0x00b51223, // sh a1, 4(a0)
      0x4605, // c.li a2, 1
      0x468d, // c.li a3, 3
    ], { [a0]: BASE, [a1]: BigInt(0x4615) }); // c.li a2, 5
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a2)).toBe(5n);
    expect(hart.getReg(a3)).toBe(3n);
    expect(hart.pc).toBe(BASE + 8n);
  });

  it('a doubleword store over two instructions', () => {
    const newA = 0x00b00613; // addi a2, x0, 11
    const newB = 0x01600693; // addi a3, x0, 22
    const { hart } = load([
      0x00b53423, // sd a1, 8(a0)
      0x00000013, // addi x0, x0, 0
      0x00100613, // addi a2, x0, 1
      0x00200693, // addi a3, x0, 2
    ], { [a0]: BASE, [a1]: (BigInt(newB) << 32n) | BigInt(newA) });
    expect(hart.run(4)).toBe(Stop.Budget);
    expect(hart.getReg(a2)).toBe(11n);
    expect(hart.getReg(a3)).toBe(22n);
  });

  it('a misaligned store over the halves of two instructions', () => {
    const newA = 0x12300613; // addi a2, x0, 0x123
    const newB = 0x45600713; // addi a4, x0, 0x456
    const { hart } = load([
      0x00b52323, // sw a1, 6(a0)
      0x00100613, // addi a2, x0, 1
      0x45600693, // addi a3, x0, 0x456
    ], { [a0]: BASE, [a1]: BigInt((((newB & 0xffff) << 16) | (newA >>> 16)) >>> 0) });
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a2)).toBe(0x123n);
    expect(hart.getReg(a3)).toBe(0n);
    expect(hart.getReg(a4)).toBe(0x456n);
  });

  it('an AMO over the next instruction', () => {
    const { hart } = load([
      0x08b5202f, // amoswap.w x0, a1, (a0)
      0x00100613, // addi a2, x0, 1
    ], { [a0]: BASE + 4n, [a1]: BigInt(0x02a00613) }); // addi a2, x0, 42
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.getReg(a2)).toBe(42n);
  });

  it('code written on a page whose write TLB entry predates the code', () => {
    const { hart, ram } = load([
      0x1005a023, // sw x0, 0x100(a1)
      0x000580e7, // jalr ra, 0(a1)
      0x00c5a023, // sw a2, 0(a1)
      0x000580e7, // jalr ra, 0(a1)
      0x00100793, // addi a5, x0, 1
    ], { [a1]: D, [a2]: BigInt(0x06450513) }); // addi a0, a0, 100
    place(ram, DATA, [
      0x00150513, // addi a0, a0, 1
      0x00008067, // jalr x0, 0(ra)
    ]);
    expect(hart.run(9)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(101n);
    expect(hart.getReg(a5)).toBe(1n);
    expect(hart.pc).toBe(BASE + 0x14n);
  });

  it('a store over the second half of a 32-bit instruction that straddles a page boundary', () => {
    const { hart, ram } = load([], { [a0]: BASE + 0x1000n, [a1]: 0x0050n });
    place(ram, RAM_BASE + 0xff4, [
      0x00a0006f, // jal x0, .+10
      0x00b51023, // sh a1, 0(a0)  # rewrites the upper half, on the next page: addi a2, x0, 1 becomes addi a2, x0, 5
      0xa009, // c.j .+2
      0x00100613, // addi a2, x0, 1  # at 0x80000ffe: straddles the page boundary
      0xff7ff06f, // jal x0, .-10
    ]);
    hart.pc = BASE + 0xff4n;
    expect(hart.run(3)).toBe(Stop.Budget); // jal, addi, jal back to the sh
    expect(hart.getReg(a2)).toBe(1n);
    expect(hart.pc).toBe(BASE + 0xff8n);
    expect(hart.run(3)).toBe(Stop.Budget); // sh, c.j, the rewritten addi
    expect(peek(ram, RAM_BASE + 0x1000, 2)).toBe(0x0050n);
    expect(hart.getReg(a2)).toBe(5n);
    expect(hart.pc).toBe(BASE + 0x1002n);
  });

  it('stores to data next to code on the same page do not disturb the code', () => {
    const { hart, ram } = load([
      0x00150513, // addi a0, a0, 1
      0x00a5b023, // sd a0, 0(a1)
      0xfff60613, // addi a2, a2, -1
      0xfe061ae3, // bne a2, x0, .-12
    ], { [a1]: BASE + 0x20n, [a2]: 10n });
    expect(hart.run(40)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(10n);
    expect(peek(ram, RAM_BASE + 0x20, 8)).toBe(10n);
    expect(hart.pc).toBe(BASE + 16n);
  });
});
