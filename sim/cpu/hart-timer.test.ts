import { describe, expect, it } from 'vitest';
import { encode } from '../isa/index.js';
import { INSNS_PER_TIME_TICK } from '../layout.js';
import { GuestRam } from '../memory.js';
import { CSR_STIMECMP, SIP_STIP, SSTATUS_SIE } from './csr.js';
import { Hart, HartFeatures, Stop } from './hart.js';
import { TIERS, type Tier } from './jit.js';
import { Cause, Irq } from './trap.js';
import {
  a0, a1, a2, BASE, exitTval, interruptCause, place, RAM_BASE, scause, sepc, setPriv, setRegs, setStvec, t5, t6,
} from './test-helpers.js';

// Sstc: stimecmp as a VS-mode guest under KVM reaches it (vstimecmp, henvcfg.STCE set). STIP is pending exactly
// while time >= stimecmp (time = cycles / INSNS_PER_TIME_TICK), a write takes effect at once, and SBI set_timer
// writes the same register. The timer must fire at the exact instruction whichever tier runs the loop, also when
// the write moves the deadline into the run that is already going.

const HANDLER = RAM_BASE + 0x400;
const csrw = (csr: number, rs1: number) => encode('csrrw', { rd: 0, rs1, imm: csr });
const csrr = (rd: number, csr: number) => encode('csrrs', { rd, rs1: 0, imm: csr });
const CSR_INSTRET = 0xc02, CSR_SIP = 0x144;
const ADDI_A0 = encode('addi', { rd: a0, rs1: a0, imm: 1 });
const LOOP_BACK = encode('jal', { rd: 0, imm: -4 });
/** The handler: t5 = instret when it was entered, t6 counts entries; disarms the timer (a2 = -1) and returns. */
const HANDLER_CODE = [csrr(t5, CSR_INSTRET), encode('addi', { rd: t6, rs1: t6, imm: 1 }), csrw(CSR_STIMECMP, a2), encode('sret')];

function hart(words: number[], tier: Tier, features?: HartFeatures): Hart {
  const ram = new GuestRam(RAM_BASE, 64 << 10);
  place(ram, RAM_BASE, words);
  place(ram, HANDLER, HANDLER_CODE);
  const h = new Hart(ram, { tier, batch: 1 }, features);
  h.pc = BASE;
  setStvec(h, BigInt(HANDLER));
  setRegs(h, { [a2]: -1n });
  return h;
}

describe('stimecmp (Sstc)', () => {
  for (const tier of TIERS) {
    it(`${tier}: a write arms the timer inside the running loop; it fires at the exact instruction`, () => {
      // csrw stimecmp, a1 (icount 0), then addi (odd icounts) and j back (even icounts). With stimecmp = 3 the
      // deadline is icount 300: the j there is interrupted, after 150 addi.
      const h = hart([csrw(CSR_STIMECMP, a1), ADDI_A0, LOOP_BACK], tier);
      setRegs(h, { [a1]: 3n });
      h.csr.sie = SIP_STIP;
      h.csr.sstatus |= SSTATUS_SIE;
      expect(h.run(1000)).toBe(Stop.Budget);
      expect(h.icount).toBe(1000);
      expect(h.getReg(t6)).toBe(1n);
      expect(h.getReg(t5)).toBe(BigInt(3 * INSNS_PER_TIME_TICK));
      expect(scause(h)).toBe(interruptCause(Irq.Timer));
      expect(sepc(h)).toBe(BASE + 8n);
      // Disarmed by the handler: STIP fell and stays down, and reading stimecmp gives what was written.
      expect(h.csr.sip & SIP_STIP).toBe(0);
      expect(h.timerDeadline).toBe(Infinity);
      expect(h.csr.stimecmpLo).toBe(-1);
      expect(h.csr.stimecmpHi).toBe(-1);
    });
  }

  it('a deadline already passed makes STIP pending at once: taken right after the write', () => {
    const h = hart([csrw(CSR_STIMECMP, a1), ADDI_A0, ADDI_A0], 'interp');
    h.icount = 5 * INSNS_PER_TIME_TICK;
    setRegs(h, { [a1]: 2n });
    h.csr.sie = SIP_STIP;
    h.csr.sstatus |= SSTATUS_SIE;
    expect(h.run(2)).toBe(Stop.Budget);
    expect(scause(h)).toBe(interruptCause(Irq.Timer));
    expect(sepc(h)).toBe(BASE + 4n);
    expect(h.getReg(a0)).toBe(0n);
  });

  it('with interrupts masked, sip.STIP shows the comparison, and a later deadline lowers it again', () => {
    // csrw stimecmp, a1 (= 1: time 1 is icount 100); spin to icount 150; read sip; csrw stimecmp, a2 (-1); read sip.
    const words = [csrw(CSR_STIMECMP, a1), ...Array(149).fill(ADDI_A0), csrr(t5, CSR_SIP), csrw(CSR_STIMECMP, a2), csrr(t6, CSR_SIP)];
    const h = hart(words, 'auto');
    setRegs(h, { [a1]: 1n });
    expect(h.run(words.length)).toBe(Stop.Budget);
    expect(h.getReg(t5)).toBe(BigInt(SIP_STIP));
    expect(h.getReg(t6)).toBe(0n);
  });

  it('reads back the 64 bits written; starts disarmed (all ones), as KVM resets a vCPU', () => {
    const h = hart([csrr(t5, CSR_STIMECMP), csrw(CSR_STIMECMP, a1), csrr(t6, CSR_STIMECMP)], 'interp');
    setRegs(h, { [a1]: 0x1234_5678_9abc_def0n });
    expect(h.run(3)).toBe(Stop.Budget);
    expect(h.getReg(t5)).toBe(0xffff_ffff_ffff_ffffn);
    expect(h.getReg(t6)).toBe(0x1234_5678_9abc_def0n);
  });

  it('SBI set_timer writes the same register (KVM on an Sstc host): the guest reads it back', () => {
    const h = hart([csrr(t5, CSR_STIMECMP)], 'interp');
    h.setTimerDeadline(777n);
    expect(h.run(1)).toBe(Stop.Budget);
    expect(h.getReg(t5)).toBe(777n);
    expect(h.timerDeadlineIcount()).toBe(777 * INSNS_PER_TIME_TICK);
  });

  it('is an S-mode CSR: illegal from U-mode, and illegal on a hart whose ISA lacks Sstc', () => {
    const word = csrr(a0, CSR_STIMECMP);
    const user = hart([word], 'interp');
    setPriv(user, 0);
    expect(user.run(1)).toBe(Stop.Trap);
    expect(user.exit.scause).toBe(Cause.IllegalInst);
    const without = hart([word], 'interp', { fpu: true, sstc: false, without: new Set() });
    expect(without.run(1)).toBe(Stop.Trap);
    expect(without.exit.scause).toBe(Cause.IllegalInst);
    expect(exitTval(without.exit)).toBe(BigInt(word >>> 0));
  });
});
