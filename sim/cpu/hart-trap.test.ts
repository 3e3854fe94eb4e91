import { describe, it, expect } from 'vitest';
import { SIP_SEIP, SIP_SSIP, SIP_STIP, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP } from './csr.js';
import { Hart, PRIV_S, PRIV_U, Stop } from './hart.js';
import { Cause, Irq } from './trap.js';
import {
  a0, a1, a2, a3, BASE, exitPc, exitTval, interruptCause, load, place, RAM_BASE, regs, scause, sepc, setPriv, setSepc,
  setStvec, stval, t6,
} from './test-helpers.js';

// Exceptions (taken by the guest through stvec when delegated by hedeleg, else returned to the caller as
// Stop.Trap), sret, interrupts and the exactness of run(). Words were assembled with riscv64-unknown-elf-as.

const HANDLER = RAM_BASE + 0x400;
const H = BigInt(HANDLER);
/** Handler code: counts its entries in t6. */
const HANDLER_CODE = [
  0x001f8f93, // addi t6, t6, 1
  0x00000013, // addi x0, x0, 0
  0x00000013, // addi x0, x0, 0
];

function machine(words: number[], regsIn: Record<number, bigint> = {}) {
  const m = load(words, regsIn, 64 << 10);
  place(m.ram, HANDLER, HANDLER_CODE);
  setStvec(m.hart, H);
  return m;
}

const status = (h: Hart) => ({
  SIE: (h.csr.sstatus & SSTATUS_SIE) !== 0,
  SPIE: (h.csr.sstatus & SSTATUS_SPIE) !== 0,
  SPP: (h.csr.sstatus & SSTATUS_SPP) !== 0 ? 1 : 0,
});

describe('ecall', () => {
  it('from S-mode leaves the guest (scause 10): nothing in the guest CSRs changes', () => {
    const { hart } = machine([
      0x00100513, // addi a0, x0, 1
      0x00000073, // ecall
      0x00200513, // addi a0, x0, 2
    ]);
    expect(hart.run(10)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.EcallVS);
    expect(exitPc(hart.exit)).toBe(BASE + 4n);
    expect(exitTval(hart.exit)).toBe(0n);
    expect(hart.exit.fromPriv).toBe(PRIV_S);
    expect(hart.icount).toBe(1);
    expect(hart.pc).toBe(BASE + 4n);
    expect(hart.getReg(a0)).toBe(1n);
    expect(scause(hart)).toBe(0n);
    expect(sepc(hart)).toBe(0n);
    expect(hart.priv).toBe(PRIV_S);
    // The hypervisor completes it (as an SBI call would) and the guest goes on.
    hart.completeInstruction(4);
    expect(hart.pc).toBe(BASE + 8n);
    expect(hart.icount).toBe(2);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(2n);
  });

  it('from U-mode is delegated: stvec, scause 8, sepc, SPP = U, SPIE = SIE, SIE = 0', () => {
    const { hart } = machine([
      0x00100513, // addi a0, x0, 1
      0x00000073, // ecall
    ]);
    hart.csr.sstatus = SSTATUS_SIE;
    setPriv(hart, PRIV_U);
    expect(hart.run(2)).toBe(Stop.Budget); // addi, then (ecall does not retire) the handler's first instruction
    expect(hart.priv).toBe(PRIV_S);
    expect(scause(hart)).toBe(BigInt(Cause.EcallU));
    expect(sepc(hart)).toBe(BASE + 4n);
    expect(stval(hart)).toBe(0n);
    expect(status(hart)).toEqual({ SIE: false, SPIE: true, SPP: 0 });
    expect(hart.pc).toBe(H + 4n);
    expect(hart.getReg(t6)).toBe(1n);
    expect(hart.icount).toBe(2);
  });

  it('from U-mode with SIE = 0 gives SPIE = 0', () => {
    const { hart } = machine([0x00000073]); // ecall
    hart.csr.sstatus = SSTATUS_SPIE;
    setPriv(hart, PRIV_U);
    hart.run(1);
    expect(status(hart)).toEqual({ SIE: false, SPIE: false, SPP: 0 });
  });

  it('goes to the stvec base even when stvec is vectored (exceptions are not vectored)', () => {
    const { hart } = machine([0x00000073]); // ecall
    setStvec(hart, H | 1n);
    setPriv(hart, PRIV_U);
    hart.run(1);
    expect(hart.pc).toBe(H + 4n);
    expect(hart.getReg(t6)).toBe(1n);
  });
});

describe('ebreak', () => {
  it('is delegated with scause 3, stval 0, SPP = S', () => {
    const { hart } = machine([
      0x00000013, // addi x0, x0, 0
      0x00100073, // ebreak
    ]);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.stvalLo = 0x1234;
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(BigInt(Cause.Breakpoint));
    expect(sepc(hart)).toBe(BASE + 4n);
    expect(stval(hart)).toBe(0n);
    expect(status(hart)).toEqual({ SIE: false, SPIE: true, SPP: 1 });
    expect(hart.priv).toBe(PRIV_S);
    expect(hart.pc).toBe(H + 4n);
    expect(hart.icount).toBe(2);
  });
  it('c.ebreak likewise, at a 2-byte aligned pc', () => {
    const { hart } = machine([
      0x0001, // c.nop
      0x9002, // c.ebreak
    ]);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(BigInt(Cause.Breakpoint));
    expect(sepc(hart)).toBe(BASE + 2n);
    expect(stval(hart)).toBe(0n);
  });
  it('from U-mode: SPP = U', () => {
    const { hart } = machine([0x00100073]); // ebreak
    setPriv(hart, PRIV_U);
    hart.run(1);
    expect(scause(hart)).toBe(BigInt(Cause.Breakpoint));
    expect(status(hart).SPP).toBe(0);
    expect(hart.priv).toBe(PRIV_S);
  });
});

describe('illegal instructions leave the guest with stval = the instruction bits', () => {
  const cases: [string, number, bigint][] = [
    ['mret', 0x30200073, 0x30200073n], // mret
    ['an unknown CSR', 0x30002573, 0x30002573n], // csrrs a0, mstatus, x0
    ['a half-precision add (fadd.h: no Zfh)', 0x04000053, 0x04000053n],
    ['the all-zero halfword', 0x0000, 0n],
    ['c.lui with a zero immediate', 0x6501, 0x6501n],
  ];
  for (const [what, word, bits] of cases) {
    it(what, () => {
      const { hart } = machine([
        0x00100513, // addi a0, x0, 1
        word,
      ]);
      expect(hart.run(5)).toBe(Stop.Trap);
      expect(hart.exit.scause).toBe(Cause.IllegalInst);
      expect(exitTval(hart.exit)).toBe(bits);
      expect(exitPc(hart.exit)).toBe(BASE + 4n);
      expect(hart.icount).toBe(1);
      expect(hart.pc).toBe(BASE + 4n);
      expect(scause(hart)).toBe(0n);
    });
  }

  it('the hypervisor redirects it into the guest as if delegated (kvm_riscv_vcpu_trap_redirect)', () => {
    const { hart } = machine([0x30200073]); // mret
    hart.csr.sstatus = SSTATUS_SIE;
    expect(hart.run(1)).toBe(Stop.Trap);
    hart.redirectTrap(hart.exit);
    expect(hart.pc).toBe(H);
    expect(scause(hart)).toBe(BigInt(Cause.IllegalInst));
    expect(stval(hart)).toBe(0x30200073n);
    expect(sepc(hart)).toBe(BASE);
    expect(status(hart)).toEqual({ SIE: false, SPIE: true, SPP: 1 });
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(t6)).toBe(1n);
  });

  it('from U-mode', () => {
    const { hart } = machine([0x30200073]); // mret
    setPriv(hart, PRIV_U);
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.IllegalInst);
    expect(hart.exit.fromPriv).toBe(PRIV_U);
  });

  it('sret and sfence.vma are illegal in U-mode', () => {
    for (const [word, bits] of [[0x10200073, 0x10200073n], [0x12000073, 0x12000073n]] as [number, bigint][]) { // sfence.vma x0, x0
      const { hart } = machine([word]);
      setPriv(hart, PRIV_U);
      expect(hart.run(1)).toBe(Stop.Trap);
      expect(hart.exit.scause).toBe(Cause.IllegalInst);
      expect(exitTval(hart.exit)).toBe(bits);
      expect(hart.priv).toBe(PRIV_U);
    }
  });

  it('wfi in S-mode leaves the guest as a virtual-instruction trap (hstatus.VTW = 1)', () => {
    const { hart } = machine([0x10500073]); // wfi
    expect(hart.run(1)).toBe(Stop.Trap);
    expect(hart.exit.scause).toBe(Cause.VirtualInst);
    expect(hart.exit.htinst).toBe(0x10500073);
    expect(hart.icount).toBe(0);
  });
});

describe('sret', () => {
  it('returns to U-mode: pc = sepc, SIE = SPIE, SPIE = 1, SPP = U', () => {
    const { hart, ram } = machine([0x10200073]); // sret
    place(ram, RAM_BASE + 0x100, [0x00700513]); // addi a0, x0, 7
    setSepc(hart, BASE + 0x100n);
    hart.csr.sstatus = SSTATUS_SPIE;
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(hart.priv).toBe(PRIV_U);
    expect(status(hart)).toEqual({ SIE: true, SPIE: true, SPP: 0 });
    expect(hart.getReg(a0)).toBe(7n);
    expect(hart.pc).toBe(BASE + 0x104n);
  });
  it('returns to S-mode: SIE = SPIE (0), SPIE = 1, SPP = U', () => {
    const { hart } = machine([0x10200073]); // sret
    setSepc(hart, BASE + 0x100n);
    hart.csr.sstatus = SSTATUS_SPP | SSTATUS_SIE;
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.priv).toBe(PRIV_S);
    expect(status(hart)).toEqual({ SIE: false, SPIE: true, SPP: 0 });
    expect(hart.pc).toBe(BASE + 0x100n);
  });
  it('round trip: U ecall → handler → sret back after the ecall', () => {
    const { hart, ram } = machine([
      0x00100513, // addi a0, x0, 1
      0x00000073, // ecall
      0x00a50513, // addi a0, a0, 10
    ]);
    place(ram, HANDLER, [
      0x141025f3, // csrrs a1, sepc, x0
      0x00458593, // addi a1, a1, 4
      0x14159073, // csrrw x0, sepc, a1
      0x10200073, // sret
    ]);
    setPriv(hart, PRIV_U);
    expect(hart.run(6)).toBe(Stop.Budget);
    expect(hart.priv).toBe(PRIV_U);
    expect(hart.getReg(a0)).toBe(11n);
    expect(hart.pc).toBe(BASE + 12n);
    expect(hart.icount).toBe(6);
  });
});

describe('interrupts', () => {
  const PROG = [
    0x00150513, // addi a0, a0, 1
    0x00150513, // addi a0, a0, 1
    0x00150513, // addi a0, a0, 1
    0x00150513, // addi a0, a0, 1
  ];

  it('a pending interrupt that sie does not enable is not taken', () => {
    const { hart } = machine(PROG);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.setInterruptPending(SIP_STIP, true);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(3n);
    expect(hart.csr.sip & SIP_STIP).toBe(SIP_STIP);
    expect(scause(hart)).toBe(0n);
  });

  it('in S-mode with sstatus.SIE = 0 it is not taken', () => {
    const { hart } = machine(PROG);
    hart.csr.sie = SIP_STIP;
    hart.setInterruptPending(SIP_STIP, true);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(3n);
  });

  it('in S-mode with SIE = 1 it is taken before the next instruction', () => {
    const { hart } = machine(PROG);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.sie = SIP_STIP;
    expect(hart.run(2)).toBe(Stop.Budget);
    hart.setInterruptPending(SIP_STIP, true);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(interruptCause(Irq.Timer));
    expect(sepc(hart)).toBe(BASE + 8n);
    expect(stval(hart)).toBe(0n);
    expect(status(hart)).toEqual({ SIE: false, SPIE: true, SPP: 1 });
    expect(hart.priv).toBe(PRIV_S);
    expect(hart.getReg(a0)).toBe(2n);
    expect(hart.getReg(t6)).toBe(1n);
    expect(hart.pc).toBe(H + 4n);
    expect(hart.icount).toBe(3); // taking the interrupt retires nothing
  });

  it('in U-mode it is taken whatever sstatus.SIE says', () => {
    const { hart } = machine(PROG);
    hart.csr.sie = SIP_SEIP;
    setPriv(hart, PRIV_U);
    hart.setInterruptPending(SIP_SEIP, true);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(interruptCause(Irq.External));
    expect(sepc(hart)).toBe(BASE);
    expect(status(hart)).toEqual({ SIE: false, SPIE: false, SPP: 0 });
    expect(hart.priv).toBe(PRIV_S);
    expect(hart.getReg(a0)).toBe(0n);
  });

  it('priority: external > software > timer', () => {
    const cases: [number, number][] = [
      [SIP_SEIP | SIP_SSIP | SIP_STIP, Irq.External],
      [SIP_SSIP | SIP_STIP, Irq.Software],
      [SIP_SEIP | SIP_STIP, Irq.External],
      [SIP_SEIP | SIP_SSIP, Irq.External],
      [SIP_STIP, Irq.Timer],
    ];
    for (const [pending, irq] of cases) {
      const { hart } = machine(PROG);
      hart.csr.sstatus = SSTATUS_SIE;
      hart.csr.sie = SIP_SEIP | SIP_SSIP | SIP_STIP;
      for (const bit of [SIP_SEIP, SIP_SSIP, SIP_STIP]) if (pending & bit) hart.setInterruptPending(bit, true);
      hart.run(1);
      expect(scause(hart), `pending 0x${pending.toString(16)}`).toBe(interruptCause(irq));
    }
  });

  it('only enabled ones compete: a disabled external does not mask an enabled timer', () => {
    const { hart } = machine(PROG);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.sie = SIP_STIP;
    hart.setInterruptPending(SIP_SEIP, true);
    hart.setInterruptPending(SIP_STIP, true);
    hart.run(1);
    expect(scause(hart)).toBe(interruptCause(Irq.Timer));
  });

  it('vectored stvec: pc = base + 4 × cause', () => {
    for (const [bit, irq] of [[SIP_SSIP, 1], [SIP_STIP, 5], [SIP_SEIP, 9]]) {
      const { hart, ram } = machine(PROG);
      place(ram, HANDLER + 4 * irq, [0x06300613]); // addi a2, x0, 99
      setStvec(hart, H | 1n);
      hart.csr.sstatus = SSTATUS_SIE;
      hart.csr.sie = bit;
      hart.setInterruptPending(bit, true);
      expect(hart.run(1)).toBe(Stop.Budget);
      expect(hart.pc).toBe(H + BigInt(4 * irq) + 4n);
      expect(hart.getReg(a2)).toBe(99n);
    }
  });

  it('lowering the line before the next instruction: nothing is taken', () => {
    const { hart } = machine(PROG);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.sie = SIP_STIP;
    hart.setInterruptPending(SIP_STIP, true);
    hart.setInterruptPending(SIP_STIP, false);
    expect(hart.run(4)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(4n);
  });

  it('the guest raising its own SSIP takes it right after the CSR write', () => {
    const { hart } = machine([
      0x14416073, // csrrsi x0, sip, 2
      0x00150513, // addi a0, a0, 1
    ]);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.sie = SIP_SSIP;
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(interruptCause(Irq.Software));
    expect(sepc(hart)).toBe(BASE + 4n);
    expect(hart.getReg(a0)).toBe(0n);
  });

  it('setting sie.STIE with a timer pending takes it right after the CSR write', () => {
    const { hart } = machine([
      0x1045a073, // csrrs x0, sie, a1
      0x00150513, // addi a0, a0, 1
    ], { [a1]: BigInt(SIP_STIP) });
    hart.csr.sstatus = SSTATUS_SIE;
    hart.setInterruptPending(SIP_STIP, true);
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(interruptCause(Irq.Timer));
    expect(sepc(hart)).toBe(BASE + 4n);
  });

  it('sret to U-mode with an interrupt pending: taken at the first U instruction', () => {
    const { hart, ram } = machine([0x10200073]); // sret
    place(ram, RAM_BASE + 0x100, PROG);
    setSepc(hart, BASE + 0x100n);
    hart.csr.sie = SIP_STIP;
    hart.setInterruptPending(SIP_STIP, true); // S-mode with SIE = 0: masked
    expect(hart.run(2)).toBe(Stop.Budget);
    expect(scause(hart)).toBe(interruptCause(Irq.Timer));
    expect(sepc(hart)).toBe(BASE + 0x100n);
    expect(status(hart).SPP).toBe(0);
    expect(hart.getReg(a0)).toBe(0n);
  });

  it('is taken at an exact instruction inside a long block', () => {
    const words = Array.from({ length: 100 }, () => 0x00150513); // addi a0, a0, 1
    const { hart } = machine(words);
    hart.csr.sstatus = SSTATUS_SIE;
    hart.csr.sie = SIP_STIP;
    expect(hart.run(37)).toBe(Stop.Budget);
    hart.setInterruptPending(SIP_STIP, true);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(sepc(hart)).toBe(BASE + 37n * 4n);
    expect(hart.getReg(a0)).toBe(37n);
    expect(hart.icount).toBe(38);
  });

  it('rejects bits that are not VS interrupt lines', () => {
    const { hart } = machine(PROG);
    expect(() => hart.setInterruptPending(1 << 3, true)).toThrow(RangeError);
    expect(() => hart.setInterruptPending(1 << 7, true)).toThrow(RangeError);
  });
});

describe('exact instruction counts', () => {
  it('run(n) stops after exactly n instructions in the middle of a long block', () => {
    const words = Array.from({ length: 100 }, () => 0x00150513); // addi a0, a0, 1
    const { hart } = machine(words);
    expect(hart.run(37)).toBe(Stop.Budget);
    expect(hart.icount).toBe(37);
    expect(hart.getReg(a0)).toBe(37n);
    expect(hart.pc).toBe(BASE + 37n * 4n);
    expect(hart.run(1)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(38n);
    expect(hart.run(62)).toBe(Stop.Budget);
    expect(hart.getReg(a0)).toBe(100n);
    expect(hart.icount).toBe(100);
    // Then the zero halfword after the code: illegal, and nothing more retires.
    expect(hart.run(10)).toBe(Stop.Trap);
    expect(hart.icount).toBe(100);
    expect(exitPc(hart.exit)).toBe(BASE + 400n);
  });

  it('run(n) stops exactly inside a loop', () => {
    const { hart } = machine([
      0x00150513, // addi a0, a0, 1
      0xfeb51ee3, // bne a0, a1, .-4
    ], { [a1]: 1000n });
    expect(hart.run(777)).toBe(Stop.Budget);
    expect(hart.icount).toBe(777);
    expect(hart.getReg(a0)).toBe(389n);
    expect(hart.pc).toBe(BASE + 4n);
    expect(hart.run(1_000_000)).toBe(Stop.Trap);
    expect(hart.icount).toBe(2000);
    expect(hart.getReg(a0)).toBe(1000n);
  });

  it('every budget split gives the same state', () => {
    const prog = [
      0x00350513, // addi a0, a0, 3
      0x00757593, // andi a1, a0, 7
      0x00b60633, // add a2, a2, a1
      0x00059463, // bne a1, x0, .+8
      0x06460613, // addi a2, a2, 100
      0xfed516e3, // bne a0, a3, .-20
    ];
    const ref = machine(prog, { [a3]: 300n }).hart;
    expect(ref.run(400)).toBe(Stop.Budget);
    for (const chunk of [1, 2, 3, 7, 64, 129]) {
      const { hart } = machine(prog, { [a3]: 300n });
      let left = 400;
      while (left > 0) {
        const n = Math.min(chunk, left);
        expect(hart.run(n)).toBe(Stop.Budget);
        left -= n;
      }
      expect(regs(hart), `chunks of ${chunk}`).toEqual(regs(ref));
      expect(hart.pc).toBe(ref.pc);
      expect(hart.icount).toBe(400);
    }
  });

  it('run(0) does nothing', () => {
    const { hart } = machine([0x00150513]); // addi a0, a0, 1
    expect(hart.run(0)).toBe(Stop.Budget);
    expect(hart.icount).toBe(0);
    expect(hart.pc).toBe(BASE);
    expect(hart.getReg(a0)).toBe(0n);
  });

  it('a trap that leaves the guest counts only the retired instructions, however often it is retried', () => {
    const { hart } = machine([
      0x00150513, // addi a0, a0, 1
      0x00150513, // addi a0, a0, 1
      0x00150513, // addi a0, a0, 1
      0x00000073, // ecall
    ]);
    expect(hart.run(100)).toBe(Stop.Trap);
    expect(hart.icount).toBe(3);
    expect(hart.run(100)).toBe(Stop.Trap);
    expect(hart.icount).toBe(3);
    expect(hart.getReg(a0)).toBe(3n);
  });

  it('a delegated trap does not count the trapping instruction; the handler\'s do count', () => {
    const { hart } = machine([
      0x00150513, // addi a0, a0, 1
      0x00000073, // ecall
    ]);
    setPriv(hart, PRIV_U);
    expect(hart.run(3)).toBe(Stop.Budget);
    expect(hart.icount).toBe(3);
    expect(hart.pc).toBe(H + 8n);
    expect(hart.getReg(t6)).toBe(1n);
  });

  it('two harts running the same program end in the same state', () => {
    const prog = [
      0x00150513, // addi a0, a0, 1
      0x02a505b3, // mul a1, a0, a0
      0x00b64633, // xor a2, a2, a1
      0xfed51ae3, // bne a0, a3, .-12
    ];
    const x = machine(prog, { [a3]: 5000n }).hart, y = machine(prog, { [a3]: 5000n }).hart;
    x.run(12_345);
    for (let i = 0; i < 12_345; i += 1000) y.run(Math.min(1000, 12_345 - i));
    expect(regs(x)).toEqual(regs(y));
    expect(x.pc).toBe(y.pc);
  });
});
