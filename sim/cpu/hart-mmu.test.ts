import { describe, it, expect } from 'vitest';
import { SSTATUS_MXR, SSTATUS_SUM } from './csr.js';
import { Hart, PRIV_S, PRIV_U, Stop } from './hart.js';
import { encode } from '../isa/index.js';
import { Cause } from './trap.js';
import {
  a0, a1, a2, a3, a5, BASE, exitPc, exitTval, Machine, PageTables, peek, place, poke, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V,
  PTE_W, PTE_X, RAM_BASE, scause, sepc, setPriv, setRegs, setSatp, setSepc, setStvec, setup, stval, t6, u64,
} from './test-helpers.js';

// Sv39 and Sv48 first-stage translation (privileged spec, "Supervisor-Level ISA", virtual-memory sections):
// leaves at every level, permission checks (R/W/X/U, SUM, MXR), hardware A/D updates (as QEMU performs them),
// superpage alignment, reserved bits, canonical addresses, and what a fault reports. Code runs identity-mapped at
// 0x8000_0000; the trap handler is at 0x8000_0800 in the same page. Words assembled with riscv64-unknown-elf-as.

const POOL = RAM_BASE + 0x10_0000; // page-table pages
const HANDLER = BASE + 0x800n;
const RWAD = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
const RXA = PTE_V | PTE_R | PTE_X | PTE_A;

/** Physical data pages and the virtual addresses the tests map them at. */
const PA1 = RAM_BASE + 0x1_0000, PA2 = RAM_BASE + 0x1_1000, PA3 = RAM_BASE + 0x1_2000;
const VA = 0x1000_0000n;

interface Vm extends Machine {
  pt: PageTables;
}

/**
 * A machine with page tables: code (and the handler) identity-mapped at 0x8000_0000, stvec = the handler, which
 * counts its entries in t6. `delegate = false` clears hedeleg so that faults come back as Stop.Trap.
 */
function vm(mode: 'sv39' | 'sv48' = 'sv39', delegate = true): Vm {
  const m = setup();
  const pt = new PageTables(m.ram, mode, POOL);
  pt.map(BASE, RAM_BASE, RXA);
  place(m.ram, Number(HANDLER), [
    0x001f8f93, // addi t6, t6, 1
    0x00000013, // addi x0, x0, 0
  ]);
  setStvec(m.hart, HANDLER);
  if (!delegate) m.hart.hedeleg = 0;
  return { ...m, pt };
}

/** Places the program at 0x8000_0000, sets registers and turns translation on. */
function start(v: Vm, words: number[], regs: Record<number, bigint> = {}): Hart {
  place(v.ram, RAM_BASE, words);
  setRegs(v.hart, regs);
  setSatp(v.hart, v.pt.satp);
  return v.hart;
}

function setStatus(h: Hart, bits: number): void {
  h.csr.sstatus |= bits;
  h.syncMmu();
}

/** Runs one instruction that must fault (hedeleg = 0): checks cause, sepc, stval and that nothing retired. */
function expectFault(h: Hart, cause: number, tval: bigint, pc = BASE): void {
  const before = h.icount;
  expect(h.run(1)).toBe(Stop.Trap);
  expect(h.exit.scause).toBe(cause);
  expect(exitTval(h.exit)).toBe(u64(tval));
  expect(exitPc(h.exit)).toBe(pc);
  expect(h.icount).toBe(before);
}

const LD = 0x0005b503; // ld a0, 0(a1)
const SD = 0x00c5b023; // sd a2, 0(a1)
const JALR = 0x000580e7; // jalr ra, 0(a1)

describe('Sv39 translation', () => {
  it('4 KiB pages: load and store go to the mapped physical page', () => {
    const v = vm();
    v.pt.map(VA, PA1, RWAD);
    v.pt.map(VA + 0x1000n, PA3, RWAD); // the next virtual page maps to a non-adjacent physical one
    poke(v.ram, PA1 + 8, 8, 0x1122_3344_5566_7788n);
    poke(v.ram, PA3, 8, 0x99n);
    const h = start(v, [
      0x0085b503, // ld a0, 8(a1)
      0x00c5b823, // sd a2, 16(a1)
      0x00073683, // ld a3, 0(a4)
    ], { [a1]: VA, [a2]: 0xabcdn, [14]: VA + 0x1000n });
    expect(h.run(3)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(0x1122_3344_5566_7788n);
    expect(peek(v.ram, PA1 + 16, 8)).toBe(0xabcdn);
    expect(h.getReg(a3)).toBe(0x99n);
  });

  it('2 MiB pages', () => {
    const v = vm();
    v.pt.map(0x4020_0000n, RAM_BASE + 0x20_0000, RWAD, 1);
    poke(v.ram, RAM_BASE + 0x21_2340, 8, 0x5a5an);
    const h = start(v, [LD, SD], { [a1]: 0x4021_2340n, [a2]: 0x6b6bn });
    h.run(1);
    expect(h.getReg(a0)).toBe(0x5a5an);
    h.setReg(a1, 0x403f_fff8n);
    h.run(1);
    expect(peek(v.ram, RAM_BASE + 0x3f_fff8, 8)).toBe(0x6b6bn);
  });

  it('1 GiB pages', () => {
    const v = vm();
    v.pt.map(0xc000_0000n, RAM_BASE, RWAD, 2);
    poke(v.ram, PA1 + 8, 8, 0x7777n);
    const h = start(v, [LD], { [a1]: 0xc000_0000n + BigInt(PA1 - RAM_BASE) + 8n });
    expect(h.run(1)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(0x7777n);
  });

  it('the upper half of the address space (bit 38 set and sign-extended)', () => {
    const v = vm();
    v.pt.map(0xffff_ffff_ffff_f000n, PA1, RWAD);
    v.pt.map(0xffff_ffc0_0000_0000n, PA2, RWAD);
    poke(v.ram, PA1 + 0xff8, 8, 0x1234n);
    poke(v.ram, PA2, 8, 0x5678n);
    const h = start(v, [
      0xff803503, // ld a0, -8(x0)
      0x0005b603, // ld a2, 0(a1)
    ], { [a1]: 0xffff_ffc0_0000_0000n });
    expect(h.run(2)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(0x1234n);
    expect(h.getReg(a2)).toBe(0x5678n);
  });

  it('code in a mapped page: fetch, jump to another virtual page, and a 32-bit instruction across pages', () => {
    const v = vm();
    // Virtual 0x2000_0000..0x2000_1fff maps to two physical pages in reverse order.
    v.pt.map(0x2000_0000n, RAM_BASE + 0x3000, RXA);
    v.pt.map(0x2000_1000n, RAM_BASE + 0x2000, RXA);
    const straddling = 0x00500613; // addi a2, x0, 5
    place(v.ram, RAM_BASE + 0x3ffc, [
      0x4505, // c.li a0, 1
    ]);
    poke(v.ram, RAM_BASE + 0x3ffe, 2, BigInt(straddling & 0xffff)); // low half at the end of virtual page 0
    poke(v.ram, RAM_BASE + 0x2000, 2, BigInt(straddling >>> 16)); // high half at the start of virtual page 1
    place(v.ram, RAM_BASE + 0x2002, [
      0x00600693, // addi a3, x0, 6
    ]);
    const h = start(v, [JALR], { [a1]: 0x2000_0ffcn });
    expect(h.run(4)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(1n);
    expect(h.getReg(a2)).toBe(5n);
    expect(h.getReg(a3)).toBe(6n);
    expect(h.pc).toBe(0x2000_1006n);
  });
});

describe('Sv48 translation', () => {
  it('4 KiB, 2 MiB, 1 GiB and 512 GiB pages', () => {
    const v = vm('sv48');
    v.pt.map(0x7fff_ffff_f000n, PA1, RWAD); // top page of the lower half
    v.pt.map(0x1234_4020_0000n, RAM_BASE + 0x20_0000, RWAD, 1);
    v.pt.map(0x0040_c000_0000n, RAM_BASE, RWAD, 2);
    v.pt.map(0x0080_0000_0000n, 0, RWAD, 3); // 512 GiB leaf at physical 0
    poke(v.ram, PA1 + 0xff0, 8, 1n);
    poke(v.ram, RAM_BASE + 0x20_0010, 8, 2n);
    poke(v.ram, PA2, 8, 3n);
    poke(v.ram, PA3 + 8, 8, 4n);
    const h = start(v, [
      0x0005b503, // ld a0, 0(a1)
      0x00063583, // ld a1, 0(a2)
      0x0006b603, // ld a2, 0(a3)
      0x00073683, // ld a3, 0(a4)
    ], {
      [a1]: 0x7fff_ffff_fff0n,
      [a2]: 0x1234_4020_0010n,
      [a3]: 0x0040_c000_0000n + BigInt(PA2 - RAM_BASE),
      [14]: 0x0080_0000_0000n + BigInt(PA3) + 8n,
    });
    expect(h.run(4)).toBe(Stop.Budget);
    expect([h.getReg(a0), h.getReg(a1), h.getReg(a2), h.getReg(a3)]).toEqual([1n, 2n, 3n, 4n]);
  });

  it('the upper half (bit 47 set and sign-extended)', () => {
    const v = vm('sv48');
    v.pt.map(0xffff_8000_0000_0000n, PA1, RWAD);
    poke(v.ram, PA1, 8, 0xeeeen);
    const h = start(v, [LD], { [a1]: 0xffff_8000_0000_0000n });
    expect(h.run(1)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(0xeeeen);
  });

  it('an address that is non-canonical in Sv39 (2^38) is fine in Sv48', () => {
    const v = vm('sv48');
    v.pt.map(0x0040_0000_0000n, PA1, RWAD);
    poke(v.ram, PA1, 8, 0x4242n);
    const h = start(v, [LD], { [a1]: 0x0040_0000_0000n });
    expect(h.run(1)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(0x4242n);
  });
});

describe('non-canonical addresses: page fault with stval = the address', () => {
  const sv39: bigint[] = [0x0000_0040_0000_0000n, 0x8000_0000_0000_0000n, 0xffff_ff80_0000_0000n - 0x1000n, 0x0100_0000_0000_0000n];
  for (const addr of sv39) {
    it(`Sv39 load/store at 0x${addr.toString(16)}`, () => {
      const v = vm('sv39', false);
      const h = start(v, [LD, SD], { [a1]: addr });
      expectFault(h, Cause.LoadPageFault, addr);
      h.pc = BASE + 4n;
      expectFault(h, Cause.StorePageFault, addr, BASE + 4n);
    });
  }
  it('Sv48 load at 0x0000_8000_0000_0000 and 0xffff_7fff_ffff_f000', () => {
    for (const addr of [0x0000_8000_0000_0000n, 0xffff_7fff_ffff_f000n]) {
      const v = vm('sv48', false);
      const h = start(v, [LD], { [a1]: addr });
      expectFault(h, Cause.LoadPageFault, addr);
    }
  });
  it('fetch: a jump to a non-canonical address faults there', () => {
    const v = vm('sv39', false);
    const h = start(v, [JALR], { [a1]: 0x0000_0040_0000_0000n });
    expect(h.run(2)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.InstPageFault);
    expect(exitPc(h.exit)).toBe(0x0000_0040_0000_0000n);
    expect(exitTval(h.exit)).toBe(0x0000_0040_0000_0000n);
    expect(h.icount).toBe(1);
  });
});

describe('permissions', () => {
  /** Maps VA with `flags` and runs one access; returns the hart (after expecting success or a fault). */
  function access(word: number, flags: number, opts: { priv?: number; status?: number; fault?: number; mode?: 'sv39' | 'sv48' } = {}) {
    const v = vm(opts.mode ?? 'sv39', false);
    v.pt.map(VA, PA1, flags);
    // U-mode code lives in its own U page.
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    poke(v.ram, PA1, 8, 0x1111n);
    place(v.ram, RAM_BASE + 0x2000, [word]);
    place(v.ram, RAM_BASE, [word]);
    const h = start(v, [], { [a1]: VA, [a2]: 0x2222n });
    if (opts.status) setStatus(h, opts.status);
    if (opts.priv === PRIV_U) {
      setPriv(h, PRIV_U);
      h.pc = 0x2000_0000n;
    }
    const pc = h.pc;
    if (opts.fault === undefined) {
      expect(h.run(1)).toBe(Stop.Budget);
    } else {
      expectFault(h, opts.fault, VA, pc);
      expect(peek(v.ram, PA1, 8)).toBe(0x1111n);
      expect(h.getReg(a0)).toBe(0n);
    }
    return { h, v };
  }
  const U = PTE_U;

  it('R allows loads; no R faults (13)', () => {
    expect(access(LD, RWAD).h.getReg(a0)).toBe(0x1111n);
    access(LD, PTE_V | PTE_X | PTE_A, { fault: Cause.LoadPageFault });
  });
  it('W allows stores; R without W faults stores (15)', () => {
    expect(peek(access(SD, RWAD).v.ram, PA1, 8)).toBe(0x2222n);
    access(SD, PTE_V | PTE_R | PTE_A | PTE_D, { fault: Cause.StorePageFault });
  });
  it('W without R is reserved: loads and stores fault', () => {
    access(LD, PTE_V | PTE_W | PTE_A | PTE_D, { fault: Cause.LoadPageFault });
    access(SD, PTE_V | PTE_W | PTE_A | PTE_D, { fault: Cause.StorePageFault });
    access(SD, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D, { fault: Cause.StorePageFault });
  });
  it('V = 0 faults every access', () => {
    access(LD, RWAD & ~PTE_V, { fault: Cause.LoadPageFault });
    access(SD, RWAD & ~PTE_V, { fault: Cause.StorePageFault });
  });
  it('MXR makes execute-only pages readable (not writable)', () => {
    expect(access(LD, PTE_V | PTE_X | PTE_A, { status: SSTATUS_MXR }).h.getReg(a0)).toBe(0x1111n);
    access(SD, PTE_V | PTE_X | PTE_A | PTE_D, { status: SSTATUS_MXR, fault: Cause.StorePageFault });
  });
  it('S-mode may not touch U pages unless SUM = 1', () => {
    access(LD, RWAD | U, { fault: Cause.LoadPageFault });
    access(SD, RWAD | U, { fault: Cause.StorePageFault });
    expect(access(LD, RWAD | U, { status: SSTATUS_SUM }).h.getReg(a0)).toBe(0x1111n);
    expect(peek(access(SD, RWAD | U, { status: SSTATUS_SUM }).v.ram, PA1, 8)).toBe(0x2222n);
  });
  it('U-mode may only touch U pages, whatever SUM says', () => {
    expect(access(LD, RWAD | U, { priv: PRIV_U }).h.getReg(a0)).toBe(0x1111n);
    access(LD, RWAD, { priv: PRIV_U, fault: Cause.LoadPageFault });
    access(SD, RWAD, { priv: PRIV_U, fault: Cause.StorePageFault });
    access(LD, RWAD, { priv: PRIV_U, status: SSTATUS_SUM, fault: Cause.LoadPageFault });
  });
  it('MXR applies in U-mode too', () => {
    access(LD, PTE_V | PTE_X | PTE_U | PTE_A, { priv: PRIV_U, fault: Cause.LoadPageFault });
    expect(access(LD, PTE_V | PTE_X | PTE_U | PTE_A, { priv: PRIV_U, status: SSTATUS_MXR }).h.getReg(a0)).toBe(0x1111n);
  });
  it('the same checks in Sv48', () => {
    access(LD, RWAD | U, { mode: 'sv48', fault: Cause.LoadPageFault });
    access(SD, PTE_V | PTE_R | PTE_A, { mode: 'sv48', fault: Cause.StorePageFault });
    expect(access(LD, RWAD | U, { mode: 'sv48', priv: PRIV_U }).h.getReg(a0)).toBe(0x1111n);
  });

  describe('fetch', () => {
    function fetch(flags: number, priv: number, status = 0) {
      const v = vm('sv39', false);
      v.pt.map(0x3000_0000n, RAM_BASE + 0x3000, flags);
      v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
      place(v.ram, RAM_BASE + 0x3000, [0x00900513]); // addi a0, x0, 9
      place(v.ram, RAM_BASE + 0x2000, [JALR]);
      const h = start(v, [JALR], { [a1]: 0x3000_0000n });
      if (status) setStatus(h, status);
      if (priv === PRIV_U) {
        setPriv(h, PRIV_U);
        h.pc = 0x2000_0000n;
      }
      const stop = h.run(2);
      return { h, stop };
    }
    const faults = (r: { h: Hart; stop: Stop }) => {
      expect(r.stop).toBe(Stop.Trap);
      expect(r.h.exit.scause).toBe(Cause.InstPageFault);
      expect(exitPc(r.h.exit)).toBe(0x3000_0000n);
      expect(exitTval(r.h.exit)).toBe(0x3000_0000n);
      expect(r.h.icount).toBe(1);
    };
    const runs = (r: { h: Hart; stop: Stop }) => {
      expect(r.stop).toBe(Stop.Budget);
      expect(r.h.getReg(a0)).toBe(9n);
    };
    it('X allows execution; no X faults (12), even with R and MXR', () => {
      runs(fetch(PTE_V | PTE_X | PTE_A, PRIV_S));
      faults(fetch(RWAD, PRIV_S));
      faults(fetch(RWAD, PRIV_S, SSTATUS_MXR));
    });
    it('S-mode never executes U pages, even with SUM', () => {
      faults(fetch(RXA | PTE_U, PRIV_S));
      faults(fetch(RXA | PTE_U, PRIV_S, SSTATUS_SUM));
    });
    it('U-mode executes U pages only', () => {
      runs(fetch(RXA | PTE_U, PRIV_U));
      faults(fetch(RXA, PRIV_U));
    });
    it('an invalid or reserved PTE faults fetches', () => {
      faults(fetch(RXA & ~PTE_V, PRIV_S));
      faults(fetch(PTE_V | PTE_W | PTE_X | PTE_A, PRIV_S));
    });
  });
});

describe('malformed page tables', () => {
  function loadVia(setPte: (pt: PageTables) => void, addr = VA) {
    const v = vm('sv39', false);
    setPte(v.pt);
    return start(v, [LD], { [a1]: addr });
  }
  it('a misaligned 2 MiB superpage faults', () => {
    const h = loadVia((pt) => pt.map(0x4020_0000n, RAM_BASE + 0x20_1000, RWAD, 1), 0x4020_0000n);
    expectFault(h, Cause.LoadPageFault, 0x4020_0000n);
  });
  it('a misaligned 1 GiB superpage faults', () => {
    const h = loadVia((pt) => pt.map(0xc000_0000n, RAM_BASE + 0x20_0000, RWAD, 2), 0xc000_0000n);
    expectFault(h, Cause.LoadPageFault, 0xc000_0000n);
  });
  it('a pointer PTE at the last level faults', () => {
    const h = loadVia((pt) => pt.map(VA, PA1, PTE_V));
    expectFault(h, Cause.LoadPageFault, VA);
  });
  it('a leaf with reserved bits 63:54 set faults (no Svnapot, no Svpbmt)', () => {
    for (const bit of [54n, 60n, 61n, 62n, 63n]) {
      const h = loadVia((pt) => pt.setPte(VA, 0, (BigInt(PA1 >>> 12) << 10n) | BigInt(RWAD) | (1n << bit)));
      expectFault(h, Cause.LoadPageFault, VA);
    }
  });
  it('a pointer PTE with reserved bits set faults', () => {
    const v = vm('sv39', false);
    v.pt.map(VA, PA1, RWAD);
    const l1 = v.pt.pteAddr(VA, 1);
    poke(v.ram, l1, 8, peek(v.ram, l1, 8) | (1n << 62n));
    const h = start(v, [LD], { [a1]: VA });
    expectFault(h, Cause.LoadPageFault, VA);
  });
});

describe('hardware A/D updates (as QEMU: the walker sets them)', () => {
  it('a load sets A only; a store then sets D; pointer PTEs are untouched', () => {
    const v = vm();
    const leaf = v.pt.map(VA, PA1, PTE_V | PTE_R | PTE_W);
    const l1 = v.pt.pteAddr(VA, 1), l2 = v.pt.pteAddr(VA, 2);
    const ptrs = [peek(v.ram, l1, 8), peek(v.ram, l2, 8)];
    const h = start(v, [LD, SD], { [a1]: VA, [a2]: 5n });
    h.run(1);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(BigInt(PTE_A));
    h.run(1);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(BigInt(PTE_A | PTE_D));
    expect(peek(v.ram, PA1, 8)).toBe(5n);
    expect([peek(v.ram, l1, 8), peek(v.ram, l2, 8)]).toEqual(ptrs);
  });
  it('a store to a clean page sets A and D at once', () => {
    const v = vm();
    const leaf = v.pt.map(VA, PA1, PTE_V | PTE_R | PTE_W);
    const h = start(v, [SD], { [a1]: VA, [a2]: 5n });
    h.run(1);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(BigInt(PTE_A | PTE_D));
  });
  it('a fetch sets A on the code page', () => {
    const v = vm();
    const leaf = v.pt.map(BASE, RAM_BASE, PTE_V | PTE_R | PTE_X);
    const h = start(v, [0x00100513]); // addi a0, x0, 1
    expect(h.run(1)).toBe(Stop.Budget);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(BigInt(PTE_A));
  });
  it('a superpage leaf gets its A/D bits', () => {
    const v = vm();
    const leaf = v.pt.map(0x4020_0000n, RAM_BASE + 0x20_0000, PTE_V | PTE_R | PTE_W, 1);
    const h = start(v, [SD], { [a1]: 0x4030_0000n, [a2]: 5n });
    h.run(1);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(BigInt(PTE_A | PTE_D));
  });
  it('a faulting access sets nothing', () => {
    const v = vm('sv39', false);
    const leaf = v.pt.map(VA, PA1, PTE_V | PTE_R);
    const h = start(v, [SD], { [a1]: VA, [a2]: 5n });
    expect(h.run(1)).toBe(Stop.Trap);
    expect(v.pt.pte(leaf) & BigInt(PTE_A | PTE_D)).toBe(0n);
  });
});

describe('page faults taken by the guest (delegated by hedeleg)', () => {
  it('load page fault → stvec with scause 13, stval = address, sepc = the load', () => {
    const v = vm();
    const h = start(v, [
      0x00100513, // addi a0, x0, 1
      0x0085b603, // ld a2, 8(a1)
    ], { [a1]: VA });
    expect(h.run(2)).toBe(Stop.Budget);
    expect(scause(h)).toBe(BigInt(Cause.LoadPageFault));
    expect(stval(h)).toBe(VA + 8n);
    expect(sepc(h)).toBe(BASE + 4n);
    expect(h.pc).toBe(HANDLER + 4n);
    expect(h.getReg(t6)).toBe(1n);
    expect(h.icount).toBe(2);
  });
  it('store page fault → scause 15', () => {
    const v = vm();
    v.pt.map(VA, PA1, PTE_V | PTE_R | PTE_A);
    const h = start(v, [SD], { [a1]: VA, [a2]: 1n });
    h.run(1);
    expect(scause(h)).toBe(BigInt(Cause.StorePageFault));
    expect(stval(h)).toBe(VA);
    expect(peek(v.ram, PA1, 8)).toBe(0n);
  });
  it('instruction page fault → scause 12, sepc = stval = the target', () => {
    const v = vm();
    const h = start(v, [JALR], { [a1]: 0x3000_0000n });
    expect(h.run(2)).toBe(Stop.Budget);
    expect(scause(h)).toBe(BigInt(Cause.InstPageFault));
    expect(sepc(h)).toBe(0x3000_0000n);
    expect(stval(h)).toBe(0x3000_0000n);
    expect(h.getReg(1)).toBe(BASE + 4n);
  });
  it('an AMO to a read-only page is a store page fault', () => {
    const v = vm();
    v.pt.map(VA, PA1, PTE_V | PTE_R | PTE_A);
    const h = start(v, [0x00c5b52f], { [a1]: VA, [a2]: 1n }); // amoadd.d a0, a2, (a1)
    h.run(1);
    expect(scause(h)).toBe(BigInt(Cause.StorePageFault));
  });
  it('lr from an unmapped page is a load page fault', () => {
    const v = vm();
    const h = start(v, [0x1005b52f], { [a1]: VA }); // lr.d a0, (a1)
    h.run(1);
    expect(scause(h)).toBe(BigInt(Cause.LoadPageFault));
    expect(stval(h)).toBe(VA);
  });
});

describe('accesses that cross a page boundary', () => {
  it('a load into an unmapped second page faults with stval = the start of that page', () => {
    const v = vm('sv39', false);
    v.pt.map(VA, PA1, RWAD);
    const h = start(v, [LD], { [a1]: VA + 0xffdn });
    expectFault(h, Cause.LoadPageFault, VA + 0x1000n);
    expect(h.getReg(a0)).toBe(0n);
  });
  it('a load from an unmapped first page faults with stval = the address', () => {
    const v = vm('sv39', false);
    v.pt.map(VA + 0x1000n, PA1, RWAD);
    const h = start(v, [LD], { [a1]: VA + 0xffdn });
    expectFault(h, Cause.LoadPageFault, VA + 0xffdn);
  });
  it('a store into a read-only second page faults and writes nothing', () => {
    const v = vm('sv39', false);
    v.pt.map(VA, PA1, RWAD);
    v.pt.map(VA + 0x1000n, PA2, PTE_V | PTE_R | PTE_A);
    const h = start(v, [SD], { [a1]: VA + 0xffcn, [a2]: -1n });
    expectFault(h, Cause.StorePageFault, VA + 0x1000n);
    expect(peek(v.ram, PA1 + 0xff8, 8)).toBe(0n);
    expect(peek(v.ram, PA2, 8)).toBe(0n);
  });
  it('a load across two mapped, physically distant pages', () => {
    const v = vm();
    v.pt.map(VA, PA3, RWAD);
    v.pt.map(VA + 0x1000n, PA1, RWAD);
    poke(v.ram, PA3 + 0xffc, 4, 0x4433_2211n);
    poke(v.ram, PA1, 4, 0x8877_6655n);
    const h = start(v, [LD, SD], { [a1]: VA + 0xffcn, [a2]: 0x0102_0304_0506_0708n });
    h.run(1);
    expect(h.getReg(a0)).toBe(0x8877_6655_4433_2211n);
    h.run(1);
    expect(peek(v.ram, PA3 + 0xffc, 4)).toBe(0x0506_0708n);
    expect(peek(v.ram, PA1, 4)).toBe(0x0102_0304n);
  });
  it('a 32-bit instruction whose second half is on a non-executable page: fault at the second half', () => {
    const v = vm('sv39', false);
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, RXA);
    v.pt.map(0x2000_1000n, RAM_BASE + 0x3000, RWAD);
    place(v.ram, RAM_BASE + 0x2ffe, [0x00500613]); // addi a2, x0, 5
    const h = start(v, [JALR], { [a1]: 0x2000_0ffen });
    expect(h.run(2)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.InstPageFault);
    expect(exitPc(h.exit)).toBe(0x2000_0ffen);
    expect(exitTval(h.exit)).toBe(0x2000_1000n);
    expect(h.icount).toBe(1);
  });
});

/**
 * VA mapped to PA1 (holding 1), PA2 holding 2, and the leaf PTE's page identity-mapped so that the program can
 * rewrite the PTE through its physical address.
 */
function remappable(): { v: Vm; leaf: number } {
  const v = vm();
  const leaf = v.pt.map(VA, PA1, RWAD);
  v.pt.map(BigInt(leaf) & ~0xfffn, BigInt(leaf) & ~0xfffn, RWAD);
  poke(v.ram, PA1, 8, 1n);
  poke(v.ram, PA2, 8, 2n);
  return { v, leaf };
}

describe('translation context changes', () => {
  it('csrw satp from the program turns translation on and off', () => {
    const v = vm();
    v.pt.map(VA, PA1, RWAD);
    poke(v.ram, PA1, 8, 0xaaaan);
    poke(v.ram, RAM_BASE + 0x3000, 8, 0xbbbbn);
    place(v.ram, RAM_BASE, [
      0x18069073, // csrrw x0, satp, a3
      0x0005b503, // ld a0, 0(a1)
      0x18001073, // csrrw x0, satp, x0
      0x00073603, // ld a2, 0(a4)
    ]);
    setRegs(v.hart, { [a1]: VA, [a3]: v.pt.satp, [14]: BigInt(RAM_BASE + 0x3000) });
    expect(v.hart.run(4)).toBe(Stop.Budget);
    expect(v.hart.getReg(a0)).toBe(0xaaaan);
    expect(v.hart.getReg(a2)).toBe(0xbbbbn);
  });

  it('sfence.vma makes a changed PTE visible', () => {
    const { v, leaf } = remappable();
    const h = start(v, [
      LD,
      0x00d73023, // sd a3, 0(a4)
      0x12000073, // sfence.vma x0, x0
      0x0005b603, // ld a2, 0(a1)
    ], { [a1]: VA, [a3]: (BigInt(PA2 >>> 12) << 10n) | BigInt(RWAD), [14]: BigInt(leaf) });
    expect(h.run(4)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(1n);
    expect(h.getReg(a2)).toBe(2n);
  });

  it('sfence.vma with an address drops that page only, as QEMU does: another changed PTE stays unseen until a full one', () => {
    const v = vm();
    const VB = VA + 0x1000n;
    const leafA = v.pt.map(VA, PA1, RWAD), leafB = v.pt.map(VB, PA3, RWAD);
    v.pt.map(BigInt(leafA) & ~0xfffn, BigInt(leafA) & ~0xfffn, RWAD);
    if ((leafB & ~0xfff) !== (leafA & ~0xfff)) v.pt.map(BigInt(leafB) & ~0xfffn, BigInt(leafB) & ~0xfffn, RWAD);
    poke(v.ram, PA1, 8, 1n);
    poke(v.ram, PA2, 8, 2n);
    poke(v.ram, PA3, 8, 3n);
    const h = start(v, [
      encode('ld', { rd: a0, rs1: a1 }),
      encode('ld', { rd: a2, rs1: a5 }),
      encode('sd', { rs1: 14, rs2: a3 }), // both leaves now map PA2
      encode('sd', { rs1: 9, rs2: a3 }),
      encode('sfence.vma', { rs1: a1 }),
      encode('ld', { rd: a0, rs1: a1 }),
      encode('ld', { rd: a2, rs1: a5 }),
      encode('sfence.vma'),
      encode('ld', { rd: 16, rs1: a5 }),
    ], { [a1]: VA, [a5]: VB, [a3]: (BigInt(PA2 >>> 12) << 10n) | BigInt(RWAD), [14]: BigInt(leafA), [9]: BigInt(leafB) });
    expect(h.run(9)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(2n);
    expect(h.getReg(a2)).toBe(3n);
    expect(h.getReg(16)).toBe(2n);
  });

  it('toggling SUM flushes nothing (it selects a TLB set, as QEMU selects an MMU index): a changed PTE stays unseen', () => {
    const { v, leaf } = remappable();
    const h = start(v, [
      LD,
      encode('sd', { rs1: 14, rs2: a3 }),
      encode('csrrs', { rd: 0, rs1: a2, imm: 0x100 }),
      encode('csrrc', { rd: 0, rs1: a2, imm: 0x100 }),
      encode('ld', { rd: 16, rs1: a1 }),
      encode('sfence.vma'),
      encode('ld', { rd: 17, rs1: a1 }),
    ], { [a1]: VA, [a2]: BigInt(SSTATUS_SUM), [a3]: (BigInt(PA2 >>> 12) << 10n) | BigInt(RWAD), [14]: BigInt(leaf) });
    expect(h.run(7)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(1n);
    expect(h.getReg(16)).toBe(1n);
    expect(h.getReg(17)).toBe(2n);
  });

  it('setting SUM from the program takes effect at the next instruction', () => {
    const v = vm();
    v.pt.map(VA, PA1, RWAD | PTE_U);
    poke(v.ram, PA1, 8, 5n);
    const h = start(v, [
      0x1006a073, // csrrs x0, sstatus, a3
      LD,
      0x1006b073, // csrrc x0, sstatus, a3
      0x0005b603, // ld a2, 0(a1)
    ], { [a1]: VA, [a3]: BigInt(SSTATUS_SUM) });
    expect(h.run(3)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(5n);
    expect(h.run(1)).toBe(Stop.Budget); // the load faults; the handler's first instruction runs
    expect(scause(h)).toBe(BigInt(Cause.LoadPageFault));
    expect(sepc(h)).toBe(BASE + 12n);
  });

  it('setting MXR from the program takes effect at the next instruction', () => {
    const v = vm();
    v.pt.map(VA, PA1, PTE_V | PTE_X | PTE_A);
    poke(v.ram, PA1, 8, 6n);
    const h = start(v, [
      0x1006a073, // csrrs x0, sstatus, a3
      LD,
    ], { [a1]: VA, [a3]: BigInt(SSTATUS_MXR) });
    expect(h.run(2)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(6n);
  });

  it('S and U translations do not leak through the TLB: S-only page read in S, then the same address in U', () => {
    const v = vm();
    v.pt.map(VA, PA1, RWAD); // S-only
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    poke(v.ram, PA1, 8, 7n);
    place(v.ram, RAM_BASE + 0x2000, [
      0x0005b603, // ld a2, 0(a1)
    ]);
    const h = start(v, [
      LD,
      0x10200073, // sret
    ], { [a1]: VA });
    setSepc(h, 0x2000_0000n);
    expect(h.run(3)).toBe(Stop.Budget); // ld, sret, then the U load faults into the handler
    expect(h.getReg(a0)).toBe(7n);
    expect(h.getReg(a2)).toBe(0n);
    expect(scause(h)).toBe(BigInt(Cause.LoadPageFault));
    expect(sepc(h)).toBe(0x2000_0000n);
    expect(h.priv).toBe(PRIV_S);
  });

  it('U page read in U, then the same address from S with SUM = 0 faults', () => {
    const v = vm();
    v.pt.map(VA, PA1, RWAD | PTE_U);
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    poke(v.ram, PA1, 8, 8n);
    place(v.ram, RAM_BASE + 0x2000, [
      LD,
      0x00000073, // ecall
    ]);
    place(v.ram, Number(HANDLER), [
      0x0005b603, // ld a2, 0(a1)
    ]);
    const h = start(v, [], { [a1]: VA });
    setPriv(h, PRIV_U);
    h.pc = 0x2000_0000n;
    expect(h.run(1)).toBe(Stop.Budget);
    expect(h.getReg(a0)).toBe(8n);
    h.hedeleg = 1 << Cause.EcallU; // the S-mode load must now come back as Stop.Trap
    expect(h.run(2)).toBe(Stop.Trap);
    expect(h.priv).toBe(PRIV_S);
    expect(h.exit.scause).toBe(Cause.LoadPageFault);
    expect(exitPc(h.exit)).toBe(HANDLER);
    expect(h.getReg(a2)).toBe(0n);
  });

  it('U code fetched in U, then the same address executed from S faults', () => {
    const v = vm('sv39', false);
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    place(v.ram, RAM_BASE + 0x2000, [
      0x00150513, // addi a0, a0, 1
      0x10200073, // sret  # illegal in U: leaves the guest
    ]);
    const h = start(v, []);
    setPriv(h, PRIV_U);
    h.pc = 0x2000_0000n;
    expect(h.run(2)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.IllegalInst);
    setPriv(h, PRIV_S);
    h.pc = 0x2000_0000n;
    expect(h.run(1)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.InstPageFault);
    expect(h.getReg(a0)).toBe(1n);
  });
});

describe('an instruction that straddles two virtual pages follows the current mapping of both', () => {
  // The block holding the straddling instruction is cached under the physical address of its first half. After
  // the second page is remapped (and sfence.vma), the next execution must fetch the second half through the new
  // translation: QEMU checks a two-page TB's second physical page at lookup (tb_lookup / get_page_addr_code).
  function setupStraddle(newSecond: (v: Vm) => bigint) {
    const v = vm();
    v.pt.map(0x2000_0000n, RAM_BASE + 0x2000, RXA);
    const pte2 = v.pt.map(0x2000_1000n, RAM_BASE + 0x3000, RXA);
    v.pt.map(BigInt(pte2) & ~0xfffn, BigInt(pte2) & ~0xfffn, RWAD); // the page-table page, identity-mapped
    const insn = 0x00160613; // addi a2, a2, 1
    const other = 0x10060613; // addi a2, a2, 0x100
    poke(v.ram, RAM_BASE + 0x2ffe, 2, BigInt(insn & 0xffff));
    poke(v.ram, RAM_BASE + 0x3000, 2, BigInt(insn >>> 16));
    poke(v.ram, RAM_BASE + 0x4000, 2, BigInt(other >>> 16));
    const ret = 0x00008067; // jalr x0, 0(ra)
    place(v.ram, RAM_BASE + 0x3002, [ret]);
    place(v.ram, RAM_BASE + 0x4002, [ret]);
    const h = start(v, [
      0x000580e7, // jalr ra, 0(a1)
      0x00d73023, // sd a3, 0(a4)
      0x12000073, // sfence.vma x0, x0
      0x000580e7, // jalr ra, 0(a1)
      0x00100793, // addi a5, x0, 1
    ], { [a1]: 0x2000_0ffen, [a3]: newSecond(v), [14]: BigInt(pte2) });
    return { v, h };
  }

  it('remapped to another physical page: the new second half runs', () => {
    const { h } = setupStraddle(() => (BigInt((RAM_BASE + 0x4000) >>> 12) << 10n) | BigInt(RXA));
    expect(h.run(9)).toBe(Stop.Budget);
    expect(h.getReg(a5)).toBe(1n);
    expect(h.getReg(a2)).toBe(0x101n);
  });

  it('made non-executable: instruction page fault at the second half', () => {
    const { h } = setupStraddle(() => (BigInt((RAM_BASE + 0x3000) >>> 12) << 10n) | BigInt(RWAD));
    expect(h.run(7)).toBe(Stop.Budget); // jalr, addi, ret, sd, sfence, jalr, (fault) handler's first instruction
    expect(scause(h)).toBe(BigInt(Cause.InstPageFault));
    expect(sepc(h)).toBe(0x2000_0ffen);
    expect(stval(h)).toBe(0x2000_1000n);
    expect(h.getReg(a2)).toBe(1n);
    expect(h.pc).toBe(HANDLER + 4n);
  });
});

describe('MMIO behind a translation', () => {
  it('a load from a page mapped to a non-RAM address: stval = virtual, htval = guest-physical >> 2', () => {
    const v = vm();
    v.pt.map(VA, 0x1000_0000, RWAD);
    const h = start(v, [
      0x0055c503, // lbu a0, 5(a1)
    ], { [a1]: VA });
    expect(h.run(1)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.LoadGuestPageFault);
    expect(exitTval(h.exit)).toBe(VA + 5n);
    expect(h.exit.htval).toBe((0x1000_0000 + 5) >>> 2);
    expect(h.exit.htinst).toBe(0x4503);
  });
  it('a store likewise (23)', () => {
    const v = vm();
    v.pt.map(VA, 0x1000_0000, RWAD);
    const h = start(v, [SD], { [a1]: VA + 8n });
    expect(h.run(1)).toBe(Stop.Trap);
    expect(h.exit.scause).toBe(Cause.StoreGuestPageFault);
    expect(exitTval(h.exit)).toBe(VA + 8n);
    expect(h.exit.htval).toBe((0x1000_0000 + 8) >>> 2);
  });
  it('the first-stage permission check comes first: a read-only MMIO page faults a store with 15', () => {
    const v = vm('sv39', false);
    v.pt.map(VA, 0x1000_0000, PTE_V | PTE_R | PTE_A);
    const h = start(v, [SD], { [a1]: VA });
    expectFault(h, Cause.StorePageFault, VA);
  });
});

describe('liveness', () => {
  it('a trap loop that retires nothing (stvec on an unmapped page) still returns from run()', () => {
    // Every delegated fetch fault re-enters stvec, which faults again: no instruction ever retires, so
    // `while (icount < target)` in Hart.run never ends and the host thread is wedged by the guest. A real vCPU in
    // this state still returns to the host (signals, host timer); run() needs a bound on trap deliveries too.
    // The MMU's fetch is wrapped to turn the hang into a failure.
    const v = vm();
    setStvec(v.hart, 0x5000_0000n);
    const h = start(v, [JALR], { [a1]: 0x3000_0000n });
    const fetch = h.mmu.fetch.bind(h.mmu);
    let calls = 0;
    h.mmu.fetch = (lo: number, hi: number): number => {
      if (++calls > 100_000) throw new Error('Hart.run() spins in a trap loop without returning');
      return fetch(lo, hi);
    };
    let stop: Stop | undefined;
    expect(() => { stop = h.run(10); }).not.toThrow();
    expect(stop).toBe(Stop.Stalled);
    expect(h.exit.scause).toBe(Cause.InstPageFault);
    expect(h.icount).toBe(1); // the jalr retired; nothing after it
  });
});

