/**
 * A replay session inside its worker: the recording's machine re-runs with the journal answering every exit.
 * Clients watch the exits stream (each with its recorded answer), pause, look at registers and memory; nothing they
 * send can change the guest, so the run stays the recorded one. The end says whether it matched.
 *
 * The replay is a TimeTravel, so clients may also go anywhere in the recording (seek, step, continue and their
 * reverses, with observer breakpoints and watchpoints) through a TravelView. `run` streams from wherever the
 * traveller stands, stepping the TimeTravel's own Replayer: one machine, so streaming and travelling never disagree
 * about where the replay is.
 */
import { readFileSync } from 'node:fs';
import { readJournal, SimError, type Replayer, type ReplayResult } from '../../sim/index.js';
import { encodeMessage, type ProtocolErrorCode, type RequestBody, type VmEnd, type VmState } from '../../client-sdk/protocol.js';
import type { WorkerPort } from './live-vm.js';
import { RequestError } from './machine-view.js';
import { DIVERSION_WRITE_OPS, MOVE_OPS, TRAVEL_OPS, TravelView } from './travel-view.js';
import type { InternalRequest, ReplayInit, VmCommand } from './worker-messages.js';

export class ReplayVm {
  private readonly travel: TravelView;
  private readonly replayer: Replayer;
  private readonly port: WorkerPort;
  private readonly sliceInsns: number;
  private mode: 'running' | 'paused' = 'paused';
  private started = false;
  private ended: VmEnd | null = null;
  /** A client stopped the session: unlike reaching the end of the recording, this ends travel too. */
  private stopped = false;
  private exits = 0;
  private scheduled = false;

  constructor(init: ReplayInit, port: WorkerPort) {
    this.port = port;
    this.sliceInsns = init.sliceInsns;
    // Every client hears of each move, before the requester's reply.
    this.travel = new TravelView(readJournal(readFileSync(init.journalPath)), init.checkpoints, (r) => this.port.post({ t: 'travel', place: r.place, stop: r.stop }), true);
    this.replayer = this.travel.tt.replayer;
  }

  get state(): VmState {
    if (this.ended !== null) return 'ended';
    if (this.mode === 'running') return 'running';
    return this.started ? 'paused' : 'created';
  }

  handle(message: VmCommand): void {
    if (message.t === 'req') {
      try {
        this.port.post({ t: 'reply', rid: message.rid, result: this.request(message.body) });
      } catch (e) {
        const code: ProtocolErrorCode = e instanceof RequestError ? e.code : e instanceof SimError ? 'BAD_REQUEST' : 'INTERNAL';
        this.noteEnd();
        this.port.post({ t: 'error', rid: message.rid, code, message: e instanceof Error ? e.message : String(e) });
      }
    } else if (message.t === 'answer') {
      this.port.post({ t: 'error', seq: message.answer.seq, code: 'NOT_SUPPORTED', message: 'a replay answers its exits from the journal' });
    }
    if (this.mode === 'running' && this.ended === null) this.schedule();
  }

  private request(body: RequestBody | InternalRequest): unknown {
    const h = this.replayer.machine.hart;
    switch (body.op) {
      case 'status': return this.status();
      case 'stats': return { icount: h.icount, exits: this.exits, rows: this.replayer.machine.vcpu.stats.rows() };
      case 'run':
        if (this.ended !== null) throw new RequestError('VM_ENDED', 'the replay has ended');
        this.mode = 'running';
        this.postState();
        return this.status();
      case 'pause':
        this.mode = 'paused';
        this.postState();
        return this.status();
      case 'stop':
        this.stopped = true;
        this.finish(this.replayer.result(), 'stopped');
        return this.status();
      case 'present': throw new RequestError('NOT_SUPPORTED', 'a replay has no present to go back to: seek anywhere in it');
      default:
        // A diversion (divert) may write the guest: it has left the recorded run.
        if (DIVERSION_WRITE_OPS.has(body.op) && this.travel.diverted) return this.travel.request(body);
        if (!TRAVEL_OPS.has(body.op)) throw new RequestError('NOT_SUPPORTED', `${body.op} would change a recorded run`);
        return this.travelRequest(body);
    }
  }

  private travelRequest(body: RequestBody): unknown {
    if (this.stopped && MOVE_OPS.has(body.op)) throw new RequestError('VM_ENDED', 'the replay session was stopped');
    // A travel is synchronous and moves the machine the stream runs on: the stream pauses first.
    if (MOVE_OPS.has(body.op) && this.mode === 'running') {
      this.mode = 'paused';
      this.postState();
    }
    if (MOVE_OPS.has(body.op)) this.started = true;
    const result = this.travel.request(body);
    this.noteEnd();
    return result;
  }

  /** A travel that reached the end of the recording ends the session's run as streaming there would. */
  private noteEnd(): void {
    if (this.ended !== null || !this.replayer.done) return;
    const result = this.replayer.result();
    this.finish(result, endReason(result, this.replayer.journal.closed));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.port.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Replays one slice of guest time, pushing each exit as it is replayed. The stream steps the TimeTravel, which
   * lays checkpoints as it goes, so a seek after a stream starts near its target.
   */
  private pump(): void {
    if (this.mode !== 'running' || this.ended !== null) return;
    this.started = true;
    const until = this.replayer.machine.hart.icount + this.sliceInsns;
    for (;;) {
      // Standing at an exit (a travel stopped there, or the last step did), the next step feeds its recorded
      // answer and runs nothing, whatever is left of the slice: the stream never leaves an exit half-told.
      const left = this.replayer.standingAt !== null ? 0 : until - this.replayer.machine.hart.icount;
      if (left <= 0 && this.replayer.standingAt === null) break;
      const step = this.travel.tt.stepForward(left);
      // A step may end short of the slice at a checkpoint's place; the slice goes on.
      if (step.kind === 'budget') continue;
      if (step.kind === 'done') {
        this.finish(step.result, endReason(step.result, this.replayer.journal.closed));
        return;
      }
      // The TimeTravel's replayer stops at each exit before its answer, and at the observer's triggers; the
      // stream goes on through both (triggers stop travels, `continue`, not the stream).
      if (step.kind === 'at-exit' || step.kind === 'observer') continue;
      this.exits++;
      const { exit, answer } = step;
      this.port.post({
        t: 'exit', seq: exit.seq, reason: exit.reason, waiting: false, icount: exit.icount,
        frame: encodeMessage({ type: 'exit', exit, ...(answer !== undefined ? { answer } : {}) }),
      });
    }
    this.schedule();
  }

  private finish(result: ReplayResult, reason: string): void {
    if (this.ended !== null) return;
    this.ended = {
      reason, exitCode: result.ok ? 0 : 1, icount: result.icount, exits: result.exits, digest: result.finalDigest,
      verified: result.ok && result.closed && result.recordedDigest === result.finalDigest,
      ...(result.divergence !== undefined ? { divergence: result.divergence } : {}),
    };
    this.port.post({ t: 'ended', end: this.ended });
  }

  private status(): { state: VmState; icount: number; exits: number; end?: VmEnd } {
    return { state: this.state, icount: this.replayer.machine.hart.icount, exits: this.exits, ...(this.ended !== null ? { end: this.ended } : {}) };
  }

  private postState(): void {
    this.port.post({ t: 'state', state: this.state, icount: this.replayer.machine.hart.icount, exits: this.exits });
  }
}

function endReason(result: ReplayResult, closed: boolean): string {
  return result.ok ? (closed ? 'replayed' : 'replayed-open') : 'diverged';
}
