/**
 * A replay session on a recording, as the SDK opens one (POST /v1/replays, then the VM's channel as its
 * controller): the time traveller the inspector moves (seek, step, continue and their reverses, breakpoints and
 * watchpoints) and reads (registers, memory). Deleted when the page leaves it.
 */
import { deleteVm, postJson } from './api.js';
import { Channel } from './channel.js';
import type { Value } from './msgpack.js';

export interface Place {
  icount: number;
  nextSeq: number;
  pc: bigint;
  atExit: { [key: string]: Value } | null;
}

export interface Stop {
  kind: string;
  [key: string]: Value;
}

export interface TravelReply {
  stop: Stop;
  place: Place;
}

export interface Registers {
  pc: bigint;
  x: bigint[];
  icount: number;
  /** f0..f31 (raw bits) and fcsr, on a machine with F/D. */
  f?: bigint[];
  fcsr?: number;
}

export class Session {
  private constructor(readonly vmId: string, readonly recording: string, readonly channel: Channel) {}

  static async start(recording: string): Promise<Session> {
    const vm = await postJson<{ id: string; token: string; channel: string }>('/v1/replays', { recording });
    try {
      const channel = await Channel.open(vm.channel, vm.token, 'controller');
      const s = new Session(vm.id, recording, channel);
      window.addEventListener('pagehide', s.onPageHide);
      return s;
    } catch (e) {
      await deleteVm(vm.id).catch(() => undefined);
      throw e;
    }
  }

  private travel(op: string, fields: Record<string, Value> = {}): Promise<TravelReply> {
    return this.channel.request<TravelReply>(op, fields);
  }

  seekExit(seq: number): Promise<TravelReply> {
    return this.travel('seek', { exit: seq });
  }

  seekIcount(icount: number): Promise<TravelReply> {
    return this.travel('seek', { icount });
  }

  step(): Promise<TravelReply> { return this.travel('step'); }
  reverseStep(): Promise<TravelReply> { return this.travel('reverse-step'); }
  continue(): Promise<TravelReply> { return this.travel('continue'); }
  reverseContinue(): Promise<TravelReply> { return this.travel('reverse-continue'); }

  registers(): Promise<Registers> {
    return this.channel.request<Registers>('get-regs');
  }

  readMem(addr: number, len: number): Promise<Uint8Array> {
    return this.channel.request<Uint8Array>('read-mem', { addr, len });
  }

  breakpoint(pc: bigint, add: boolean): Promise<boolean> {
    return this.channel.request<boolean>('breakpoint', { pc, add });
  }

  watchpoint(addr: bigint, len: number, read: boolean, write: boolean, add: boolean): Promise<boolean> {
    return this.channel.request<boolean>('watchpoint', { addr, len, read, write, add });
  }

  private closed = false;
  /** Leaving the page deletes the session's VM (a request that outlives the page). */
  private readonly onPageHide = () => this.close(true);

  close(keepalive = false): void {
    if (this.closed) return;
    this.closed = true;
    window.removeEventListener('pagehide', this.onPageHide);
    this.channel.close();
    void deleteVm(this.vmId, keepalive).catch(() => undefined);
  }
}
