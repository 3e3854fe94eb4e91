/**
 * Time travel over a VM channel (docs/protocol.md, "Time travel"): typed verbs for the requests that move a
 * traveller through a recording, its observer triggers, the timeline and the checkpoints. `Traveller` speaks them
 * on any channel (a replay session, or a live VM looking at its past); `ReplaySession` adds what a replay VM
 * offers besides (streaming its exits, the verified end).
 */
import type { CheckpointStats, Registers, TimelineEntry, TimelineQuery, TravelReply, VmEnd, VmState } from '../protocol.js';
import type { VmLink } from './connection.js';
import type { CreatedVm, HindsightClient } from './http-client.js';

/** Where a seek goes: standing at an exit (before its recorded answer), or after that many instructions. */
export type SeekTarget = { exit: number } | { icount: number };

export class Traveller {
  constructor(readonly conn: VmLink) {}

  seek(target: SeekTarget): Promise<TravelReply> {
    return this.conn.request<TravelReply>('exit' in target ? { op: 'seek', exit: target.exit } : { op: 'seek', icount: target.icount });
  }

  /** One instruction forwards in the recording (through any exit on the way), stopping early at a trigger. */
  step(): Promise<TravelReply> {
    return this.conn.request<TravelReply>({ op: 'step' });
  }

  /** Forwards to the next observer breakpoint or watchpoint, or to the end of the history. */
  continue(): Promise<TravelReply> {
    return this.conn.request<TravelReply>({ op: 'continue' });
  }

  /** One instruction back; at the start, stop `history-start`. */
  reverseStep(): Promise<TravelReply> {
    return this.conn.request<TravelReply>({ op: 'reverse-step' });
  }

  /** Back to the latest earlier hit of the observer triggers set now; with none, stop `history-start` at the start. */
  reverseContinue(): Promise<TravelReply> {
    return this.conn.request<TravelReply>({ op: 'reverse-continue' });
  }

  /** An observer breakpoint: it stops travels, never the recorded run. Resolves false for a removal of none. */
  breakpoint(pc: bigint, add = true): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'breakpoint', pc, add });
  }

  watchpoint(addr: bigint, len: number, kind: { read?: boolean; write?: boolean }, add = true): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'watchpoint', addr, len, read: kind.read ?? false, write: kind.write ?? true, add });
  }

  /** The recording's past exits, filtered (every field given must match). */
  timeline(filter: TimelineQuery = {}): Promise<TimelineEntry[]> {
    return this.conn.request<TimelineEntry[]>({ op: 'timeline', ...filter });
  }

  checkpoints(): Promise<CheckpointStats> {
    return this.conn.request<CheckpointStats>({ op: 'checkpoints' });
  }

  /** The registers where the traveller stands. */
  registers(): Promise<Registers> {
    return this.conn.request<Registers>({ op: 'get-regs' });
  }

  readMemory(addr: number, len: number): Promise<Uint8Array> {
    return this.conn.request<Uint8Array>({ op: 'read-mem', addr, len });
  }
}

/** A replay VM's channel: time travel plus the recorded run streaming and its verified end. */
export class ReplaySession extends Traveller {
  /** The first time the replay reaches the end of the recording (streaming or travelling), or is stopped. */
  readonly ended: Promise<VmEnd>;

  constructor(conn: VmLink) {
    super(conn);
    this.ended = new Promise((resolve) => conn.once('ended', resolve));
  }

  /** Starts a replay of `recording` on the server and attaches to it as its controller. */
  static async start(client: HindsightClient, recording: string): Promise<ReplaySession & { vm: CreatedVm }> {
    const vm = await client.startReplay(recording);
    return Object.assign(new ReplaySession(await client.connect(vm, 'controller')), { vm });
  }

  /** Streams the exits (with their recorded answers) from where the traveller stands, to the end or a pause. */
  async run(): Promise<void> {
    await this.conn.request({ op: 'run' });
  }

  async pause(): Promise<void> {
    await this.conn.request({ op: 'pause' });
  }

  status(): Promise<{ state: VmState; icount: number; exits: number; end?: VmEnd }> {
    return this.conn.request({ op: 'status' });
  }

  /** Ends the session: nothing moves any more (looking at where it stands still works). */
  async stop(): Promise<void> {
    await this.conn.request({ op: 'stop', reason: 'stopped', exitCode: 0 });
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
