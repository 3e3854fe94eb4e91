/**
 * The protocol engine: one gdb connection served over a GdbTarget. It owns every packet (the framing is
 * rsp-connection.ts): the feature exchange, the target description, registers and memory, breakpoints and
 * watchpoints, resuming forwards and backwards with the stop replies that say why the hart stopped, Ctrl-C, threads
 * (one per hart), monitor commands, detach and kill. The target only answers verbs; it never sees a packet.
 *
 * gdb is all-stop here: while a resume is pending gdb sends nothing but Ctrl-C, so packets are handled one at a time
 * in arrival order (the handlers are asynchronous: the target may be across a WebSocket).
 */
import type { Duplex } from 'node:stream';
import { RspConnection } from './rsp-connection.js';
import {
  bytesToHex, hexToBytes, hexToText, leHex, parseHex, parseLeHex, textToHex, unescapeBinary,
} from './rsp-packet.js';
import {
  G_PACKET_REGISTERS, isRegister, isWritableRegister, PC_REGNUM, registerBytes, registerValue, targetDescription, XLEN_BYTES, type GuestRegisters,
} from './registers.js';
import { TargetError, type BreakpointType, type GdbTarget, type ResumeAction, type StopReason, type WatchType } from './target.js';

/** The largest packet we take and send (qSupported PacketSize): a 8 KiB memory read fits in one reply. */
export const PACKET_SIZE = 0x4000;

const SIGINT = 2, SIGTRAP = 5;

export type StubEnd = 'detached' | 'killed' | 'disconnected';

export interface StubOptions {
  /** Every packet in and out ("in" is what gdb sent). */
  log?: (direction: 'in' | 'out', text: string) => void;
}

export class GdbStub {
  /** Resolves when gdb has gone: it detached, killed the guest, or the connection closed. */
  readonly ended: Promise<StubEnd>;
  private readonly conn: RspConnection;
  private readonly queue: Buffer[] = [];
  private busy = false;
  /** A resume is in flight: Ctrl-C goes to the target. */
  private resuming = false;
  private lastStop: StopReason = { kind: 'trap' };
  private end: StubEnd | null = null;
  private finish!: (end: StubEnd) => void;
  /** Made at gdb's first request for it: whether it has the FPU feature depends on the machine. */
  private description: string | null = null;

  constructor(stream: Duplex, private readonly target: GdbTarget, options: StubOptions = {}) {
    this.ended = new Promise((resolve) => { this.finish = resolve; });
    this.conn = new RspConnection(stream, {
      packet: (data) => this.enqueue(data),
      interrupt: () => { if (this.resuming) this.target.interrupt(); },
      close: () => this.close('disconnected'),
    }, PACKET_SIZE * 2);
    if (options.log !== undefined) this.conn.log = options.log;
  }

  private close(end: StubEnd): void {
    if (this.end !== null) return;
    this.end = end;
    this.conn.close();
    this.finish(end);
  }

  private enqueue(data: Buffer): void {
    this.queue.push(data);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (this.queue.length > 0 && this.end === null) {
      const data = this.queue.shift()!;
      let reply: string | null;
      try {
        reply = await this.handle(data);
      } catch (e) {
        reply = errorReply(data[0], e);
      }
      if (reply !== null && this.end === null) this.conn.send(reply);
    }
    this.busy = false;
  }

  /** One packet: returns the reply (`''` is "not supported"), or null when the packet takes none. */
  private async handle(data: Buffer): Promise<string | null> {
    const text = data.toString('latin1');
    switch (text[0]) {
      case '?': return this.stopReply(this.lastStop);
      case 'g': return this.readAllRegisters();
      case 'G': return this.writeAllRegisters(text.slice(1));
      case 'p': return this.readRegister(text.slice(1));
      case 'P': return this.writeRegister(text.slice(1));
      case 'm': return this.readMemory(text.slice(1));
      case 'M': return this.writeMemoryHex(text.slice(1));
      case 'X': return this.writeMemoryBinary(data);
      case 'Z': case 'z': return this.trigger(text[0] === 'Z', text.slice(1));
      case 'c': case 'C': return this.resumeWith('continue', text);
      case 's': case 'S': return this.resumeWith('step', text);
      case 'b':
        if (text === 'bc') return this.resume('reverse-continue');
        if (text === 'bs') return this.resume('reverse-step');
        return '';
      case 'H': return this.isOurThread(text.slice(2)) ? 'OK' : 'E22';
      case 'T': return this.isOurThread(text.slice(1)) ? 'OK' : 'E22';
      case 'D':
        await this.target.detach();
        this.conn.send('OK');
        this.close('detached');
        return null;
      case 'k':
        await this.target.kill();
        this.close('killed');
        return null;
      case 'q': return this.query(text);
      case 'Q': return this.setting(text);
      case 'v': return this.vPacket(text);
      default: return '';
    }
  }

  // ---- Queries and settings. ----

  private async query(text: string): Promise<string> {
    const [name] = text.split(/[:,;]/, 1);
    switch (name) {
      case 'qSupported': return this.supported();
      case 'qXfer': return this.transfer(text);
      case 'qfThreadInfo': return `m${Array.from({ length: this.target.threadCount() }, (_, i) => (i + 1).toString(16)).join(',')}`;
      case 'qsThreadInfo': return 'l';
      case 'qC': return 'QC1';
      // 1: attached to a machine that was there before gdb; quitting gdb detaches rather than kills.
      case 'qAttached': return '1';
      case 'qThreadExtraInfo': {
        const tid = Number.parseInt(text.split(',')[1] ?? '', 16);
        return textToHex(`hart ${Number.isFinite(tid) ? tid - 1 : 0}`);
      }
      case 'qSymbol': return 'OK';
      case 'qRcmd': return this.monitor(text.slice('qRcmd,'.length));
      default: return '';
    }
  }

  private supported(): string {
    const caps = this.target.capabilities;
    return [
      `PacketSize=${PACKET_SIZE.toString(16)}`, 'QStartNoAckMode+', 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'vContSupported+',
      ...(caps.reverse ? ['ReverseContinue+', 'ReverseStep+'] : []),
    ].join(';');
  }

  /** qXfer:features:read:ANNEX:OFFSET,LENGTH: the target description, in pieces. */
  private async transfer(text: string): Promise<string> {
    const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (m === null) return '';
    if (m[1] !== 'target.xml') return 'E00';
    const offset = Number.parseInt(m[2], 16), length = Number.parseInt(m[3], 16);
    this.description ??= targetDescription((await this.target.readRegisters()).f !== undefined);
    const chunk = this.description.slice(offset, offset + length);
    // A binary reply: the connection escapes it.
    this.conn.send(`${offset + length >= this.description.length ? 'l' : 'm'}${chunk}`, { binary: true });
    return NO_REPLY;
  }

  private setting(text: string): string {
    if (text === 'QStartNoAckMode') {
      this.conn.send('OK');
      this.conn.enterNoAckMode();
      return NO_REPLY;
    }
    return '';
  }

  private vPacket(text: string): Promise<string> | string {
    if (text === 'vCont?') return 'vCont;c;C;s;S';
    if (text.startsWith('vCont;')) {
      const action = vContAction(text);
      if (action === null) return 'E22';
      return this.resume(action);
    }
    // vMustReplyEmpty, vFile, vKill, vRun...: not supported.
    return '';
  }

  private isOurThread(id: string): boolean {
    // 0: any thread, -1: all threads; ours are 1..harts.
    const n = Number.parseInt(id, 16);
    return id === '-1' || id === '0' || (n >= 1 && n <= this.target.threadCount());
  }

  // ---- Registers and memory. ----

  private async readAllRegisters(): Promise<string> {
    const regs = await this.target.readRegisters();
    let out = '';
    for (let i = 0; i < G_PACKET_REGISTERS; i++) out += registerHex(regs, i);
    return out;
  }

  private async writeAllRegisters(hex: string): Promise<string> {
    if (hex.length !== G_PACKET_REGISTERS * XLEN_BYTES * 2) return 'E22';
    const current = await this.target.readRegisters();
    for (let i = 1; i < G_PACKET_REGISTERS; i++) {
      const v = parseLeHex(hex.slice(i * XLEN_BYTES * 2, (i + 1) * XLEN_BYTES * 2), XLEN_BYTES);
      if (v === null) return 'E22';
      if (v !== registerValue(current, i)) await this.target.writeRegister(i, v);
    }
    return 'OK';
  }

  private async readRegister(arg: string): Promise<string> {
    const n = Number.parseInt(arg, 16);
    if (!isRegister(n)) return 'E45';
    return registerHex(await this.target.readRegisters(), n);
  }

  private async writeRegister(arg: string): Promise<string> {
    const [num, hex] = arg.split('=');
    const n = Number.parseInt(num, 16);
    const v = parseLeHex(hex ?? '', registerBytes(n));
    if (!isRegister(n) || v === null) return 'E22';
    if (n === 0) return 'OK';
    if (!isWritableRegister(n)) throw new TargetError('READ_ONLY_REGISTER', 'this register cannot be written');
    await this.target.writeRegister(n, v);
    return 'OK';
  }

  private async readMemory(arg: string): Promise<string> {
    const at = addressAndLength(arg);
    if (at === null) return 'E22';
    const bytes = await this.target.readMemory(at.addr, Math.min(at.len, (PACKET_SIZE - 4) >> 1));
    return bytes.length === 0 && at.len > 0 ? 'E14' : bytesToHex(bytes);
  }

  private async writeMemoryHex(arg: string): Promise<string> {
    const colon = arg.indexOf(':');
    const at = addressAndLength(arg.slice(0, colon));
    const bytes = hexToBytes(arg.slice(colon + 1));
    if (colon < 0 || at === null || bytes === null || bytes.length !== at.len) return 'E22';
    if (at.len > 0) await this.target.writeMemory(at.addr, bytes);
    return 'OK';
  }

  /** `X addr,len:bytes` with escaped binary bytes; gdb first sends an empty one to learn whether X works. */
  private async writeMemoryBinary(data: Buffer): Promise<string> {
    const colon = data.indexOf(0x3a);
    const at = colon < 0 ? null : addressAndLength(data.subarray(1, colon).toString('latin1'));
    const bytes = colon < 0 ? null : unescapeBinary(data.subarray(colon + 1));
    if (at === null || bytes === null || bytes.length !== at.len) return 'E22';
    if (at.len > 0) await this.target.writeMemory(at.addr, bytes);
    return 'OK';
  }

  /** Z/z TYPE,ADDR,KIND: breakpoints (0 software, 1 hardware: both are the hypervisor's) and watchpoints (2, 3, 4). */
  private async trigger(insert: boolean, arg: string): Promise<string> {
    const m = /^([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]+)$/.exec(arg);
    if (m === null) return 'E22';
    const type = Number(m[1]), addr = BigInt(`0x${m[2]}`), size = Number.parseInt(m[3], 16);
    const t = this.target;
    if (type <= 1) {
      const kind: BreakpointType = type === 0 ? 'sw' : 'hw';
      await (insert ? t.insertBreakpoint(kind, addr) : t.removeBreakpoint(kind, addr));
    } else {
      if (size <= 0) return 'E22';
      const kind: WatchType = type === 2 ? 'watch' : type === 3 ? 'rwatch' : 'awatch';
      await (insert ? t.insertWatchpoint(kind, addr, size) : t.removeWatchpoint(kind, addr, size));
    }
    return 'OK';
  }

  // ---- Resuming. ----

  /** c/C/s/S [addr]: a resume address means "jump there first". Signals are ignored: a VM has none to deliver. */
  private async resumeWith(action: 'continue' | 'step', text: string): Promise<string> {
    const arg = text[0] === 'c' || text[0] === 's' ? text.slice(1) : text.split(';')[1] ?? '';
    if (arg !== '') {
      const addr = parseHex(arg);
      if (addr === null) return 'E22';
      await this.target.writeRegister(PC_REGNUM, addr);
    }
    return this.resume(action);
  }

  private async resume(action: ResumeAction): Promise<string> {
    if (action.startsWith('reverse') && !this.target.capabilities.reverse) return 'E22';
    this.resuming = true;
    let stop: StopReason;
    try {
      stop = await this.target.resume(action);
    } finally {
      this.resuming = false;
    }
    this.lastStop = stop;
    return this.stopReply(stop);
  }

  /** T05thread:1;swbreak:;20:pc;... with the registers gdb needs first (pc, sp, fp, ra) expedited. */
  private async stopReply(stop: StopReason): Promise<string> {
    // Console output on the way goes first, as O packets (allowed while the target runs).
    for (let i = 0; stop.output !== undefined && i < stop.output.length; i += PACKET_SIZE >> 2) {
      this.conn.send(`O${textToHex(stop.output.slice(i, i + (PACKET_SIZE >> 2)))}`);
    }
    if (stop.kind === 'exited') return `W${hex2(stop.code & 0xff)}`;
    let signal = SIGTRAP;
    let why = '';
    switch (stop.kind) {
      case 'trap':
        if (stop.why !== undefined) why = 'address' in stop.why ? `${stop.why.type}:${stop.why.address.toString(16)};` : `${stop.why.type}:;`;
        break;
      case 'history': why = `replaylog:${stop.edge};`; break;
      case 'interrupted': signal = SIGINT; break;
      case 'signal':
        signal = stop.signal;
        this.conn.send(`O${textToHex(`${stop.message}\n`)}`);
        break;
    }
    const regs = await this.target.readRegisters();
    const expedited = [PC_REGNUM, 2, 8, 1].map((n) => `${n.toString(16)}:${registerHex(regs, n)};`).join('');
    return `T${hex2(signal)}${why}thread:1;${expedited}`;
  }

  // ---- monitor. ----

  private async monitor(hex: string): Promise<string> {
    const command = hexToText(hex);
    if (command === null) return 'E22';
    const print = (text: string) => this.conn.send(`O${textToHex(text)}`);
    try {
      await this.target.monitor(command.trim(), print);
    } catch (e) {
      // gdb shows a qRcmd error as "Protocol error with Rcmd": say what went wrong instead.
      print(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return 'OK';
  }
}

/** Returned by a handler that has sent its reply itself. */
const NO_REPLY = null as unknown as string;

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function registerHex(regs: GuestRegisters, regnum: number): string {
  const v = registerValue(regs, regnum), bytes = registerBytes(regnum);
  return v === undefined ? 'x'.repeat(bytes * 2) : leHex(v, bytes);
}

function addressAndLength(text: string): { addr: bigint; len: number } | null {
  const [a, l] = text.split(',');
  const addr = parseHex(a ?? ''), len = parseHex(l ?? '');
  if (addr === null || len === null || len > 0x10_0000n) return null;
  return { addr, len: Number(len) };
}

/** The action of a vCont packet that applies to our thread: `vCont;s:1;c` steps thread 1 and continues the rest. */
function vContAction(text: string): ResumeAction | null {
  for (const part of text.slice('vCont;'.length).split(';')) {
    const [action, thread] = part.split(':');
    if (thread !== undefined && thread !== '-1' && Number.parseInt(thread, 16) !== 1 && !thread.startsWith('p')) continue;
    switch (action[0]) {
      case 'c': case 'C': return 'continue';
      case 's': case 'S': return 'step';
      default: return null;
    }
  }
  return null;
}

/**
 * A refusal. gdb 13 shows the text of an `E.text` reply for register writes ("remote failure reply 'E.…'") but
 * parses the error of most other packets as two hex digits, so those get a number: E14 (EFAULT) for memory, E01
 * for the rest.
 */
function errorReply(packet: number, e: unknown): string {
  if (packet === 0x50 || packet === 0x47) {
    const message = e instanceof Error ? e.message : String(e);
    return `E.${message.replace(/[$#}*]/g, ' ')}`;
  }
  return packet === 0x6d || packet === 0x4d || packet === 0x58 ? 'E14' : 'E01';
}
