/**
 * Exact exit sequences of the guests in guests/programs under hindsight's vCPU: every exit kind and every in-kernel
 * path (MMIO of each width and sign, DBCN, SRST, breakpoints with guest debug on and off and each answer,
 * address breakpoints, watchpoints, single-step, the instruction access fault redirect, WFI idle skip, timer
 * interrupts, UART interrupts through the PLIC, the seed CSR).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitToJson, LocalVmm, runElf, type VmmOptions } from '../client-sdk/index.js';
import { parseElf, type VcpuExit } from '../sim/index.js';

const BUILD = join(import.meta.dirname, 'build');
const image = (name: string) => readFileSync(join(BUILD, `${name}.elf`));
const symbol = (name: string, sym: string): bigint => {
  const v = parseElf(image(name)).symbols.get(sym);
  if (v === undefined) throw new Error(`${name}.elf has no symbol ${sym}`);
  return BigInt(v);
};

type ExitJson = Record<string, unknown>;
/** Legacy console putchar exits (one per character printed) are left out of the sequences below. */
const isPutchar = (e: ExitJson) => e['reason'] === 'RISCV_SBI' && e['extension_id'] === '0x1';

function record(name: string, options: VmmOptions = {}) {
  const exits: ExitJson[] = [];
  const result = runElf(image(name), { ...options, onExit: (exit, answer) => exits.push(exitToJson(exit, answer)) });
  return { result, exits, events: exits.filter((e) => !isPutchar(e)) };
}

const mmio = (e: ExitJson) => ({ addr: e['phys_addr'], len: e['len'], w: e['is_write'], data: e['data'] });

describe('exit sequences', () => {
  it('seq and icount are exact and increasing; every exit carries pc', () => {
    const { exits } = record('hello');
    exits.forEach((e, i) => expect(e['seq']).toBe(i));
    for (let i = 1; i < exits.length; i++) expect(exits[i]['icount'] as number).toBeGreaterThan(exits[i - 1]['icount'] as number);
    for (const e of exits) expect(e['pc']).toMatch(/^0x[0-9a-f]+$/);
  });

  it('mmio-widths: one MMIO exit per access, each width and sign, compressed forms included', () => {
    const { result, events } = record('mmio-widths');
    expect(result.exitCode).toBe(0);
    expect(result.console).toContain('mmio-widths: all loads ok');
    const inDevice = (e: ExitJson) => { const a = parseInt(String(e['phys_addr']), 16); return a >= 0x10008000 && a < 0x10009000; };
    const dev = events.filter((e) => e['reason'] === 'MMIO' && inDevice(e));
    const reads = [[0x00, 1], [0x08, 1], [0x01, 1], [0x02, 2], [0x0a, 2], [0x06, 2], [0x04, 4], [0x0c, 4], [0x10, 4], [0x00, 8], [0x08, 8], [0x20, 4], [0x18, 8]];
    const pattern = (o: number, n: number) => `0x${Array.from({ length: n }, (_, i) => (((o + i) * 0x11 + 0x80) & 0xff).toString(16).padStart(2, '0')).reverse().join('')}`;
    expect(dev.slice(0, 13).map(mmio)).toEqual(reads.map(([o, n]) => ({ addr: `0x${(0x10008000 + o).toString(16)}`, len: n, w: 0, data: pattern(o, n) })));
    expect(dev.slice(13).map(mmio)).toEqual([
      { addr: '0x10008040', len: 1, w: 1, data: '0x88' },
      { addr: '0x10008042', len: 2, w: 1, data: '0x7788' },
      { addr: '0x10008044', len: 4, w: 1, data: '0x55667788' },
      { addr: '0x10008048', len: 8, w: 1, data: '0x1122334455667788' },
      { addr: '0x10008050', len: 4, w: 1, data: '0xccddeeff' },
      { addr: '0x10008058', len: 8, w: 1, data: '0x8899aabbccddeeff' },
    ]);
    // The finisher write ends it.
    expect(mmio(events[events.length - 1])).toEqual({ addr: '0x100000', len: 4, w: 1, data: '0x00005555' });
  });

  it('dbcn: DBCN calls are forwarded to userspace with their arguments and answered', () => {
    const { result, events } = record('dbcn');
    expect(result.exitCode).toBe(0);
    const dbcn = events.filter((e) => e['extension_id'] === '0x4442434e');
    expect(dbcn[0]).toMatchObject({ function_id: 0, ret: ['0x0', '0x2f'] });
    expect((dbcn[0]['args'] as string[])[0]).toBe('0x2f');
    expect(dbcn.slice(1).every((e) => e['function_id'] === 2)).toBe(true);
    expect(dbcn).toHaveLength(37);
    expect(result.console).toContain('DBCN write: hello from sbi_debug_console_write');
    expect(result.console).toContain('dbcn write(47 bytes): error=0 value=47');
  });

  it('srst: SBI SRST shutdown becomes a SYSTEM_EVENT exit (no finisher write)', () => {
    const { result, events } = record('srst');
    expect(result.stop).toBe('shutdown');
    expect(result.exitCode).toBe(0);
    expect(events.filter((e) => e['reason'] === 'MMIO')).toEqual([]);
    expect(events[events.length - 1]).toMatchObject({ reason: 'SYSTEM_EVENT', exit_reason: 24, type: 1, type_name: 'shutdown', data: ['0x0', '0x0'] });
  });

  it('inst-access-fault: a fetch from non-RAM is redirected into the guest as scause 1, with no exit', () => {
    const { result, events } = record('inst-access-fault');
    expect(result.exitCode).toBe(0);
    expect(result.console).toContain('call 0x10001000: scause=0x1 stval=0x10001000 sepc=0x10001000');
    expect(result.console).toContain('call 0x00000000: scause=0x1 stval=0x0 sepc=0x0');
    expect(events.map((e) => e['reason'])).toEqual(['MMIO']); // only the finisher
    expect(result.stats.find((s) => s.event === 'redirect-inst-access')?.count).toBe(2);
  });

  it('wfi-idle: WFI skips virtual time to the timer deadline exactly; the timer interrupt arrives at its icount', () => {
    const { result } = record('wfi-idle');
    expect(result.exitCode).toBe(0);
    expect(result.console).toContain('wfi until the timer: time advanced 1000000 ticks');
    expect(result.console).toContain('periodic: 5 timer interrupts (wanted 5)');
    expect(result.console).toContain('periodic: time advanced 50001 ticks');
    expect(result.stats.find((s) => s.event === 'wfi-idle-skip')?.count).toBe(6);
    // Deterministic: a second run gives the same instruction count and transcript.
    const again = record('wfi-idle');
    expect(again.result.icount).toBe(result.icount);
    expect(again.result.console).toBe(result.console);
  });

  it('seed-csr: the seed CSR is a RISCV_CSR exit whose answer lands in rd', () => {
    const { result, events } = record('seed-csr', { entropySeed: 1n });
    const csr = events.filter((e) => e['reason'] === 'RISCV_CSR');
    expect(csr).toHaveLength(1);
    expect(csr[0]).toMatchObject({ exit_reason: 36, csr_num: '0x15', new_value: '0x0', write_mask: '0xffffffffffffffff' });
    const ret = BigInt(csr[0]['ret_value'] as string);
    expect(result.console).toContain(`seed: 0x${ret.toString(16).padStart(16, '0')}`);
  });

  it('uart-irq: UART and PLIC programming, the interrupt claim, and the received line, in order', () => {
    const { result, events } = record('uart-irq', { input: Buffer.from('hello uart\n') });
    expect(result.exitCode).toBe(0);
    expect(result.console).toContain('got: hello uart');
    const m = events.filter((e) => e['reason'] === 'MMIO').map(mmio);
    expect(m.slice(0, 6)).toEqual([
      { addr: '0x10000003', len: 1, w: 1, data: '0x03' },
      { addr: '0x10000004', len: 1, w: 1, data: '0x08' },
      { addr: '0x10000001', len: 1, w: 1, data: '0x01' },
      { addr: '0xc000028', len: 4, w: 1, data: '0x00000001' },
      { addr: '0xc002000', len: 4, w: 1, data: '0x00000400' },
      { addr: '0xc200000', len: 4, w: 1, data: '0x00000000' },
    ]);
    const claim = m.findIndex((x) => x.addr === '0xc200004' && x.w === 0);
    expect(m[claim].data).toBe('0x0000000a');
    const received = m.slice(claim).filter((x) => x.addr === '0x10000000' && x.w === 0).map((x) => parseInt(String(x.data), 16));
    expect(Buffer.from(received).toString()).toBe('hello uart\n');
    expect(m.slice(claim)).toContainEqual({ addr: '0xc200004', len: 4, w: 1, data: '0x0000000a' }); // complete
  });
});

describe('guest debug (KVM_SET_GUEST_DEBUG)', () => {
  const ebreakPc = () => symbol('breakpoints', 'guest_ebreak');

  it('off: the guest\'s own ebreak goes to its handler with no exit', () => {
    const { result, events } = record('breakpoints');
    expect(events.filter((e) => e['reason'] === 'DEBUG')).toEqual([]);
    expect(result.console).toContain('guest handler saw 1 breakpoint(s)');
  });

  it('on, inject: one DEBUG exit at the ebreak, pc unchanged; the guest handler then runs', () => {
    const { result, events } = record('breakpoints', { guestDebug: true, onDebug: () => 'inject' });
    const dbg = events.filter((e) => e['reason'] === 'DEBUG');
    expect(dbg).toEqual([expect.objectContaining({ exit_reason: 4, why: 'breakpoint-instruction', pc: `0x${ebreakPc().toString(16)}`, action: 'inject' })]);
    expect(result.console).toContain('guest handler saw 1 breakpoint(s)');
  });

  it('on, resume: the debugger owns the breakpoint; the guest never sees it', () => {
    const { result, events } = record('breakpoints', { guestDebug: true, onDebug: () => 'resume' });
    expect(events.filter((e) => e['reason'] === 'DEBUG')).toHaveLength(1);
    expect(result.console).toContain('guest handler saw 0 breakpoint(s)');
  });

  it('on, stay: the vCPU stops at the same ebreak again, same icount, until told otherwise', () => {
    const answers: ('stay' | 'resume')[] = ['stay', 'stay', 'resume'];
    const { result, events } = record('breakpoints', { guestDebug: true, onDebug: () => answers.shift()! });
    const dbg = events.filter((e) => e['reason'] === 'DEBUG');
    expect(dbg).toHaveLength(3);
    expect(new Set(dbg.map((e) => e['pc'])).size).toBe(1);
    expect(new Set(dbg.map((e) => e['icount'])).size).toBe(1);
    expect(result.console).toContain('guest handler saw 0 breakpoint(s)');
  });

  it('address breakpoints (never patching guest memory): one exit per call of target(), resume steps over', () => {
    const vmmExits: VcpuExit[] = [];
    const vmm = new LocalVmm(image('breakpoints'), { onExit: (e) => { if (e.reason === 'DEBUG') vmmExits.push(e); } });
    const target = symbol('breakpoints', 'target');
    vmm.machine.hart.addBreakpoint(target);
    const before = vmm.machine.ram.read(Number(target), 4);
    const result = vmm.run();
    expect(result.exitCode).toBe(0);
    expect(vmmExits.map((e) => [e.reason === 'DEBUG' && e.why, e.pc])).toEqual([0, 1, 2].map(() => ['address-breakpoint', target]));
    expect(vmm.machine.ram.read(Number(target), 4)).toEqual(before);
    expect(result.console).toContain('target ran 3 times');
  });

  it('watchpoints: a write watchpoint stops before each write, a read watchpoint before the read', () => {
    const watched = symbol('breakpoints', 'watched');
    // Writes: crt0 zeroing .bss (where `watched` lives), then the program's two writes.
    for (const [kind, count] of [['write', 3], ['read', 1]] as const) {
      const dbg: VcpuExit[] = [];
      const vmm = new LocalVmm(image('breakpoints'), { onExit: (e) => { if (e.reason === 'DEBUG') dbg.push(e); } });
      vmm.machine.hart.addWatchpoint(watched, 8, { read: kind === 'read', write: kind === 'write' });
      const result = vmm.run();
      expect(result.exitCode).toBe(0);
      expect(result.console).toContain('read watched: 0x2222');
      expect(dbg).toHaveLength(count);
      for (const e of dbg) expect(e).toMatchObject({ reason: 'DEBUG', why: 'watchpoint', isWrite: kind === 'write' });
      // The program's own accesses hit the variable itself; crt0's 8-byte stores cover it.
      expect(dbg[dbg.length - 1]).toMatchObject({ address: watched });
      if (kind === 'write') expect(dbg[0].icount).toBeLessThan(dbg[1].icount);
    }
  });

  it('single-step: each step is one DEBUG exit one instruction later, from a breakpoint on', () => {
    const vmm = new LocalVmm(image('breakpoints'));
    const vcpu = vmm.machine.vcpu;
    const target = symbol('breakpoints', 'target');
    vmm.machine.hart.addBreakpoint(target);
    let exit = vcpu.run();
    while (exit.reason !== 'DEBUG') {
      expect(vmm.answerExit(exit)).toBeNull();
      exit = vcpu.run();
    }
    expect(exit).toMatchObject({ why: 'address-breakpoint', pc: target });
    const start = exit.icount;
    vcpu.setGuestDebug(true, true);
    vcpu.answer({ seq: exit.seq, reason: 'DEBUG', action: 'resume' });
    const steps: VcpuExit[] = [];
    while (steps.length < 5) {
      exit = vcpu.run();
      if (exit.reason === 'DEBUG') {
        steps.push(exit);
        vcpu.answer({ seq: exit.seq, reason: 'DEBUG', action: 'resume' });
      } else expect(vmm.answerExit(exit)).toBeNull();
    }
    expect(steps.map((s) => s.icount)).toEqual([1, 2, 3, 4, 5].map((n) => start + n));
    expect(steps.every((s) => s.reason === 'DEBUG' && s.why === 'single-step')).toBe(true);
    vcpu.setGuestDebug(false);
    vmm.machine.hart.removeBreakpoint(target);
    let end = null;
    while (end === null) end = vmm.answerExit(vcpu.run());
    expect(end.exitCode).toBe(0);
  });

  it('answering the wrong exit, twice, or with the wrong kind is an error with a stable code', () => {
    const vmm = new LocalVmm(image('hello'));
    const vcpu = vmm.machine.vcpu;
    const exit = vcpu.run();
    expect(exit.reason).toBe('RISCV_SBI');
    expect(() => vcpu.run()).toThrow(/VCPU_BAD_STATE/);
    expect(() => vcpu.answer({ seq: exit.seq + 1, reason: 'RISCV_SBI', ret: [0n, 0n] })).toThrow(/VCPU_BAD_STATE/);
    expect(() => vcpu.answer({ seq: exit.seq, reason: 'MMIO' })).toThrow(/VCPU_BAD_STATE/);
    vcpu.answer({ seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
    expect(() => vcpu.answer({ seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] })).toThrow(/VCPU_BAD_STATE/);
  });
});

describe('recorded bug scenarios (recordings/) behave as their stories say', () => {
  it('scenario-uart-race: the RX interrupt lands between the read and the write-back of head; one byte is lost', () => {
    const { result, events } = record('scenario-uart-race', { input: Buffer.from('the quick brown fox\n') });
    expect(result.exitCode).toBe(1);
    expect(result.console).toContain('line: "the quick brown fx\\n"');
    expect(result.console).toContain("LOST 1 byte(s): the checksums differ by 0x6f ('o')");
    const m = events.filter((e) => e['reason'] === 'MMIO');
    // The lost byte was read from RBR by the interrupt handler, after a PLIC claim.
    const lost = m.findIndex((e) => e['phys_addr'] === '0x10000000' && e['is_write'] === 0 && e['data'] === '0x6f');
    expect(lost).toBeGreaterThan(0);
    expect(m.slice(0, lost).some((e) => e['phys_addr'] === '0xc200004' && e['data'] === '0x0000000a')).toBe(true);
  });

  it('scenario-bad-fnptr: a call through a garbage pointer is an instruction access fault the guest reports', () => {
    const { result } = record('scenario-bad-fnptr');
    expect(result.exitCode).toBe(2);
    expect(result.console).toContain('stval  = 0x10001000');
    expect(result.console).toContain('after 5 good command(s)');
    expect(result.stats.find((s) => s.event === 'redirect-inst-access')?.count).toBe(1);
  });

  it('scenario-wrong-device-answer: the version answer, loaded signed, sends the driver down the wrong path', () => {
    const { result, events } = record('scenario-wrong-device-answer');
    expect(result.exitCode).toBe(3);
    expect(events.filter((e) => e['reason'] === 'MMIO').map(mmio)).toContainEqual({ addr: '0x10008004', len: 4, w: 0, data: '0xf7e6d5c4' });
    expect(result.console).toContain('unsupported, driver disabled');
  });

  it('mmio-loop: one MMIO read exit per load, each answered with the test pattern, the sum checked', () => {
    const { result, events } = record('mmio-loop');
    expect(result.exitCode).toBe(0);
    expect(result.console).toContain('mmio-loop: 50000 loads, sum 0x890cf7a1f800');
    const reads = events.filter((e) => e['reason'] === 'MMIO' && e['phys_addr'] === '0x10008000');
    expect(reads).toHaveLength(50_000);
    expect(reads.every((e) => e['len'] === 4 && e['is_write'] === 0 && e['data'] === '0xb3a29180')).toBe(true);
  });

  it('console-flood: prints numbered lines until stopped (exact at any instruction limit)', () => {
    const { result, exits } = record('console-flood', { maxInsns: 100_000 });
    expect(result.stop).toBe('max-insns');
    expect(result.icount).toBe(100_000);
    expect(result.console.startsWith('--- console-flood ---\nline 0\nline 1\n')).toBe(true);
    expect(exits.length).toBeGreaterThan(1000);
  });

  it('tt-long: one test-device load per round from probe_device, a progress line every 8 rounds', () => {
    // crt0 zeroes the 48 MiB buffer first (~25 million instructions), then each round takes ~1.03 million.
    const { result, events } = record('tt-long', { maxInsns: 45_000_000 });
    expect(result.stop).toBe('max-insns');
    expect(result.console).toMatch(/^--- tt-long ---\nround 8 h=[0-9a-f]{16}\nround 16 h=[0-9a-f]{16}\n/);
    const probe = symbol('tt-long', 'probe_device');
    const loads = events.filter((e) => e['reason'] === 'MMIO');
    expect(loads.length).toBeGreaterThanOrEqual(17);
    expect(loads.length).toBeLessThanOrEqual(21);
    for (const e of loads) {
      expect(mmio(e)).toEqual({ addr: '0x10008000', len: 4, w: 0, data: '0xb3a29180' });
      const pc = BigInt(e['pc'] as string);
      expect(pc >= probe && pc < probe + 16n).toBe(true);
    }
  });
});
