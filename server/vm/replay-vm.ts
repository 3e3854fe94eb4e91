/**
 * A replay session inside its worker: the recording's machine re-runs with the journal answering every exit.
 * Clients watch the exits stream (each with its recorded answer), pause, look at registers and memory; nothing they
 * send can change the guest, so the run stays the recorded one. The end says whether it matched.
 */
import { readFileSync } from 'node:fs';
import { readJournal, Replayer, SimError, type ReplayResult } from '../../sim/index.js';
import { encodeMessage, type ProtocolErrorCode, type RequestBody, type VmEnd, type VmState } from '../../client-sdk/protocol.js';
import type { WorkerPort } from './live-vm.js';
import { readRam, registersOf, RequestError } from './machine-view.js';
import type { InternalRequest, ReplayInit, ToWorker } from './worker-messages.js';

export class ReplayVm {
  private readonly replayer: Replayer;
  private readonly port: WorkerPort;
  private readonly sliceInsns: number;
  private mode: 'running' | 'paused' = 'paused';
  private started = false;
  private ended: VmEnd | null = null;
  private exits = 0;
  private scheduled = false;

  constructor(init: ReplayInit, port: WorkerPort) {
    this.port = port;
    this.sliceInsns = init.sliceInsns;
    this.replayer = new Replayer(readJournal(readFileSync(init.journalPath)));
  }

  get state(): VmState {
    if (this.ended !== null) return 'ended';
    if (this.mode === 'running') return 'running';
    return this.started ? 'paused' : 'created';
  }

  handle(message: ToWorker): void {
    if (message.t === 'req') {
      try {
        this.port.post({ t: 'reply', rid: message.rid, result: this.request(message.body) });
      } catch (e) {
        const code: ProtocolErrorCode = e instanceof RequestError ? e.code : e instanceof SimError ? 'BAD_REQUEST' : 'INTERNAL';
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
      case 'get-regs': return registersOf(this.replayer.machine);
      case 'read-mem': return readRam(this.replayer.machine, body.addr, body.len);
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
        this.finish(this.replayer.result(), 'stopped');
        return this.status();
      default:
        throw new RequestError('NOT_SUPPORTED', `${body.op} would change a recorded run`);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.port.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Replays one slice of guest time, pushing each exit as it is replayed. */
  private pump(): void {
    if (this.mode !== 'running' || this.ended !== null) return;
    this.started = true;
    const until = this.replayer.machine.hart.icount + this.sliceInsns;
    for (;;) {
      const left = until - this.replayer.machine.hart.icount;
      if (left <= 0) break;
      const step = this.replayer.step(left);
      if (step.kind === 'budget') break;
      if (step.kind === 'done') {
        this.finish(step.result, step.result.ok ? (this.replayer.journal.closed ? 'replayed' : 'replayed-open') : 'diverged');
        return;
      }
      if (step.kind !== 'exit') break; // at-exit and observer stops are time travel's (not asked for here)
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
