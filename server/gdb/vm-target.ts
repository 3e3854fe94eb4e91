/**
 * What the two target adapters share: a VM reached through the SDK's verbs (a VmLink: a WebSocket to a VM of
 * `hindsight serve`, or a VM in this process), its registers read once per stop, its memory read through the guest's
 * page tables with each page fetched once per stop, and gdb's triggers kept in a TriggerBook. The replay adapter
 * (replay-target.ts) travels in a recording; the live adapter (live-target.ts) runs and records.
 */
import type { Registers, TravelReply, VmLink } from '../../client-sdk/index.js';
import { ProtocolError } from '../../client-sdk/index.js';
import { AddressSpace, PAGE_SIZE } from './address-space.js';
import { Monitor } from './monitor.js';
import { writeRequest, type GuestRegisters } from './registers.js';
import {
  TargetError, type BreakpointType, type GdbTarget, type ResumeAction, type StopReason, type TargetCapabilities, type WatchType,
} from './target.js';
import { TriggerBook } from './trigger-book.js';

const SIGABRT = 6, SIGTRAP = 5;

export abstract class VmTarget implements GdbTarget {
  abstract readonly capabilities: TargetCapabilities;
  protected readonly book = new TriggerBook();
  protected readonly monitorCommands: Monitor;
  private regs: GuestRegisters | null = null;
  private space: AddressSpace | null = null;
  /** Guest-physical pages read since the last move (page address to bytes; null: not RAM). */
  private readonly pages = new Map<number, Uint8Array | null>();

  constructor(protected readonly link: VmLink) {
    this.monitorCommands = new Monitor(link, () => this.forget());
    // Every move of a traveller, and a live VM leaving or coming back to its past, changes what gdb looks at.
    link.on('travel', () => this.forget());
  }

  threadCount(): number {
    return 1;
  }

  /** Drops what was read: the hart moved (or memory was written). */
  protected forget(): void {
    this.regs = null;
    this.space = null;
    this.pages.clear();
  }

  async readRegisters(): Promise<GuestRegisters> {
    if (this.regs === null) {
      const r = await this.request<Registers>({ op: 'get-regs' });
      this.regs = { x: r.x, pc: r.pc, priv: r.priv, csr: r.csr, ...(r.f !== undefined ? { f: r.f, fcsr: r.fcsr } : {}) };
    }
    return this.regs;
  }

  /** What writes gdb's register `regnum` (fflags and frm keep the rest of fcsr as it stands). */
  protected async registerWrite(regnum: number, value: bigint): Promise<Parameters<VmLink['request']>[0]> {
    const body = writeRequest(await this.readRegisters(), regnum, value);
    if (body === null) throw new TargetError('READ_ONLY_REGISTER', 'this register cannot be written');
    return body;
  }

  async readMemory(addr: bigint, len: number): Promise<Uint8Array> {
    return (await this.addressSpace()).read(addr, len);
  }

  protected async addressSpace(): Promise<AddressSpace> {
    if (this.space === null) {
      const satp = (await this.readRegisters()).csr.satp ?? 0n;
      this.space = new AddressSpace((addr, len) => this.readPhysical(addr, len), satp);
    }
    return this.space;
  }

  /** Guest-physical bytes from the pages read this stop (one read-mem per page); null outside RAM. */
  private async readPhysical(addr: number, len: number): Promise<Uint8Array | null> {
    const base = addr - (addr % PAGE_SIZE);
    let page = this.pages.get(base);
    if (page === undefined) {
      page = await this.request<Uint8Array>({ op: 'read-mem', addr: base, len: PAGE_SIZE }).catch((e: unknown) => {
        if (e instanceof ProtocolError && e.code === 'BAD_ADDRESS') return null;
        throw e;
      });
      this.pages.set(base, page);
    }
    if (page === null) return null;
    const off = addr - base;
    return off + len <= PAGE_SIZE ? page.subarray(off, off + len) : null;
  }

  // ---- Triggers: the VM holds one per address (range), the book counts gdb's. ----

  async insertBreakpoint(type: BreakpointType, addr: bigint): Promise<void> {
    if (this.book.addBreakpoint(type, addr)) await this.setBreakpoint(addr, true);
  }

  async removeBreakpoint(type: BreakpointType, addr: bigint): Promise<void> {
    if (this.book.removeBreakpoint(type, addr)) await this.setBreakpoint(addr, false);
  }

  async insertWatchpoint(type: WatchType, addr: bigint, len: number): Promise<void> {
    if ((addr & 0xffff_ffffn) + BigInt(len) > 0x1_0000_0000n) throw new TargetError('BAD_WATCHPOINT', 'a watchpoint cannot straddle a 4 GiB boundary');
    const before = this.book.watchKind(addr, len);
    this.book.addWatch(type, addr, len);
    await this.changeWatch(addr, len, before);
  }

  async removeWatchpoint(type: WatchType, addr: bigint, len: number): Promise<void> {
    const before = this.book.watchKind(addr, len);
    if (this.book.removeWatch(type, addr, len)) await this.changeWatch(addr, len, before);
  }

  /** The VM's watchpoint on a range follows the merged kind of gdb's watchpoints there. */
  private async changeWatch(addr: bigint, len: number, before: { read: boolean; write: boolean } | null): Promise<void> {
    const after = this.book.watchKind(addr, len);
    if (before !== null && after !== null && before.read === after.read && before.write === after.write) return;
    if (before !== null) await this.setWatchpoint(addr, len, null);
    if (after !== null) await this.setWatchpoint(addr, len, after);
  }

  protected abstract setBreakpoint(addr: bigint, add: boolean): Promise<void>;
  protected abstract setWatchpoint(addr: bigint, len: number, kind: { read: boolean; write: boolean } | null): Promise<void>;

  abstract writeRegister(regnum: number, value: bigint): Promise<void>;
  abstract writeMemory(addr: bigint, data: Uint8Array): Promise<void>;
  abstract resume(action: ResumeAction): Promise<StopReason>;
  abstract interrupt(): void;
  abstract detach(): Promise<void>;
  abstract kill(): Promise<void>;

  monitor(command: string, print: (text: string) => void): Promise<void> {
    return this.monitorCommands.run(command, print);
  }

  // ---- Travelling: the verbs a replay has, and a recorded live VM in its past. ----

  /** One travel verb, its reply turned into the stop gdb expects. */
  protected async travel(action: ResumeAction): Promise<StopReason> {
    this.forget();
    let reply: TravelReply;
    try {
      reply = await this.request<TravelReply>({ op: action });
    } catch (e) {
      // A diversion has no past to go back to: say so, standing where it stands.
      if (e instanceof TargetError && e.code === 'BAD_REQUEST' && action.startsWith('reverse')) return { kind: 'signal', signal: SIGTRAP, message: e.message };
      throw e;
    }
    const stop = this.travelStop(reply, action);
    return reply.output !== undefined ? { ...(await stop), output: reply.output } : stop;
  }

  private async travelStop(reply: TravelReply, action: ResumeAction): Promise<StopReason> {
    const stop = reply.stop;
    switch (stop.kind) {
      case 'arrived': return { kind: 'trap' };
      case 'breakpoint': return this.book.breakpointStop(stop.pc);
      case 'watchpoint': {
        const why = this.book.watchStop(stop.address ?? 0n, stop.isWrite === true);
        // gdb's RISC-V watchpoints are non-steppable: it expects the stop before the access in the direction of
        // travel and steps over the instruction itself. Forwards that is where the traveller stands (the access
        // not done yet); backwards it is after the access, so gdb's reverse step over it lands on the writer with
        // the value it overwrote.
        if (action === 'reverse-continue') {
          const after = await this.request<TravelReply>({ op: 'step' });
          this.forget();
          if (after.stop.kind === 'diverged') return diverged(after.stop.divergence);
        }
        return why;
      }
      case 'history-start': return { kind: 'history', edge: 'begin' };
      case 'history-end': return { kind: 'history', edge: 'end' };
      case 'diverged': return diverged(stop.divergence);
      case 'diversion-end': return { kind: 'signal', signal: SIGTRAP, message: `hindsight: the diversion's run ended: ${stop.reason} (monitor diversion end goes back to the recording)` };
    }
  }

  protected request<T>(body: Parameters<VmLink['request']>[0]): Promise<T> {
    return this.link.request<T>(body).catch((e: unknown) => {
      throw e instanceof ProtocolError ? new TargetError(String(e.code), e.message.replace(/^[A-Z_]+: /, '')) : e;
    });
  }
}

function diverged(d: { record: number; icount: number; field: string; expected: string; actual: string }): StopReason {
  return {
    kind: 'signal', signal: SIGABRT,
    message: `hindsight: the replay diverged from the recording at record ${d.record} (icount ${d.icount}): ${d.field} expected ${d.expected}, got ${d.actual}`,
  };
}
