/**
 * A remote VMM: the controller of a VM on a hindsight server. It answers the VM's exits with device models (the
 * built-in UART 16550, PLIC, test finisher, SBI console and `seed`, plus any the user maps), with handlers per exit
 * kind, and offers the debugger verbs: breakpoints, watchpoints, stops, step, continue, registers, memory; and the
 * time-travel verbs: seek, reverseStep, reverseContinue, timeline and checkpoints look into the VM's past (the VM
 * pauses and shows it), `history` steps and continues there, and present() comes back to where the run goes on.
 */
import type { DebugExit, ExitAnswer, ExitReason, MmioExit, SbiExit, VcpuExit } from '../../sim/index.js';
import { BuiltinDevices, Entropy } from '../builtin-devices.js';
import type { MmioDevice } from '../devices/bus.js';
import { SBI_EXT_DBCN, SbiConsole } from '../devices/sbi-console.js';
import type { CheckpointStats, Registers, TimelineEntry, TimelineQuery, TravelReply, VmEnd, VmState } from '../protocol.js';
import { ProtocolError, type VmLink } from './connection.js';
import { Traveller, type SeekTarget } from './travel.js';

type ExitOf<R extends ExitReason> = Extract<VcpuExit, { reason: R }>;
/** A handler for one exit kind: an answer, or undefined to leave the exit to the built-in models. */
export type ExitHandler<R extends ExitReason> = (exit: ExitOf<R>) => ExitAnswer | undefined | Promise<ExitAnswer | undefined>;

export interface RemoteVmmOptions {
  /** Console bytes (UART and SBI console). */
  onConsole?: (bytes: Uint8Array) => void;
  /** Console input, available to the UART and the SBI console from the start. */
  input?: Uint8Array;
  /** Seed of the deterministic entropy behind `seed` CSR answers. */
  entropySeed?: bigint;
  /** Hold DEBUG exits for the debugger verbs instead of answering them (inject ebreaks, resume the rest). */
  debugger?: boolean;
  /** Every exit, with the answer it was given (undefined when none, or when a debugger holds it). */
  onExit?: (exit: VcpuExit, answer: ExitAnswer | undefined) => void;
}

export class RemoteVmm {
  readonly conn: VmLink;
  readonly devices: BuiltinDevices;
  /**
   * The travel verbs on this channel, for moving inside the past once a travel verb below has opened it: its
   * step() and continue() go forwards in the history, its breakpoints are the traveller's.
   */
  readonly history: Traveller;
  /** Exits this controller received. */
  exitsSeen = 0;
  readonly ended: Promise<VmEnd>;
  private readonly options: RemoteVmmOptions;
  private readonly sbiConsole: SbiConsole;
  private readonly entropy: Entropy;
  private readonly handlers = new Map<ExitReason, ExitHandler<ExitReason>>();
  private readonly transcript: Uint8Array[] = [];
  /** The handling of an exit that waits for something, with the exits queued behind it; null when none waits. */
  private busy: Promise<void> | null = null;
  private pendingStop: DebugExit | null = null;
  private stopWaiters: { resolve: (e: DebugExit) => void; reject: (e: Error) => void }[] = [];
  private end: VmEnd | null = null;
  /** DBCN bytes fetched for the SBI call being answered (the console reads guest memory through requests). */
  private prefetched: { addr: number; bytes: Uint8Array } | null = null;

  constructor(conn: VmLink, options: RemoteVmmOptions = {}) {
    this.conn = conn;
    this.history = new Traveller(conn);
    this.options = options;
    this.devices = new BuiltinDevices({
      output: (bytes) => this.output(bytes),
      // Sent at once and in order: the server applies it before the answer that follows it on the channel.
      setExternalInterrupt: (level) => void this.conn.request({ op: 'irq', level }).catch(() => {}),
    });
    this.sbiConsole = new SbiConsole(
      { write: (bytes) => this.output(bytes), readByte: () => this.devices.uart.takeByte() },
      {
        readPhys: (addr, len) => (this.prefetched !== null && this.prefetched.addr === addr && this.prefetched.bytes.length === len ? this.prefetched.bytes : null),
        writePhys: (addr, data) => {
          void this.conn.request({ op: 'write-mem', addr, data }).catch(() => {});
          return true;
        },
      },
    );
    this.entropy = new Entropy(options.entropySeed);
    if (options.input) this.devices.uart.receive(options.input);
    this.ended = new Promise((resolve) => {
      conn.on('ended', (end) => {
        this.end = end;
        for (const w of this.stopWaiters.splice(0)) w.reject(new ProtocolError('VM_ENDED', `the VM ended (${end.reason})`));
        resolve(end);
      });
    });
    conn.on('exit', (exit) => this.enqueue(exit));
    if (conn.welcome.waiting !== undefined) this.enqueue(conn.welcome.waiting);
  }

  /** Handles exits of one kind before the built-in models do. */
  on<R extends ExitReason>(reason: R, handler: ExitHandler<R>): this {
    this.handlers.set(reason, handler as unknown as ExitHandler<ExitReason>);
    return this;
  }

  /** Maps a device model of the user's at [base, base+size). */
  map(base: number, size: number, device: MmioDevice): this {
    this.devices.map(base, size, device);
    return this;
  }

  /** Console output so far. */
  get console(): string {
    return Buffer.concat(this.transcript).toString('latin1');
  }

  private output(bytes: Uint8Array): void {
    this.transcript.push(bytes);
    this.options.onConsole?.(bytes);
  }

  private enqueue(exit: VcpuExit): void {
    this.exitsSeen++;
    // Exits are answered in order: at once, unless an earlier one's handling still waits for something.
    let waits: Promise<void> | undefined;
    if (this.busy !== null) {
      waits = this.busy.then(() => this.handle(exit));
    } else {
      try {
        waits = this.handle(exit);
      } catch {
        // A handler that throws leaves its exit unanswered, as one whose promise rejects does.
      }
    }
    if (waits === undefined) return;
    const tracked: Promise<void> = waits.catch(() => {}).then(() => {
      if (this.busy === tracked) this.busy = null;
    });
    this.busy = tracked;
  }

  /** Handles an exit; returns a promise only when that has to wait (a handler's promise, a memory read, a stop). */
  private handle(exit: VcpuExit): Promise<void> | undefined {
    const custom = this.handlers.get(exit.reason);
    const answer = custom === undefined ? undefined : custom(exit);
    if (answer instanceof Promise) return answer.then((a) => this.answerWith(exit, a));
    return this.answerWith(exit, answer);
  }

  /** Sends the handler's answer or, if it left the exit alone, the built-in models'. */
  private answerWith(exit: VcpuExit, answer: ExitAnswer | undefined): Promise<void> | undefined {
    if (answer === undefined) {
      switch (exit.reason) {
        case 'MMIO': {
          answer = this.devices.mmio(exit as MmioExit);
          const done = this.devices.finished();
          if (done !== null) {
            // The guest told the finisher to end: the run ends here, at this exit, without going further.
            this.options.onExit?.(exit, undefined);
            return this.conn.request({ op: 'stop', reason: done.stop, exitCode: done.exitCode }).then(() => {}, () => {});
          }
          break;
        }
        case 'RISCV_SBI': {
          const sbi = this.sbi(exit as SbiExit);
          if (sbi instanceof Promise) return sbi.then((a) => this.send(exit, a));
          answer = sbi;
          break;
        }
        case 'RISCV_CSR': answer = { seq: exit.seq, reason: 'RISCV_CSR', retValue: this.entropy.next() }; break;
        case 'DEBUG':
          if (this.options.debugger) {
            this.pendingStop = exit as DebugExit;
            for (const w of this.stopWaiters.splice(0)) w.resolve(exit as DebugExit);
            this.options.onExit?.(exit, undefined);
            return undefined;
          }
          // A debug stop pauses the VM (all-stop); with no debugger here, answer it and carry on.
          void this.conn.request({ op: 'run' }).catch(() => {});
          answer = { seq: exit.seq, reason: 'DEBUG', action: (exit as DebugExit).why === 'breakpoint-instruction' ? 'inject' : 'resume' };
          break;
        default: break;
      }
    }
    this.send(exit, answer);
    return undefined;
  }

  private send(exit: VcpuExit, answer: ExitAnswer | undefined): void {
    if (answer !== undefined) this.conn.answer(answer);
    this.options.onExit?.(exit, answer);
  }

  /** The SBI console's answer; a DBCN write first fetches the bytes it prints, so only then is it a promise. */
  private sbi(exit: SbiExit): ExitAnswer | Promise<ExitAnswer> {
    if (!this.sbiConsole.handles(exit.extensionId)) return { seq: exit.seq, reason: 'RISCV_SBI', ret: [-2n, 0n] };
    this.prefetched = null;
    const answer = (): ExitAnswer => ({ seq: exit.seq, reason: 'RISCV_SBI', ret: this.sbiConsole.call(exit.extensionId, exit.functionId, exit.args) });
    if (exit.extensionId === SBI_EXT_DBCN && exit.functionId === 0) {
      const len = Number(BigInt.asUintN(64, exit.args[0] ?? 0n));
      const addr = BigInt.asUintN(64, (exit.args[1] ?? 0n) + ((exit.args[2] ?? 0n) << 32n));
      if (len <= 1 << 20 && addr <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return this.readMemory(Number(addr), len).catch(() => null).then((bytes) => {
          if (bytes !== null) this.prefetched = { addr: Number(addr), bytes };
          return answer();
        });
      }
    }
    return answer();
  }

  run(): Promise<unknown> {
    return this.conn.request({ op: 'run' });
  }

  pause(): Promise<unknown> {
    return this.conn.request({ op: 'pause' });
  }

  // --- the debugger's verbs ---

  async setGuestDebug(enabled: boolean): Promise<void> {
    await this.conn.request({ op: 'guest-debug', enabled });
  }

  async breakpoint(pc: bigint, add = true): Promise<void> {
    await this.conn.request({ op: 'breakpoint', pc, add });
  }

  async watchpoint(addr: bigint, len: number, kind: { read?: boolean; write?: boolean }, add = true): Promise<void> {
    await this.conn.request({ op: 'watchpoint', addr, len, read: kind.read ?? false, write: kind.write ?? true, add });
  }

  /** The DEBUG exit the VM is stopped at, or the next one. */
  waitForStop(): Promise<DebugExit> {
    if (this.pendingStop !== null) return Promise.resolve(this.pendingStop);
    if (this.end !== null) return Promise.reject(new ProtocolError('VM_ENDED', `the VM ended (${this.end.reason})`));
    return new Promise((resolve, reject) => this.stopWaiters.push({ resolve, reject }));
  }

  /** The stop the VM is held at, if any. */
  get stoppedAt(): DebugExit | null {
    return this.pendingStop;
  }

  private release(): void {
    const stop = this.pendingStop;
    if (stop === null) return;
    this.pendingStop = null;
    this.conn.answer({ seq: stop.seq, reason: 'DEBUG', action: 'resume' });
  }

  /** Executes one instruction and returns the exit it stopped with (a single-step DEBUG exit, or the exit the
   * instruction caused, which the device models have answered by the time this resolves). */
  async step(): Promise<VcpuExit> {
    this.release();
    const r = await this.conn.request<{ exit: VcpuExit }>({ op: 'step' });
    await this.busy;
    return r.exit;
  }

  /** Leaves the current stop and lets the guest run. */
  async continue(): Promise<void> {
    await this.conn.request({ op: 'run' });
    this.release();
  }

  registers(): Promise<Registers> {
    return this.conn.request<Registers>({ op: 'get-regs' });
  }

  async setRegister(reg: number, value: bigint): Promise<void> {
    await this.conn.request(reg === 32 ? { op: 'set-pc', value } : { op: 'set-reg', reg, value });
  }

  readMemory(addr: number, len: number): Promise<Uint8Array> {
    return this.conn.request<Uint8Array>({ op: 'read-mem', addr, len });
  }

  async writeMemory(addr: number, data: Uint8Array): Promise<void> {
    await this.conn.request({ op: 'write-mem', addr, data });
  }

  // --- time travel: the VM's own past (a recorded VM only) ---

  /** Pauses the VM and shows its past at `target`: an exit (before its answer) or an instruction count. */
  seek(target: SeekTarget): Promise<TravelReply> {
    return this.history.seek(target);
  }

  /** One instruction back (from the present, the first call opens the past). */
  reverseStep(): Promise<TravelReply> {
    return this.history.reverseStep();
  }

  /** Back to the previous hit of the breakpoints and watchpoints set (the live ones carry over into the past). */
  reverseContinue(): Promise<TravelReply> {
    return this.history.reverseContinue();
  }

  timeline(filter: TimelineQuery = {}): Promise<TimelineEntry[]> {
    return this.history.timeline(filter);
  }

  checkpoints(): Promise<CheckpointStats> {
    return this.history.checkpoints();
  }

  /** Back from the past to the live VM, exactly where it was; it stays paused until run() or continue(). */
  present(): Promise<{ state: VmState; icount: number; exits: number; waitingSeq?: number }> {
    return this.conn.request({ op: 'present' });
  }
}
