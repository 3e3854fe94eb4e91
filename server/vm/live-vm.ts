/**
 * A live VM inside its worker: the vCPU loop of a VMM whose userspace is remote. Guest time runs in slices; between
 * slices (and while an exit waits for its answer) the worker takes messages. Everything that changes the guest goes
 * through the VcpuSession, so it lands in the journal at an exact icount.
 *
 * The journal only knows exits, answers and inputs, so an input must arrive where the journal can place it: at an
 * exit. While the vCPU is stopped (an exit waiting, paused, halted, not started) that holds already; between two
 * slices of a running guest it does not, and the VM first takes an immediate exit (KVM's immediate_exit), which the
 * clients see and the journal records, then applies the input there.
 *
 * A recorded VM may also look back: a travel request (seek, reverse-step, reverse-continue, timeline) pauses it,
 * opens the journal written so far as a TimeTravel (live-history.ts) and shows that machine until `present` (or
 * `run`) comes back to the live one, untouched, where the run and its recording go on. While travelling nothing
 * may change the run: such requests, and answers, get TRAVELLING.
 */
import {
  FileJournalWriter, Machine, SimError, VcpuSession, journalHeader, needsAnswer, type ExitAnswer, type JournalInput, type Place, type VcpuExit,
} from '../../sim/index.js';
import { encodeMessage, type ProtocolErrorCode, type RequestBody, type VmEnd, type VmState } from '../../client-sdk/protocol.js';
import { openHistory } from './live-history.js';
import { checkFpu, checkRam, readRam, registersOf, RequestError } from './machine-view.js';
import { TRAVEL_OPS, type TravelView } from './travel-view.js';
import { withoutCode } from './vm-request-error.js';
import type { InternalRequest, LiveInit, VmCommand, VmEvent } from './worker-messages.js';

/** Where a VM says what happens (its hub, in the same worker). */
export interface WorkerPort {
  post(event: VmEvent): void;
  /** Runs fn soon, after pending messages and socket reads have been taken (setImmediate in a worker). */
  defer(fn: () => void): void;
}

export class LiveVm {
  readonly machine: Machine;
  private readonly session: VcpuSession;
  private readonly port: WorkerPort;
  private readonly sliceInsns: number;
  private readonly recordPath: string | null;
  /** The VM's past, while a client travels in it; null while it shows the present. */
  private travel: TravelView | null = null;
  /** Moves of the traveller so far: whether a request moved it (the clients heard then) or only opened the past. */
  private travelMoves = 0;
  private mode: 'running' | 'paused' = 'paused';
  private started = false;
  private waiting: VcpuExit | null = null;
  private halted = false;
  private ended: VmEnd | null = null;
  private exits = 0;
  private observers = 0;
  private scheduled = false;
  private debugEnabled = false;
  private singleStep = false;
  /**
   * Nothing has run since the last exit (or its answer, or the start): the journal is already at this point. An
   * exit waiting, a halt and the end all come with an exit, so this alone says whether an input can go in here.
   */
  private atExit = true;

  constructor(init: LiveInit, port: WorkerPort) {
    // Durability: nothing leaves this VM (an exit, a reply, a state, the end) before the journal holds everything up
    // to it, written to the file; nor does the worker yield between time slices with records still in memory. So a
    // SIGKILL of the server loses nothing a client saw, nor an answer or input the server acknowledged (by sending
    // anything after it). One write() per exit round trip: docs/journal.md, "Durability".
    this.port = {
      post: (event) => {
        this.session.flush();
        port.post(event);
      },
      defer: (fn) => {
        this.session.flush();
        port.defer(fn);
      },
    };
    this.sliceInsns = init.sliceInsns;
    this.recordPath = init.recordPath;
    const config = { ramSize: init.ramSize, bootargs: init.bootargs, initrd: init.initrd };
    this.machine = new Machine(init.image, config);
    const sink = init.recordPath === null
      ? null
      : new FileJournalWriter(init.recordPath, journalHeader(this.machine, init.image, init.imageName, config, init.digestEveryExits), { fsync: init.fsync });
    this.session = new VcpuSession(this.machine, sink, init.digestEveryExits);
    // A recorded VM keeps checkpoints of itself, so that travelling back in its history starts near the target.
    if (sink !== null) this.session.enableCheckpoints(init.checkpoints);
  }

  get state(): VmState {
    if (this.ended !== null) return 'ended';
    if (this.waiting !== null) return 'waiting';
    if (this.halted) return 'halted';
    if (this.mode === 'running') return 'running';
    return this.started ? 'paused' : 'created';
  }

  private get canRun(): boolean {
    return this.mode === 'running' && this.waiting === null && !this.halted && this.ended === null;
  }

  handle(message: VmCommand): void {
    const travelBefore = this.travel;
    switch (message.t) {
      case 'req': {
        const movesBefore = this.travelMoves;
        let reply: VmEvent;
        try {
          reply = { t: 'reply', rid: message.rid, result: this.request(message.body) };
        } catch (e) {
          const { code, text } = describe(e);
          reply = { t: 'error', rid: message.rid, code, message: text };
        }
        // Every client hears where the traveller went before the requester's reply.
        this.noteTravel(travelBefore, this.travelMoves !== movesBefore);
        this.port.post(reply);
        break;
      }
      case 'answer':
        this.answer(message.answer);
        break;
      case 'detach':
        // A controller that comes back finds the VM in its present.
        this.travel = null;
        this.noteTravel(travelBefore, false);
        this.mode = 'paused';
        this.stopAtExit();
        this.session.flush();
        this.postState();
        break;
      case 'observers':
        this.observers = message.count;
        break;
    }
    if (this.canRun) this.schedule();
  }

  private answer(answer: ExitAnswer): void {
    const fail = (code: ProtocolErrorCode, text: string) => this.port.post({ t: 'error', seq: answer.seq, code, message: text });
    if (this.ended !== null) return fail('VM_ENDED', 'the VM has ended');
    if (this.travel !== null) return fail('TRAVELLING', 'the VM shows its past: send present before answering');
    const w = this.waiting;
    if (w === null) return fail('NO_PENDING_EXIT', `answer for exit ${answer.seq}, but no exit is waiting`);
    if (answer.seq !== w.seq) return fail('WRONG_SEQ', `answer for exit ${answer.seq}, but exit ${w.seq} is waiting`);
    try {
      this.session.answer(answer);
    } catch (e) {
      // The vCPU's reason, without its internal code (the client's code is BAD_ANSWER).
      return fail('BAD_ANSWER', e instanceof SimError ? withoutCode(e) : e instanceof Error ? e.message : String(e));
    }
    this.waiting = null;
    this.port.post({ t: 'answered', frame: this.observers > 0 ? encodeMessage({ type: 'answer', answer }) : null, state: this.state });
    // The fast path of an exit-heavy guest: straight back into the guest, no trip through the event loop.
    if (this.canRun) this.pump();
    else this.postState();
  }

  private request(body: RequestBody | InternalRequest): unknown {
    if (body.op === 'status') return this.status();
    if (body.op === 'stats') return { icount: this.machine.hart.icount, exits: this.exits, rows: this.machine.vcpu.stats.rows() };
    if (this.travel !== null) return this.travelling(body);
    if (body.op === 'get-regs') return registersOf(this.machine);
    if (body.op === 'read-mem') return readRam(this.machine, body.addr, body.len);
    if (body.op === 'present') return this.status();
    if (body.op === 'checkpoints') throw new RequestError('NOT_TRAVELLING', 'the VM shows its present: checkpoints exist while travelling');
    // A finished run can still be looked back on.
    if (body.op === 'seek' || body.op === 'reverse-step' || body.op === 'reverse-continue' || body.op === 'timeline') {
      return this.enterTravel().request(body);
    }
    if (this.ended !== null) throw new RequestError('VM_ENDED', 'the VM has ended');
    switch (body.op) {
      // Forwards from the present is running: the next stop is the next breakpoint, watchpoint or end.
      case 'run': case 'continue':
        this.mode = 'running';
        if (this.singleStep) this.input({ kind: 'guest-debug', enabled: this.debugEnabled, singleStep: (this.singleStep = false) });
        this.postState();
        return this.status();
      case 'pause':
        this.mode = 'paused';
        this.stopAtExit();
        this.postState();
        return this.status();
      case 'step': return this.step();
      case 'stop':
        this.stopAtExit();
        this.end(body.reason, body.exitCode);
        return this.status();
      case 'guest-debug':
        this.debugEnabled = body.enabled;
        this.input({ kind: 'guest-debug', enabled: body.enabled, singleStep: this.singleStep });
        return true;
      case 'breakpoint': this.input({ kind: 'breakpoint', pc: body.pc, add: body.add }); return true;
      case 'watchpoint':
        this.input({ kind: 'watchpoint', addr: body.addr, len: body.len, read: body.read, write: body.write, add: body.add });
        return true;
      case 'set-reg': this.input({ kind: 'set-reg', reg: body.reg, value: body.value }); return true;
      case 'set-pc': this.input({ kind: 'set-pc', value: body.value }); return true;
      case 'set-freg':
        checkFpu(this.machine);
        this.input({ kind: 'set-freg', reg: body.reg, value: body.value });
        return true;
      case 'set-fcsr':
        checkFpu(this.machine);
        this.input({ kind: 'set-fcsr', value: body.value });
        return true;
      case 'write-mem':
        checkRam(this.machine, body.addr, body.data.length);
        this.input({ kind: 'write-mem', addr: body.addr, data: body.data });
        return true;
      case 'irq': this.input({ kind: 'irq', level: body.level }); return true;
    }
  }

  /**
   * Tells the clients the VM started showing its past (unless a move, which they heard of, opened it) or came back
   * to its present. Moves themselves are told as they happen (the TravelView's onMove).
   */
  private noteTravel(before: TravelView | null, moved: boolean): void {
    const now = this.travel;
    if (now === before) return;
    if (now === null) this.port.post({ t: 'travel', place: null });
    else if (!moved) this.port.post({ t: 'travel', place: now.tt.place() });
  }

  /** While travelling: travel requests move in the past, `present`/`run`/`stop` come back, the rest is refused. */
  private travelling(body: RequestBody): unknown {
    switch (body.op) {
      case 'present':
        this.travel = null;
        return this.status();
      case 'run': case 'stop':
        this.travel = null;
        return this.request(body);
      case 'pause': return this.status();
      default:
        if (TRAVEL_OPS.has(body.op)) return this.travel!.request(body);
        throw new RequestError('TRAVELLING', `${body.op} would change the run, and the VM shows its past: send present first`);
    }
  }

  /**
   * Opens the VM's past: stops it at a recorded point (as `pause` does: a running VM takes an immediate exit),
   * makes the journal durable and replays it into a traveller standing at the present.
   */
  private enterTravel(): TravelView {
    if (this.recordPath === null) throw new RequestError('NOT_SUPPORTED', 'an unrecorded VM has no history to travel in');
    const wasRunning = this.mode === 'running';
    this.mode = 'paused';
    if (this.ended === null) {
      this.stopAtExit();
      this.session.flush();
    }
    this.travel = openHistory(this.recordPath, this.machine, this.session.checkpoints, (r) => {
      this.travelMoves++;
      this.port.post({ t: 'travel', ...r });
    });
    if (wasRunning) this.postState();
    return this.travel;
  }

  /** One instruction with single-step on; the DEBUG exit (or whatever exit the instruction causes) is pushed. */
  private step(): unknown {
    if (this.waiting !== null) throw new RequestError('EXIT_PENDING', `exit ${this.waiting.seq} (${this.waiting.reason}) waits for its answer`);
    this.mode = 'paused';
    this.stopAtExit();
    // KVM single-steps only with guest debug enabled (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP).
    if (!this.singleStep) this.input({ kind: 'guest-debug', enabled: true, singleStep: (this.singleStep = true) });
    this.halted = false;
    this.started = true;
    const exit = this.session.run(this.sliceInsns);
    this.deliver(exit);
    return { ...this.status(), exit };
  }

  /** Applies an input where the journal can place it (see the file comment). */
  private input(input: JournalInput): void {
    this.stopAtExit();
    this.session.input(input);
    // Anything may wake a halted guest (an interrupt line, a new pc); if nothing did, it halts again at once.
    this.halted = false;
  }

  /** Between two slices of a running guest: take an immediate exit so that the guest stops at a recorded point. */
  private stopAtExit(): void {
    if (this.atExit) return;
    this.machine.vcpu.requestImmediateExit();
    this.deliver(this.session.run(0));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.port.defer(() => {
      this.scheduled = false;
      if (this.canRun) this.pump();
    });
  }

  private pump(): void {
    this.started = true;
    const icount = this.machine.hart.icount;
    const exit = this.session.resume(this.sliceInsns);
    if (this.machine.hart.icount !== icount) this.atExit = false;
    if (exit !== null) this.deliver(exit);
    if (this.canRun) this.schedule();
  }

  private deliver(exit: VcpuExit): void {
    this.exits++;
    this.atExit = true;
    const waits = needsAnswer(exit);
    if (waits) this.waiting = exit;
    this.port.post({
      t: 'exit', seq: exit.seq, reason: exit.reason, waiting: waits, icount: exit.icount, frame: encodeMessage({ type: 'exit', exit }),
    });
    switch (exit.reason) {
      case 'SYSTEM_EVENT':
        this.end(exit.type, exit.type === 'shutdown' && exit.data[1] !== 0n ? 1 : 0);
        break;
      case 'INTERNAL_ERROR':
        this.end('error', 1, `${exit.message} at pc 0x${exit.pc.toString(16)}`);
        break;
      case 'DEBUG':
        // All-stop, as gdb expects: a debug stop pauses the VM; the debugger's continue runs it again.
        this.mode = 'paused';
        break;
      case 'INTR':
        if (exit.cause === 'halt') {
          this.halted = true;
          this.postState();
        }
        break;
    }
  }

  private end(reason: string, exitCode: number, message?: string): void {
    if (this.ended !== null) return;
    const digest = this.session.close(reason) ?? undefined;
    this.ended = {
      reason, exitCode, icount: this.machine.hart.icount, exits: this.exits,
      ...(digest !== undefined ? { digest } : {}), ...(message !== undefined ? { message } : {}),
    };
    this.waiting = null;
    this.port.post({ t: 'ended', end: this.ended });
  }

  /** The VM's own figures; while travelling, `travel` says where in its past the traveller stands. */
  status(): { state: VmState; icount: number; exits: number; waitingSeq?: number; waiting?: VcpuExit; end?: VmEnd; travel?: Place } {
    return {
      state: this.state, icount: this.machine.hart.icount, exits: this.exits,
      ...(this.waiting !== null ? { waitingSeq: this.waiting.seq, waiting: this.waiting } : {}),
      ...(this.ended !== null ? { end: this.ended } : {}),
      ...(this.travel !== null ? { travel: this.travel.tt.place() } : {}),
    };
  }

  private postState(): void {
    this.port.post({ t: 'state', state: this.state, icount: this.machine.hart.icount, exits: this.exits });
  }

  /** The process is going away: whatever was recorded must survive. */
  flush(): void {
    this.session.flush();
  }
}

function describe(e: unknown): { code: ProtocolErrorCode; text: string } {
  if (e instanceof RequestError) return { code: e.code, text: e.message };
  if (e instanceof SimError) return { code: 'BAD_REQUEST', text: e.message };
  return { code: 'INTERNAL', text: e instanceof Error ? e.message : String(e) };
}
