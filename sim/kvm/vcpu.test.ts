import { describe, expect, it } from 'vitest';
import { SIP_STIP } from '../cpu/csr.js';
import { a0, a1, a2, a6, a7, BASE, load } from '../cpu/test-helpers.js';
import { Access } from '../cpu/mmu.js';
import { Cause } from '../cpu/trap.js';
import { KVM_INTERNAL_ERROR_EMULATION, KVM_INTERNAL_ERROR_TRAP_LOOP, type VcpuExit } from './exits.js';
import { Vcpu } from './vcpu.js';

const J_SELF = 0x0000006f; // j .
const WFI = 0x10500073; // wfi
const LW_MISALIGNED = 0x0015a503; // lw a0, 1(a1)
const AMOADD_W = 0x00c5a52f; // amoadd.w a0, a2, (a1)
const ECALL = 0x00000073; // ecall
const LW = 0x0005a503; // lw a0, 0(a1)
const LB = 0x00058503; // lb a0, 0(a1)
const SD = 0x00c5b023; // sd a2, 0(a1)
const C_LW = 0x4188; // c.lw a0, 0(a1)

const UART = 0x1000_0000n;

function vcpuWith(words: number[], regs: Record<number, bigint> = {}) {
  const m = load(words, regs);
  return { ...m, vcpu: new Vcpu(m.hart) };
}

describe('Vcpu exits', () => {
  it('INTR/budget at exactly the requested instruction count', () => {
    const { vcpu } = vcpuWith([J_SELF]);
    expect(vcpu.run(1000)).toMatchObject({ reason: 'INTR', cause: 'budget', icount: 1000, seq: 0, pc: BASE });
    expect(vcpu.run(1)).toMatchObject({ reason: 'INTR', icount: 1001, seq: 1 });
  });

  it('resume(): a spent slice is not an exit and takes no seq; slices add up to the same run', () => {
    const { vcpu } = vcpuWith([J_SELF]);
    expect(vcpu.resume(400)).toBeNull();
    expect(vcpu.resume(600)).toBeNull();
    expect(vcpu.run(1)).toMatchObject({ reason: 'INTR', cause: 'budget', icount: 1001, seq: 0 });
    vcpu.requestImmediateExit();
    expect(vcpu.resume(10)).toMatchObject({ reason: 'INTR', cause: 'immediate_exit', icount: 1001, seq: 1 });
  });

  it('INTR/immediate_exit before entering the guest', () => {
    const { vcpu } = vcpuWith([J_SELF]);
    vcpu.requestImmediateExit();
    expect(vcpu.run(1000)).toMatchObject({ reason: 'INTR', cause: 'immediate_exit', icount: 0 });
    expect(vcpu.run(10)).toMatchObject({ reason: 'INTR', cause: 'budget', icount: 10 });
  });

  it('INTR/halt for a WFI that nothing can wake; the external line wakes it', () => {
    const { vcpu, hart } = vcpuWith([WFI, J_SELF]);
    expect(vcpu.run(100)).toMatchObject({ reason: 'INTR', cause: 'halt', icount: 1, pc: BASE + 4n });
    hart.csr.sie = 1 << 9;
    vcpu.setExternalInterrupt(true);
    expect(hart.interruptPendingForWfi()).toBe(true);
  });

  it('MMIO read of each width: sign or zero extension as the ISA says, compressed forms step 2 bytes', () => {
    for (const [word, len, value, insnLen] of [[LW, 4, 0xffff_ffff_8070_6050n, 4], [LB, 1, 0x50n, 4], [C_LW, 4, 0xffff_ffff_8070_6050n, 2]] as const) {
      const { vcpu, hart } = vcpuWith([word], { [a1]: UART });
      const exit = vcpu.run(10);
      expect(exit).toMatchObject({ reason: 'MMIO', physAddr: 0x1000_0000, len, isWrite: false, icount: 0 });
      vcpu.answer({ seq: exit.seq, reason: 'MMIO', data: Uint8Array.of(0x50, 0x60, 0x70, 0x80).slice(0, len) });
      expect(hart.getReg(a0)).toBe(value);
      expect(hart.pc).toBe(BASE + BigInt(insnLen));
      expect(hart.icount).toBe(1);
    }
  });

  it('MMIO write carries the stored bytes; a read answer of the wrong size is refused', () => {
    const { vcpu } = vcpuWith([SD, LW], { [a1]: UART, [a2]: 0x1122_3344_5566_7788n });
    const w = vcpu.run(10) as Extract<VcpuExit, { reason: 'MMIO' }>;
    expect([...w.data]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    vcpu.answer({ seq: w.seq, reason: 'MMIO' });
    const r = vcpu.run(10);
    expect(() => vcpu.answer({ seq: r.seq, reason: 'MMIO', data: new Uint8Array(2) })).toThrow(/VCPU_BAD_STATE/);
  });

  it('INTERNAL_ERROR for a misaligned MMIO access and for an AMO on MMIO, with the trap details', () => {
    const mis = vcpuWith([LW_MISALIGNED], { [a1]: UART }).vcpu.run(10);
    expect(mis).toMatchObject({ reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_EMULATION, scause: Cause.LoadGuestPageFault });
    const amo = vcpuWith([AMOADD_W], { [a1]: UART }).vcpu.run(10);
    expect(amo).toMatchObject({ reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_EMULATION, scause: Cause.StoreGuestPageFault });
  });

  it('INTERNAL_ERROR/trap-loop when the guest redirects into a handler that faults forever', () => {
    const { vcpu, hart } = vcpuWith([J_SELF]);
    // Not RAM: fetching there is an instruction access fault, which the kernel redirects to stvec — the same place.
    hart.csr.stvecLo = 0x4000_0000;
    hart.pc = 0x4000_0000n;
    const exit = vcpu.run(1000);
    expect(exit).toMatchObject({ reason: 'INTERNAL_ERROR', suberror: KVM_INTERNAL_ERROR_TRAP_LOOP, scause: Cause.InstAccess });
  });

  it('SBI: unknown extensions get SBI_ERR_NOT_SUPPORTED in the kernel; SRST reboot is a reset event', () => {
    const { vcpu, hart } = vcpuWith([ECALL, ECALL], { [a7]: 0x1234_5678n });
    expect(vcpu.run(1)).toMatchObject({ reason: 'INTR', icount: 1 });
    expect(hart.getReg(a0)).toBe(BigInt.asUintN(64, -2n));
    hart.setReg(a7, 0x5352_5354n);
    hart.setReg(a6, 0n);
    hart.setReg(a0, 1n); // cold reboot
    hart.setReg(a1, 0n);
    expect(vcpu.run(10)).toMatchObject({ reason: 'SYSTEM_EVENT', type: 'reset', typeCode: 2, data: [1n, 0n] });
    expect(vcpu.stats.count('sbi-unsupported')).toBe(1);
  });

  it('SBI in the kernel: BASE probe, IPI to self, RFENCE, HSM status of hart 0; experimental and vendor ranges forwarded', () => {
    const call = (eid: bigint, fid: bigint, args: bigint[]) => {
      const { vcpu, hart } = vcpuWith([ECALL, J_SELF], { [a7]: eid, [a6]: fid });
      args.forEach((v, i) => hart.setReg(a0 + i, v));
      return { exit: vcpu.run(1), hart, vcpu };
    };
    const ret = (r: ReturnType<typeof call>) => [BigInt.asIntN(64, r.hart.getReg(a0)), r.hart.getReg(a1)];
    expect(ret(call(0x10n, 0n, []))).toEqual([0n, 2n << 24n]); // spec version 2.0
    expect(ret(call(0x10n, 1n, []))).toEqual([0n, 3n]); // implementation: KVM
    expect(ret(call(0x10n, 3n, [0x4442_434en]))).toEqual([0n, 1n]); // probe DBCN
    expect(ret(call(0x10n, 3n, [0x0800_0000n]))).toEqual([0n, 0n]);
    const ipi = call(0x73_5049n, 0n, [1n, 0n]);
    expect(ret(ipi)).toEqual([0n, 0n]);
    expect(ipi.hart.csr.sip & 2).toBe(2); // SSIP
    expect(ret(call(0x5246_4e43n, 1n, [1n, 0n, 0n, 0n]))).toEqual([0n, 0n]); // remote sfence.vma
    expect(ret(call(0x48_534dn, 2n, [0n]))).toEqual([0n, 0n]); // hart 0: started
    expect(ret(call(0x48_534dn, 2n, [1n]))).toEqual([-3n, 0n]); // no hart 1
    expect(ret(call(0x48_534dn, 0n, [0n, 0n, 0n]))).toEqual([-6n, 0n]); // hart 0 already started
    for (const eid of [0x0800_0001n, 0x0900_0002n]) {
      expect(call(eid, 7n, [9n]).exit).toMatchObject({ reason: 'RISCV_SBI', extensionId: Number(eid), functionId: 7, args: [9n, 0n, 0n, 0n, 0n, 0n] });
    }
  });

  it('SBI RFENCE: remote sfence.vma drops the pages of its range only, (0, 0) and size -1 everything; fence.i nothing', () => {
    const pages = [0x8000_1000, 0x8000_2000, 0x8000_3000];
    const after = (fid: bigint, start: bigint, size: bigint) => {
      const { vcpu, hart } = vcpuWith([ECALL, J_SELF], { [a7]: 0x5246_4e43n, [a6]: fid });
      [1n, 0n, start, size].forEach((v, i) => hart.setReg(a0 + i, v));
      for (const p of pages) expect(hart.mmu.load(p, 0, 3)).toBe(true); // Bare: each load caches its page
      vcpu.run(1);
      return pages.map((p) => hart.mmu.isCached(p, 0, Access.Read));
    };
    expect(after(1n, 0x8000_2000n, 0x1000n)).toEqual([true, false, true]);
    expect(after(1n, 0x8000_1800n, 0x1000n)).toEqual([false, false, true]); // the range touches two pages
    expect(after(2n, 0x8000_3000n, 8n)).toEqual([true, true, false]); // with an ASID: the same here
    expect(after(1n, 0n, 0n)).toEqual([false, false, false]);
    expect(after(1n, 0x8000_2000n, 0xffff_ffff_ffff_ffffn)).toEqual([false, false, false]);
    expect(after(0n, 0n, 0n)).toEqual([true, true, true]); // remote fence.i: the TLB stays
  });

  it('the SBI timer raises STIP at the exact instruction count its deadline falls on', () => {
    const { vcpu, hart } = vcpuWith([ECALL, J_SELF], { [a7]: 0x5449_4d45n, [a6]: 0n, [a0]: 50n });
    vcpu.run(1);
    expect(hart.csr.sip & SIP_STIP).toBe(0);
    vcpu.run(4998); // time = icount / 100: 4999 instructions is tick 49
    expect(hart.csr.sip & SIP_STIP).toBe(0);
    vcpu.run(1);
    expect(hart.icount).toBe(5000);
    expect(hart.csr.sip & SIP_STIP).toBe(SIP_STIP);
  });

  it('tracepoints: kvm_entry with the pc, kvm_exit with sepc/scause/stval/htval/htinst', () => {
    const { vcpu } = vcpuWith([LW], { [a1]: UART + 8n });
    const entries: bigint[] = [];
    const exits: unknown[] = [];
    vcpu.trace = { kvmEntry: (pc) => entries.push(pc), kvmExit: (t) => exits.push(t) };
    vcpu.run(10);
    expect(entries).toEqual([BASE]);
    expect(exits).toEqual([{ sepc: BASE, scause: Cause.LoadGuestPageFault, stval: UART + 8n, htval: Number((UART + 8n) >> 2n), htinst: 0x2503 }]);
  });
});

describe('debug stops do not change the guest', () => {
  const LR_W = 0x1005a52f; // lr.w a0, (a1)
  const ADDI = 0x00150513; // addi a0, a0, 1
  const SC_W = 0x18a5a62f; // sc.w a2, a0, (a1)

  it('a breakpoint between LR and SC keeps the reservation: the SC succeeds as it does without the breakpoint', () => {
    for (const withBreakpoint of [false, true]) {
      const { vcpu, hart } = vcpuWith([LR_W, ADDI, SC_W, J_SELF], { [a1]: BASE + 0x1000n, [a2]: 7n });
      if (withBreakpoint) hart.addBreakpoint(BASE + 8n);
      let exit = vcpu.run(3);
      if (withBreakpoint) {
        expect(exit).toMatchObject({ reason: 'DEBUG', why: 'address-breakpoint', pc: BASE + 8n });
        vcpu.answer({ seq: exit.seq, reason: 'DEBUG', action: 'resume' });
        exit = vcpu.run(1);
      }
      expect(exit).toMatchObject({ reason: 'INTR', icount: 3 });
      expect(hart.getReg(a2)).toBe(0n); // SC succeeded
    }
  });
});
