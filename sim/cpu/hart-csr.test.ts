import { describe, it, expect } from 'vitest';
import { CSR_SCOUNTEREN, SIP_SEIP, SIP_SSIP, SIP_STIP, SSTATUS_SIE } from './csr.js';
import { PRIV_U, Stop } from './hart.js';
import { Cause } from './trap.js';
import {
  a0, a1, a2, a3, BASE, exitPc, exitTval, join, load, place, RAM_BASE, satp, sepc, setPriv, sscratch, stvec, t6,
} from './test-helpers.js';

// Zicsr on the supervisor CSRs a VS-mode guest sees, and Zicntr. WARL choices follow QEMU (target/riscv/csr.c).
// Words were assembled with riscv64-unknown-elf-as.

/** Runs `words` from 0x8000_0000 for `n` instructions (default: all of them). */
function exec(words: number[], regs: Record<number, bigint> = {}, n = words.length) {
  const m = load(words, regs, 64 << 10);
  const stop = m.hart.run(n);
  return { ...m, stop };
}

/** Expects the instruction at 0x8000_0000 to be illegal: the trap leaves the guest with stval = its bits. */
function expectIllegal(word: number, regs: Record<number, bigint> = {}, priv = 1) {
  const m = load([word], regs, 64 << 10);
  setPriv(m.hart, priv);
  expect(m.hart.run(1)).toBe(Stop.Trap);
  expect(m.hart.exit.scause).toBe(Cause.IllegalInst);
  expect(exitTval(m.hart.exit)).toBe(BigInt(word >>> 0));
  expect(exitPc(m.hart.exit)).toBe(BASE);
  expect(m.hart.exit.fromPriv).toBe(priv);
  expect(m.hart.icount).toBe(0);
  expect(m.hart.getReg(a0)).toBe(regs[a0] ?? 0n);
  return m;
}

describe('CSR instructions on sscratch', () => {
  it('csrrw swaps the full 64 bits', () => {
    const { hart } = exec([0x14059573], { [a1]: 0xdead_beef_0123_4567n }); // csrrw a0, sscratch, a1
    expect(hart.getReg(a0)).toBe(0n);
    expect(sscratch(hart)).toBe(0xdead_beef_0123_4567n);
    expect(hart.pc).toBe(BASE + 4n);
  });
  it('csrrw with rd = rs1 exchanges register and CSR', () => {
    const m = load([0x14051573], { [a0]: 5n }); // csrrw a0, sscratch, a0
    m.hart.csr.sscratchLo = 9;
    m.hart.csr.sscratchHi = 0x100;
    m.hart.run(1);
    expect(m.hart.getReg(a0)).toBe(0x100_0000_0009n);
    expect(sscratch(m.hart)).toBe(5n);
  });
  it('csrrs sets and csrrc clears bits, returning the old value', () => {
    const { hart } = exec([
      0x14059073, // csrrw x0, sscratch, a1
      0x1405a573, // csrrs a0, sscratch, a1  # a1 is read again: same bits
      0x1406a5f3, // csrrs a1, sscratch, a3
      0x1406b673, // csrrc a2, sscratch, a3
      0x140026f3, // csrrs a3, sscratch, x0
    ], { [a1]: 0xf0f0_0000_0000_00f0n, [a3]: 0x0f00_0000_0000_000fn });
    expect(hart.getReg(a0)).toBe(0xf0f0_0000_0000_00f0n);
    expect(hart.getReg(a1)).toBe(0xf0f0_0000_0000_00f0n);
    expect(hart.getReg(a2)).toBe(0xfff0_0000_0000_00ffn);
    expect(hart.getReg(a3)).toBe(0xf0f0_0000_0000_00f0n);
    expect(sscratch(hart)).toBe(0xf0f0_0000_0000_00f0n);
  });
  it('immediate forms zero-extend the 5-bit immediate', () => {
    const { hart } = exec([
      0x140fd573, // csrrwi a0, sscratch, 31
      0x140ae5f3, // csrrsi a1, sscratch, 0x15
      0x1401f673, // csrrci a2, sscratch, 3
      0x140026f3, // csrrs a3, sscratch, x0
    ]);
    expect(hart.getReg(a0)).toBe(0n);
    expect(hart.getReg(a1)).toBe(31n);
    expect(hart.getReg(a2)).toBe(31n);
    expect(hart.getReg(a3)).toBe(28n);
  });
  it('csrrs with rd = rs1 reads the CSR before writing it', () => {
    const m = load([0x14052573], { [a0]: 0x30n }); // csrrs a0, sscratch, a0
    m.hart.csr.sscratchLo = 0x0c;
    m.hart.run(1);
    expect(m.hart.getReg(a0)).toBe(0x0cn);
    expect(sscratch(m.hart)).toBe(0x3cn);
  });
});

describe('WARL behaviour of the supervisor CSRs', () => {
  it('sepc: bit 0 is always zero (IALIGN = 16)', () => {
    let { hart } = exec([0x14159073, 0x14102573], { [a1]: BASE + 0x1235n }); // csrrw x0, sepc, a1  ~  csrrs a0, sepc, x0
    expect(sepc(hart)).toBe(BASE + 0x1234n);
    expect(hart.getReg(a0)).toBe(BASE + 0x1234n);
    ({ hart } = exec([0x14159073], { [a1]: -1n })); // csrrw x0, sepc, a1
    expect(sepc(hart)).toBe(0xffff_ffff_ffff_fffen);
  });

  it('stvec: direct and vectored modes are kept, reserved modes 2 and 3 leave stvec unchanged (as QEMU)', () => {
    const write = (v: bigint) => exec([0x10559073, 0x10502573], { [a1]: v }).hart; // csrrw x0, stvec, a1  ~  csrrs a0, stvec, x0
    expect(stvec(write(BASE + 0x400n))).toBe(BASE + 0x400n);
    expect(stvec(write(BASE + 0x401n))).toBe(BASE + 0x401n);
    expect(stvec(write(0xffff_ffff_8000_0001n))).toBe(0xffff_ffff_8000_0001n);
    expect(stvec(write(BASE + 0x402n))).toBe(0n);
    expect(stvec(write(BASE + 0x403n))).toBe(0n);
    // A reserved mode after a valid value keeps the valid value.
    const { hart } = exec([
      0x10559073, // csrrw x0, stvec, a1
      0x10561073, // csrrw x0, stvec, a2
      0x10502573, // csrrs a0, stvec, x0
    ], { [a1]: BASE + 0x500n, [a2]: BASE + 0x602n });
    expect(hart.getReg(a0)).toBe(BASE + 0x500n);
  });

  it('satp: Bare, Sv39 and Sv48 are accepted; other modes leave satp unchanged (as QEMU)', () => {
    const write = (v: bigint) => exec([0x18059073], { [a1]: v }).hart; // csrrw x0, satp, a1
    expect(satp(write((8n << 60n) | 0x80123n))).toBe((8n << 60n) | 0x80123n);
    expect(satp(write((9n << 60n) | 0x80123n))).toBe((9n << 60n) | 0x80123n);
    expect(satp(write(0n))).toBe(0n);
    expect(satp(write((10n << 60n) | 0x80123n))).toBe(0n); // Sv57: not supported
    expect(satp(write((1n << 60n) | 0x80123n))).toBe(0n); // reserved
    expect(satp(write((15n << 60n) | 0x80123n))).toBe(0n);
    // An ignored write keeps the previous value. (Installed without resynchronising the MMU, so that the
    // fetches go on untranslated.)
    const m = load([
      0x18061073, // csrrw x0, satp, a2
      0x18002573, // csrrs a0, satp, x0
    ], { [a2]: (10n << 60n) | 0x80200n });
    m.hart.csr.satpHi = 8 << 28;
    m.hart.csr.satpLo = 0x80100;
    m.hart.run(2);
    expect(m.hart.getReg(a0)).toBe((8n << 60n) | 0x80100n);
  });

  it('sstatus: only SIE, SPIE, SPP, FS, SUM, MXR are writable; UXL reads as 2 (64-bit); SD says FS is Dirty', () => {
    let { hart } = exec([0x10002573]); // csrrs a0, sstatus, x0
    expect(hart.getReg(a0)).toBe(0x2_0000_2000n); // FS = Initial, as KVM resets a vCPU with F/D
    ({ hart } = exec([0x10059073, 0x10002573], { [a1]: -1n })); // csrrw x0, sstatus, a1  ~  csrrs a0, sstatus, x0
    expect(hart.getReg(a0)).toBe(0x8000_0002_000c_6122n);
    ({ hart } = exec([
      0x10059073, // csrrw x0, sstatus, a1
      0x1005b073, // csrrc x0, sstatus, a1
      0x10002573, // csrrs a0, sstatus, x0
    ], { [a1]: -1n }));
    expect(hart.getReg(a0)).toBe(0x2_0000_0000n);
  });

  it('sie: only SSIE, STIE, SEIE are writable', () => {
    const { hart } = exec([0x10459073, 0x10402573], { [a1]: -1n }); // csrrw x0, sie, a1  ~  csrrs a0, sie, x0
    expect(hart.getReg(a0)).toBe(0x222n);
  });

  it('sip: the guest can only write SSIP; STIP and SEIP come from the hypervisor', () => {
    const m = load([
      0x14459073, // csrrw x0, sip, a1
      0x14402573, // csrrs a0, sip, x0
      0x1445b073, // csrrc x0, sip, a1
      0x144025f3, // csrrs a1, sip, x0
    ], { [a1]: -1n });
    m.hart.setInterruptPending(SIP_STIP, true);
    m.hart.setInterruptPending(SIP_SEIP, true);
    expect(m.hart.run(4)).toBe(Stop.Budget); // sstatus.SIE = 0, sie = 0: nothing is taken
    expect(m.hart.getReg(a0)).toBe(BigInt(SIP_SSIP | SIP_STIP | SIP_SEIP));
    expect(m.hart.getReg(a1)).toBe(BigInt(SIP_STIP | SIP_SEIP));
  });

  it('scounteren and senvcfg', () => {
    const { hart } = exec([
      0x10659073, // csrrw x0, scounteren, a1
      0x10602573, // csrrs a0, scounteren, x0
      0x10a61073, // csrrw x0, senvcfg, a2
      0x10a025f3, // csrrs a1, senvcfg, x0
    ], { [a1]: 5n, [a2]: -1n });
    expect(hart.getReg(a0)).toBe(5n);
    expect(hart.getReg(a1)).toBe(1n); // FIOM only (no Zicbom/Zicboz/Svpbmt fields)
  });

  it('scause and stval are plain read/write registers', () => {
    const { hart } = exec([
      0x14259073, // csrrw x0, scause, a1
      0x14361073, // csrrw x0, stval, a2
      0x14202573, // csrrs a0, scause, x0
      0x143026f3, // csrrs a3, stval, x0
    ], { [a1]: 0x8000_0000_0000_0005n, [a2]: 0xffff_ffff_ffff_f000n });
    expect(hart.getReg(a0)).toBe(0x8000_0000_0000_0005n);
    expect(hart.getReg(a3)).toBe(0xffff_ffff_ffff_f000n);
  });
});

describe('illegal CSR accesses', () => {
  it('writing a read-only counter is illegal, whatever the value written', () => {
    expectIllegal(0xc0059573, { [a1]: 5n }); // csrrw a0, cycle, a1
    expectIllegal(0xc0059073, { [a1]: 5n }); // csrrw x0, cycle, a1
    expectIllegal(0xc025a573, { [a1]: 0n }); // csrrs a0, instret, a1  # rs1 != x0: a write even of 0
    expectIllegal(0xc015b573, { [a1]: 0n }); // csrrc a0, time, a1
    expectIllegal(0xc0005573); // csrrwi a0, cycle, 0
    expectIllegal(0xc020e573); // csrrsi a0, instret, 1
  });
  it('reading a counter with a non-writing form is legal', () => {
    let { stop, hart } = exec([0xc0006573]); // csrrsi a0, cycle, 0
    expect(stop).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(0n);
    ({ stop } = exec([0xc0107573])); // csrrci a0, time, 0
    expect(stop).toBe(Stop.Budget);
    ({ stop } = exec([0xc0203573])); // csrrc a0, instret, x0
    expect(stop).toBe(Stop.Budget);
  });
  it('CSRs that do not exist for a VS-mode guest are illegal', () => {
    expectIllegal(0x30002573); // csrrs a0, mstatus, x0
    expectIllegal(0xf1402573); // csrrs a0, mhartid, x0
    expectIllegal(0x60002573); // csrrs a0, hstatus, x0
    expectIllegal(0x20002573); // csrrs a0, vsstatus, x0
    expectIllegal(0x7c002573); // csrrs a0, 0x7c0, x0
    expectIllegal(0xc8002573); // csrrs a0, cycleh, x0  # RV32 only
    expectIllegal(0x5a002573); // csrrs a0, 0x5a0, x0
    expectIllegal(0x10159073, { [a1]: 1n }); // csrrw x0, 0x101, a1
  });
  it('U-mode cannot access supervisor CSRs', () => {
    expectIllegal(0x10002573, {}, PRIV_U); // csrrs a0, sstatus, x0
    expectIllegal(0x14059573, { [a1]: 1n }, PRIV_U); // csrrw a0, sscratch, a1
    expectIllegal(0x18002573, {}, PRIV_U); // csrrs a0, satp, x0
    expectIllegal(0x10502573, {}, PRIV_U); // csrrs a0, stvec, x0
    expectIllegal(0x14402573, {}, PRIV_U); // csrrs a0, sip, x0
  });
  it('U-mode reads counters only when scounteren allows each', () => {
    const cases: [number, number][] = [
      [0xc0002573, 0], // csrrs a0, cycle, x0
      [0xc0102573, 1], // csrrs a0, time, x0
      [0xc0202573, 2], // csrrs a0, instret, x0
    ];
    for (const [word, bit] of cases) {
      expectIllegal(word, {}, PRIV_U);
      for (const en of [1 << bit, 7]) {
        const m = load([word], {}, 64 << 10);
        m.hart.csr.scounteren = en;
        setPriv(m.hart, PRIV_U);
        expect(m.hart.run(1)).toBe(Stop.Budget);
      }
      const m = load([word], {}, 64 << 10);
      m.hart.csr.scounteren = 7 & ~(1 << bit);
      setPriv(m.hart, PRIV_U);
      expect(m.hart.run(1)).toBe(Stop.Trap);
      expect(m.hart.exit.scause).toBe(Cause.IllegalInst);
    }
    expect(CSR_SCOUNTEREN).toBe(0x106);
  });
  it('an illegal CSR access leaves the CSR and rd unchanged', () => {
    const m = expectIllegal(0xc0059573, { [a0]: 77n, [a1]: 5n }); // csrrw a0, cycle, a1
    expect(m.hart.getReg(a0)).toBe(77n);
  });
});

describe('counters are exact at the instruction that reads them', () => {
  const prog = [
    0x00000013, // addi x0, x0, 0
    0x00000013, // addi x0, x0, 0
    0x00000013, // addi x0, x0, 0
    0x00000013, // addi x0, x0, 0
    0x00000013, // addi x0, x0, 0
    0xc0202573, // csrrs a0, instret, x0
    0xc00025f3, // csrrs a1, cycle, x0
    0xc0202673, // csrrs a2, instret, x0
    0xc01026f3, // csrrs a3, time, x0
  ];
  it('instret and cycle count the instructions retired before the reading one', () => {
    const { hart } = exec(prog);
    expect(hart.getReg(a0)).toBe(5n);
    expect(hart.getReg(a1)).toBe(6n);
    expect(hart.getReg(a2)).toBe(7n);
    expect(hart.getReg(a3)).toBe(0n);
    expect(hart.icount).toBe(9);
  });
  it('the same split over several run() calls', () => {
    const m = load(prog, {}, 64 << 10);
    for (const n of [3, 1, 2, 1, 1, 1]) expect(m.hart.run(n)).toBe(Stop.Budget);
    expect(m.hart.getReg(a0)).toBe(5n);
    expect(m.hart.getReg(a1)).toBe(6n);
    expect(m.hart.getReg(a2)).toBe(7n);
  });
  it('large counts use both halves; cycle includes idle cycles; time = cycle / 100', () => {
    const m = load(prog.slice(5), {}, 64 << 10);
    m.hart.icount = 2 ** 32 + 5;
    m.hart.idleCycles = 12_345;
    expect(m.hart.run(4)).toBe(Stop.Budget);
    expect(m.hart.getReg(a0)).toBe(2n ** 32n + 5n);
    expect(m.hart.getReg(a1)).toBe(2n ** 32n + 6n + 12_345n);
    expect(m.hart.getReg(a2)).toBe(2n ** 32n + 7n);
    expect(m.hart.getReg(a3)).toBe((2n ** 32n + 8n + 12_345n) / 100n);
  });
  it('after taken branches and a loop in the same block', () => {
    const { hart } = exec([
      0x00a00593, // addi a1, x0, 10
      0xfff58593, // addi a1, a1, -1
      0xfe059ee3, // bne a1, x0, .-4
      0x00000463, // beq x0, x0, .+8
      0x00000013, // addi x0, x0, 0
      0xc0202573, // csrrs a0, instret, x0
    ], {}, 1 + 20 + 1 + 1);
    expect(hart.getReg(a0)).toBe(22n);
    expect(hart.icount).toBe(23);
  });
  it('reads the value at this instruction even in U-mode', () => {
    const m = load([0x00000013, 0xc0202573], {}, 64 << 10); // addi x0, x0, 0  ~  csrrs a0, instret, x0
    m.hart.csr.scounteren = 7;
    setPriv(m.hart, PRIV_U);
    m.hart.icount = 1000;
    m.hart.run(2);
    expect(m.hart.getReg(a0)).toBe(1001n);
  });
});

describe('CSR side effects', () => {
  it('enabling SIE with an interrupt pending takes it right after the CSR instruction', () => {
    const m = load([
      0x10016073, // csrrsi x0, sstatus, 2
      0x00000013, // addi x0, x0, 0
    ], {}, 64 << 10);
    place(m.ram, RAM_BASE + 0x400, [
      0x00100f93, // addi t6, x0, 1
    ]);
    m.hart.csr.stvecLo = (RAM_BASE + 0x400) | 0;
    m.hart.csr.sie = SIP_STIP;
    m.hart.setInterruptPending(SIP_STIP, true);
    expect(m.hart.run(1)).toBe(Stop.Budget);
    expect(m.hart.csr.sstatus & SSTATUS_SIE).toBe(SSTATUS_SIE);
    expect(m.hart.run(1)).toBe(Stop.Budget);
    expect(sepc(m.hart)).toBe(BASE + 4n);
    expect(join(m.hart.csr.scauseLo, m.hart.csr.scauseHi)).toBe((1n << 63n) | 5n);
    expect(m.hart.pc).toBe(BASE + 0x404n);
    expect(m.hart.getReg(t6)).toBe(1n);
    expect(m.hart.icount).toBe(2);
  });
});
