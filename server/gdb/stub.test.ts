import { PassThrough, Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checksum } from './rsp-packet.js';
import type { GuestRegisters } from './registers.js';
import { GdbStub, type StubEnd } from './stub.js';
import { TargetError, type GdbTarget, type ResumeAction, type StopReason } from './target.js';

/** A target that records what the stub asks of it and answers from fixed values. */
class FakeTarget implements GdbTarget {
  capabilities = { reverse: true, write: false };
  calls: string[] = [];
  memory = new Map<bigint, number>([[0x80200000n, 0x13], [0x80200001n, 0x05], [0x80200002n, 0x10]]);
  regs: GuestRegisters = {
    x: Array.from({ length: 32 }, (_, i) => BigInt(i) * 0x100n), pc: 0x80200000n, priv: 1,
    csr: { sstatus: 0x2_0000_0000n, satp: 0n },
  };
  nextStop: StopReason = { kind: 'trap' };
  resumeGate: Promise<void> = Promise.resolve();

  threadCount() { return 1; }
  async readRegisters() { return this.regs; }
  async writeRegister(n: number, v: bigint) { this.calls.push(`P${n}=${v}`); throw new TargetError('REPLAY_READ_ONLY', 'a replay cannot be changed'); }
  async readMemory(addr: bigint, len: number) {
    const out: number[] = [];
    for (let i = 0n; i < BigInt(len); i++) {
      const b = this.memory.get(addr + i);
      if (b === undefined) break;
      out.push(b);
    }
    return Uint8Array.from(out);
  }
  async writeMemory(addr: bigint, data: Uint8Array) { this.calls.push(`M${addr.toString(16)}:${Buffer.from(data).toString('hex')}`); throw new TargetError('REPLAY_READ_ONLY', 'no'); }
  async insertBreakpoint(t: string, a: bigint) { this.calls.push(`Z ${t} ${a.toString(16)}`); }
  async removeBreakpoint(t: string, a: bigint) { this.calls.push(`z ${t} ${a.toString(16)}`); }
  async insertWatchpoint(t: string, a: bigint, l: number) { this.calls.push(`Z ${t} ${a.toString(16)} ${l}`); }
  async removeWatchpoint(t: string, a: bigint, l: number) { this.calls.push(`z ${t} ${a.toString(16)} ${l}`); }
  async resume(action: ResumeAction) {
    this.calls.push(action);
    await this.resumeGate;
    return this.nextStop;
  }
  interrupt() { this.calls.push('interrupt'); }
  async monitor(command: string, print: (t: string) => void) {
    if (command === 'fail') throw new TargetError('X', 'no such thing');
    print(`you said ${command}\n`);
  }
  async detach() { this.calls.push('detach'); }
  async kill() { this.calls.push('kill'); }
}

/** gdb's end of a connection: sends raw bytes, collects what the stub writes back. */
function connect(target: GdbTarget) {
  const toStub = new PassThrough(), fromStub = new PassThrough();
  const stream = Duplex.from({ readable: toStub, writable: fromStub });
  let received = '';
  fromStub.on('data', (b: Buffer) => { received += b.toString('latin1'); });
  const stub = new GdbStub(stream, target);
  const packet = (data: string) => `$${data}#${checksum(Buffer.from(data, 'latin1')).toString(16).padStart(2, '0')}`;
  return {
    stub,
    raw(bytes: string) { toStub.write(Buffer.from(bytes, 'latin1')); },
    send(data: string) { toStub.write(packet(data)); },
    /** Everything received so far, and clears it. */
    take() { const r = received; received = ''; return r; },
    /** The packets received (acks left out), once `n` have come. */
    async replies(n: number): Promise<string[]> {
      for (let i = 0; i < 200; i++) {
        const got = [...received.matchAll(/\$([^#]*)#[0-9a-f]{2}/g)].map((m) => expandRuns(m[1]));
        if (got.length >= n) { received = ''; return got; }
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`expected ${n} replies, got: ${received}`);
    },
    packet,
  };
}

function expandRuns(s: string): string {
  return s.replace(/(.)\*(.)/g, (_m, c: string, n: string) => c.repeat(n.charCodeAt(0) - 29 + 1));
}

async function exchange(target: GdbTarget, data: string): Promise<string> {
  const g = connect(target);
  g.send(data);
  return (await g.replies(1))[0];
}

describe('GDB stub', () => {
  it('acks each good packet, naks a bad one, resends on -, and stops acking after QStartNoAckMode', async () => {
    const g = connect(new FakeTarget());
    g.send('qC');
    expect((await g.replies(1))).toEqual(['QC1']);
    g.raw('$qC#00');
    await new Promise((r) => setTimeout(r, 10));
    expect(g.take()).toBe('-');
    g.raw('-');
    await new Promise((r) => setTimeout(r, 10));
    expect(g.take()).toBe('$QC1#c5');
    g.send('QStartNoAckMode');
    expect(await g.replies(1)).toEqual(['OK']);
    g.send('qC');
    await g.replies(1);
    g.send('qC');
    await new Promise((r) => setTimeout(r, 10));
    expect(g.take()).toBe('$QC1#c5');
  });

  it('offers what gdb needs: packet size, no-ack, the target description, swbreak/hwbreak, vCont and the reverse verbs', async () => {
    const reply = await exchange(new FakeTarget(), 'qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+');
    expect(reply.split(';')).toEqual(['PacketSize=4000', 'QStartNoAckMode+', 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'vContSupported+', 'ReverseContinue+', 'ReverseStep+']);
    const live = new FakeTarget();
    live.capabilities = { reverse: false, write: true };
    expect(await exchange(live, 'qSupported')).not.toMatch(/Reverse/);
    expect(await exchange(live, 'bc')).toBe('E22');
  });

  it('serves the target description in pieces: the RISC-V cpu, csr and virtual features, numbered as gdb numbers them', async () => {
    const g = connect(new FakeTarget());
    let xml = '';
    for (let offset = 0; ; offset += 0x100) {
      g.send(`qXfer:features:read:target.xml:${offset.toString(16)},100`);
      const [r] = await g.replies(1);
      xml += r.slice(1);
      if (r[0] === 'l') break;
      expect(r[0]).toBe('m');
    }
    expect(xml).toMatch(/^<\?xml version="1.0"\?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">/);
    expect(xml).toContain('<architecture>riscv:rv64</architecture>');
    for (const f of ['org.gnu.gdb.riscv.cpu', 'org.gnu.gdb.riscv.csr', 'org.gnu.gdb.riscv.virtual']) expect(xml).toContain(`<feature name="${f}">`);
    expect(xml).toContain('<reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>');
    expect(xml).toMatch(/<reg name="sstatus" bitsize="64" type="int" regnum="321"/);
    expect(xml).toMatch(/<reg name="priv" bitsize="64" type="int" regnum="4161"/);
    expect(xml.trimEnd().endsWith('</target>')).toBe(true);
    g.send('qXfer:features:read:other.xml:0,100');
    expect(await g.replies(1)).toEqual(['E00']);
  });

  it('reads registers: g holds x0..x31 and the pc, p the CSRs and priv, unavailable ones as x, unknown numbers E45', async () => {
    const t = new FakeTarget();
    const g = await exchange(t, 'g');
    expect(g).toHaveLength(33 * 16);
    expect(g.slice(16, 32)).toBe('0001000000000000');
    expect(g.slice(32 * 16)).toBe('0000208000000000');
    expect(await exchange(t, `p${(65 + 0x100).toString(16)}`)).toBe('0000000002000000');
    expect(await exchange(t, 'p1041')).toBe('0100000000000000');
    expect(await exchange(t, `p${(65 + 0x141).toString(16)}`)).toBe('xxxxxxxxxxxxxxxx');
    expect(await exchange(t, 'p41')).toBe('E45');
  });

  it('on a machine with F/D: the fpu feature as gdb\'s 64bit-fpu.xml has it, f registers in 8 bytes, fflags/frm/fcsr in 4', async () => {
    const t = new FakeTarget();
    expect(await exchange(t, 'qXfer:features:read:target.xml:0,4000')).not.toContain('riscv.fpu');
    t.regs = { ...t.regs, f: Array.from({ length: 32 }, (_, i) => 0xffff_ffff_0000_0000n | BigInt(i)), fcsr: 0x69 };
    const xml = await exchange(t, 'qXfer:features:read:target.xml:0,4000');
    expect(xml).toMatch(/<feature name="org.gnu.gdb.riscv.fpu">\n {4}<union id="riscv_double">\n {6}<field name="float" type="ieee_single"\/>\n {6}<field name="double" type="ieee_double"\/>\n {4}<\/union>/);
    expect(xml).toContain('<reg name="ft0" bitsize="64" type="riscv_double" regnum="33" group="float"/>');
    expect(xml).toContain('<reg name="fa0" bitsize="64" type="riscv_double" regnum="43" group="float"/>');
    expect(xml).toContain('<reg name="ft11" bitsize="64" type="riscv_double" regnum="64" group="float"/>');
    expect(xml).toContain('<reg name="fflags" bitsize="32" type="int" regnum="66" group="float"/>');
    expect(xml).toContain('<reg name="fcsr" bitsize="32" type="int" regnum="68" group="float"/>');
    expect(await exchange(t, 'p2b')).toBe('0a000000ffffffff');
    expect(await exchange(t, 'p42')).toBe('09000000');
    expect(await exchange(t, 'p43')).toBe('03000000');
    expect(await exchange(t, 'p44')).toBe('69000000');
    // Writes go to the target (which refuses them here, as a replay does); CSRs are not gdb's to write.
    expect(await exchange(t, 'P2b=0000000000000440')).toBe('E.a replay cannot be changed');
    expect(await exchange(t, 'P43=01000000')).toBe('E.a replay cannot be changed');
    expect(t.calls).toEqual([`P43=${0x4004_0000_0000_0000n}`, 'P67=1']);
    expect(await exchange(t, 'P43=0100000000000000')).toBe('E22');
    expect(await exchange(t, `P${(65 + 0x100).toString(16)}=0000000000000000`)).toBe('E.this register cannot be written');
  });

  it('reads memory (fewer bytes where it ends, E14 where none), and turns refused writes into errors gdb can show', async () => {
    const t = new FakeTarget();
    expect(await exchange(t, 'm80200000,2')).toBe('1305');
    expect(await exchange(t, 'm80200001,8')).toBe('0510');
    expect(await exchange(t, 'm0,4')).toBe('E14');
    expect(await exchange(t, 'P5=0100000000000000')).toBe('E.a replay cannot be changed');
    expect(await exchange(t, 'M80200000,1:ff')).toBe('E14');
    // X: escaped binary (0x7d 0x5d is } itself); gdb probes X with no data first.
    const g = connect(t);
    g.raw(`${g.packet('X80200000,0:')}`);
    expect(await g.replies(1)).toEqual(['OK']);
    g.raw(`$X80200000,2:}]A#${checksum(Buffer.from('X80200000,2:}]A')).toString(16).padStart(2, '0')}`);
    expect(await g.replies(1)).toEqual(['E14']);
    expect(t.calls).toContain('M80200000:7d41');
  });

  it('sets breakpoints and watchpoints through the target; refuses malformed ones', async () => {
    const t = new FakeTarget();
    for (const p of ['Z0,80200010,2', 'Z1,80200012,4', 'z0,80200010,2', 'Z2,80201018,8', 'Z3,80201018,4', 'Z4,80201020,1', 'z2,80201018,8']) {
      expect(await exchange(t, p)).toBe('OK');
    }
    expect(t.calls).toEqual(['Z sw 80200010', 'Z hw 80200012', 'z sw 80200010', 'Z watch 80201018 8', 'Z rwatch 80201018 4', 'Z awatch 80201020 1', 'z watch 80201018 8']);
    expect(await exchange(t, 'Z5,0,1')).toBe('E22');
    expect(await exchange(t, 'Z2,80201018,0')).toBe('E22');
  });

  it('resumes with c, s, vCont, bc and bs, and says why it stopped', async () => {
    const t = new FakeTarget();
    const stops: [string, StopReason, RegExp][] = [
      ['c', { kind: 'trap', why: { type: 'swbreak' } }, /^T05swbreak:;thread:1;20:0000208000000000;2:0002000000000000;8:0008000000000000;1:0001000000000000;$/],
      ['vCont;s:1;c', { kind: 'trap' }, /^T05thread:1;20:/],
      ['bc', { kind: 'trap', why: { type: 'watch', address: 0x80201018n } }, /^T05watch:80201018;thread:1;/],
      ['bs', { kind: 'history', edge: 'begin' }, /^T05replaylog:begin;thread:1;/],
      ['vCont;c', { kind: 'history', edge: 'end' }, /^T05replaylog:end;/],
      ['s', { kind: 'interrupted' }, /^T02thread:1;/],
      ['c', { kind: 'exited', code: 3 }, /^W03$/],
    ];
    const g = connect(t);
    for (const [packet, stop, reply] of stops) {
      t.nextStop = stop;
      g.send(packet);
      expect((await g.replies(1))[0]).toMatch(reply);
    }
    expect(t.calls).toEqual(['continue', 'step', 'reverse-continue', 'reverse-step', 'continue', 'step', 'continue']);
    // `?` repeats the last stop.
    g.send('?');
    expect(await g.replies(1)).toEqual(['W03']);
    expect(await exchange(t, 'vCont?')).toBe('vCont;c;C;s;S');
  });

  it('a signal stop tells the console why before the stop reply', async () => {
    const t = new FakeTarget();
    t.nextStop = { kind: 'signal', signal: 6, message: 'diverged' };
    const g = connect(t);
    g.send('c');
    const [out, stop] = await g.replies(2);
    expect(Buffer.from(out.slice(1), 'hex').toString()).toBe('diverged\n');
    expect(stop).toMatch(/^T06thread:1;/);
  });

  it('passes Ctrl-C to the target only while it runs', async () => {
    const t = new FakeTarget();
    let open!: () => void;
    t.resumeGate = new Promise((r) => { open = r; });
    const g = connect(t);
    g.raw('\x03');
    g.send('c');
    await new Promise((r) => setTimeout(r, 10));
    g.raw('\x03');
    await new Promise((r) => setTimeout(r, 10));
    open();
    await g.replies(1);
    expect(t.calls).toEqual(['continue', 'interrupt']);
  });

  it('runs monitor commands: their output as O packets, then OK; a failure says why', async () => {
    const g = connect(new FakeTarget());
    g.send(`qRcmd,${Buffer.from('when').toString('hex')}`);
    const [out, ok] = await g.replies(2);
    expect(Buffer.from(out.slice(1), 'hex').toString()).toBe('you said when\n');
    expect(ok).toBe('OK');
    g.send(`qRcmd,${Buffer.from('fail').toString('hex')}`);
    const [err] = await g.replies(1);
    expect(Buffer.from(err.slice(1), 'hex').toString()).toBe('error: no such thing\n');
  });

  it('one thread per hart; D detaches and k kills, ending the session', async () => {
    const t = new FakeTarget();
    expect(await exchange(t, 'qfThreadInfo')).toBe('m1');
    expect(await exchange(t, 'qsThreadInfo')).toBe('l');
    expect(await exchange(t, 'Hg1')).toBe('OK');
    expect(await exchange(t, 'Hc-1')).toBe('OK');
    expect(await exchange(t, 'T2')).toBe('E22');
    expect(await exchange(t, 'qAttached')).toBe('1');
    expect(await exchange(t, 'vMustReplyEmpty')).toBe('');
    const d = connect(t);
    d.send('D');
    expect(await d.replies(1)).toEqual(['OK']);
    expect(await d.stub.ended).toBe<StubEnd>('detached');
    const k = connect(t);
    k.send('k');
    expect(await k.stub.ended).toBe<StubEnd>('killed');
    expect(t.calls).toEqual(['detach', 'kill']);
  });
});
