// Modules, not the sim barrel: the CLI's start-up loads only what a local run needs.
import { needsAnswer } from '../sim/kvm/exits.js';
import * as layout from '../sim/layout.js';
import { Machine, type MachineConfig } from '../sim/machine.js';
import { DEFAULT_DIGEST_EVERY_EXITS, journalHeader, VcpuSession } from '../sim/journal/session.js';
import type { ExitAnswer, JournalHeader, RecordSink, StatRow, VcpuExit } from '../sim/index.js';
import { BuiltinDevices, Entropy } from './builtin-devices.js';
import type { MmioBus } from './devices/bus.js';
import type { Plic } from './devices/plic.js';
import { ConsoleIo, SbiConsole } from './devices/sbi-console.js';
import type { PatternTestDevice } from './devices/test-device.js';
import type { TestFinisher } from './devices/test-finisher.js';
import type { Uart16550 } from './devices/uart16550.js';

export interface VmmOptions extends MachineConfig {
  /** Stop after this many guest instructions (default: no limit). */
  maxInsns?: number;
  /** Where console bytes (UART and SBI console) go besides the returned transcript. */
  onConsole?: (bytes: Uint8Array) => void;
  /** Console input, available to the UART and the SBI console from the start. */
  input?: Uint8Array;
  /** Called for every exit once it has been answered. */
  onExit?: (exit: VcpuExit, answer: ExitAnswer | undefined) => void;
  /** Called for every exit before it is answered, with the machine as userspace sees it there (exit logs with registers). */
  beforeAnswer?: (exit: VcpuExit, machine: Machine) => void;
  /** Guest debug on: breakpoint instructions exit (DEBUG); the built-in userspace injects them back to the guest. */
  guestDebug?: boolean;
  /** Answers for DEBUG exits when no debugger is attached (default: inject breakpoint instructions, resume others). */
  onDebug?: (exit: Extract<VcpuExit, { reason: 'DEBUG' }>) => 'resume' | 'stay' | 'inject';
  /** Seed of the deterministic entropy behind the `seed` CSR (RISCV_CSR exits). */
  entropySeed?: bigint;
  /** Record the run: called once with the journal header, returns where the records go. */
  recordTo?: (header: JournalHeader) => RecordSink;
  /** The image's name in the journal header (default: "guest.elf"). */
  imageName?: string;
  /** A state digest record every this many exits (default 10,000). */
  digestEveryExits?: number;
}

/** How a run ended: the guest's own ways, the instruction limit, or the host's (`quit`: Ctrl-A x; `interrupted`: a signal). */
export type StopKind = 'finisher' | 'shutdown' | 'reset' | 'max-insns' | 'halt' | 'error' | 'quit' | 'interrupted';

/**
 * The host side of a live run (runLive): when console input arrives, when the user wants to stop, and how wall time
 * passes. The host decides when; the journal records where: every byte goes in as an input at an exact instruction
 * count, so a replay needs none of this.
 */
export interface RunHost {
  /** Console bytes that arrived since the last call, or null. */
  takeInput(): Uint8Array | null;
  /** Whether more input may still arrive (false once it has ended). */
  readonly inputOpen: boolean;
  /** A stop the user asked for (an escape key, a signal), or null. */
  stopRequest(): RunEnd | null;
  /** Resolves when input arrives, the input ends or a stop is asked for, or after `ms` (0: just yield; Infinity: no timeout). */
  wait(ms: number): Promise<void>;
  /**
   * Wall-clock milliseconds. Given, the run keeps the guest's virtual clock from running ahead of the wall clock
   * while it idles (WFI), sleeping instead, as QEMU's `-icount sleep=on` does; absent, idle time passes at once.
   */
  now?(): number;
  /** Told between slices (a progress line). */
  onSlice?(progress: { icount: number; exits: number }): void;
}

/** Guest instructions between two looks at the host (about 10 ms of a busy guest). */
export const LIVE_SLICE_INSNS = 2_000_000;
/** A WFI traps to the hypervisor as a virtual instruction (scause 22) with its encoding in htinst. */
const CAUSE_VIRTUAL_INSTRUCTION = 22, INSN_WFI = 0x10500073;
/** ... or this many exits. */
const LIVE_SLICE_EXITS = 20_000;
/**
 * ... or this much host time (checked every 256 exits): the journal is handed to the OS at every slice's end, so a
 * recording killed at any moment loses at most about this long of its run (docs/journal.md, "Durability").
 */
const LIVE_SLICE_MS = 100;

export interface RunEnd {
  stop: StopKind;
  exitCode: number;
  message?: string;
}

export interface RunResult {
  console: string;
  /** 0 for a pass or a clean shutdown; the finisher's fail code; 1 for an SRST failure reason, a halt or an error. */
  exitCode: number;
  icount: number;
  stop: StopKind;
  message?: string;
  exits: number;
  stats: StatRow[];
  /** The final state digest, when the run was recorded. */
  digest?: string;
}

/**
 * The built-in userspace (the embedded default of `hindsight run`): a VMM in-process with the same device models a
 * remote client uses: UART 16550 on the PLIC, the sifive,test finisher, the SBI console, and a pattern device for
 * MMIO tests. It answers every exit the vCPU returns.
 */
export class LocalVmm {
  readonly machine: Machine;
  /** Every exit, answer and input goes through the session (and into the journal when recording). */
  readonly session: VcpuSession;
  /** The built-in device models (shared with the remote controller, RemoteVmm). */
  readonly devices: BuiltinDevices;
  readonly bus: MmioBus;
  readonly uart: Uart16550;
  readonly plic: Plic;
  readonly finisher: TestFinisher;
  readonly testDevice: PatternTestDevice;
  private readonly sbiConsole: SbiConsole;
  private readonly options: VmmOptions;
  private readonly transcript: Uint8Array[] = [];
  private readonly entropy: Entropy;
  private exits = 0;
  /** Whether the vCPU stands at its last exit (nothing ran since): an input placed now replays at that exit. */
  private atExit = true;

  constructor(image: Uint8Array, options: VmmOptions = {}) {
    this.options = options;
    this.machine = new Machine(image, options);
    const digestEvery = options.digestEveryExits ?? DEFAULT_DIGEST_EVERY_EXITS;
    const sink = options.recordTo?.(journalHeader(this.machine, image, options.imageName ?? 'guest.elf', options, digestEvery));
    this.session = new VcpuSession(this.machine, sink ?? null, digestEvery);
    const session = this.session;
    const { ram } = this.machine;
    const io: ConsoleIo = {
      write: (bytes) => this.output(bytes),
      readByte: () => this.uart.takeByte(),
    };
    this.devices = new BuiltinDevices({
      output: (bytes) => this.output(bytes),
      setExternalInterrupt: (level) => session.input({ kind: 'irq', level }),
    });
    ({ bus: this.bus, uart: this.uart, plic: this.plic, finisher: this.finisher, testDevice: this.testDevice } = this.devices);
    this.sbiConsole = new SbiConsole(io, {
      readPhys: (addr, len) => (ram.contains(addr, len) ? ram.read(addr, len) : null),
      writePhys: (addr, data) => {
        if (data.length === 0) return ram.contains(addr);
        if (!ram.contains(addr, data.length)) return false;
        // Userspace writing guest memory is an input the journal must hold.
        session.input({ kind: 'write-mem', addr, data: Uint8Array.from(data) });
        return true;
      },
    });
    if (options.input) this.uart.receive(options.input);
    if (options.guestDebug) session.input({ kind: 'guest-debug', enabled: true, singleStep: false });
    this.entropy = new Entropy(options.entropySeed);
  }

  private output(bytes: Uint8Array): void {
    this.transcript.push(bytes);
    this.options.onConsole?.(bytes);
  }

  /**
   * Answers one exit the way the built-in userspace does; returns how the run ends if it does. Exposed so that a
   * driver (a test, a debugger) can run the vCPU itself and hand over the exits it does not handle.
   */
  answerExit(exit: VcpuExit): RunEnd | null {
    this.options.beforeAnswer?.(exit, this.machine);
    let answer: ExitAnswer | undefined;
    let end: RunEnd | null = null;
    switch (exit.reason) {
      case 'MMIO': {
        answer = this.devices.mmio(exit);
        end = this.devices.finished();
        break;
      }
      case 'RISCV_SBI':
        answer = {
          seq: exit.seq, reason: 'RISCV_SBI',
          ret: this.sbiConsole.handles(exit.extensionId) ? this.sbiConsole.call(exit.extensionId, exit.functionId, exit.args) : [-2n, 0n],
        };
        break;
      case 'RISCV_CSR':
        answer = { seq: exit.seq, reason: 'RISCV_CSR', retValue: this.entropy.next() };
        break;
      case 'DEBUG': {
        const action = this.options.onDebug?.(exit) ?? (exit.why === 'breakpoint-instruction' ? 'inject' : 'resume');
        answer = { seq: exit.seq, reason: 'DEBUG', action };
        break;
      }
      case 'SYSTEM_EVENT':
        // SRST reason 0 = no reason, 1 = system failure.
        end = exit.type === 'reset' ? { stop: 'reset', exitCode: 0 } : { stop: 'shutdown', exitCode: exit.data[1] === 0n ? 0 : 1 };
        break;
      case 'INTR':
        if (exit.cause === 'halt') end = { stop: 'halt', exitCode: 1, message: 'the guest waits for an interrupt that nothing will raise' };
        break;
      case 'INTERNAL_ERROR':
        end = { stop: 'error', exitCode: 1, message: `${exit.message} at pc 0x${exit.pc.toString(16)}` };
        break;
    }
    if (answer !== undefined && needsAnswer(exit)) this.session.answer(answer);
    this.options.onExit?.(exit, answer);
    return end;
  }

  run(): RunResult {
    const h = this.machine.hart;
    const limit = this.options.maxInsns ?? Infinity;
    for (;;) {
      const budget = Math.min(limit - h.icount, 1_000_000_000);
      if (budget <= 0) return this.result('max-insns', 1, `stopped after ${h.icount} instructions`);
      const exit = this.session.run(budget);
      this.exits++;
      const end = this.answerExit(exit);
      if (end !== null) return this.result(end.stop, end.exitCode, end.message);
    }
  }

  /**
   * Runs in slices of `sliceInsns`, yielding to the event loop between them, and takes the host's console input
   * only at recorded points (an immediate exit first when the guest is between exits). A guest halted in WFI with
   * nothing to wake it waits for input while more may come, instead of ending the run.
   */
  async runLive(host: RunHost, sliceInsns = LIVE_SLICE_INSNS): Promise<RunResult> {
    const h = this.machine.hart;
    const limit = this.options.maxInsns ?? Infinity;
    const now = host.now?.bind(host);
    /** The wall-clock time at which the guest's virtual clock read 0 (moved on while the guest runs behind). */
    let origin = now?.() ?? 0;
    const ahead = (): number => (h.time / layout.TIMEBASE_FREQUENCY) * 1000 - (now!() - origin);
    const stopIdling = now === undefined ? null : this.exitAfterWfi();
    let sliceStart = h.icount, sliceExits = this.exits, sliceStartedAt = performance.now();
    try {
      for (;;) {
        const stop = host.stopRequest();
        if (stop !== null) {
          this.stopAtExit();
          return this.result(stop.stop, stop.exitCode, stop.message);
        }
        const bytes = host.takeInput();
        const delivered = bytes !== null && bytes.length > 0;
        if (delivered) this.consoleInput(bytes);
        if (h.icount >= limit) {
          this.stopAtExit();
          return this.result('max-insns', 1, `stopped after ${h.icount} instructions`);
        }
        // Idle time the guest skipped over puts its clock ahead of the wall clock: wait it out (input cuts it short,
        // and the guest then runs to take it). A guest behind the wall clock (busy) owes nothing.
        if (now !== undefined && !delivered) {
          const lead = ahead();
          if (lead < 0) origin -= lead;
          else if (lead > 1) {
            this.session.flush();
            await host.wait(Math.min(lead, 100));
            continue;
          }
        }
        const sliceLeft = sliceInsns - (h.icount - sliceStart);
        // A slice ends after its instructions, or after as many exits as a busy console makes in about as long, or
        // after LIVE_SLICE_MS of host time; its records are then written (handed to the OS) before the host's turn.
        if (sliceLeft <= 0 || this.exits - sliceExits >= LIVE_SLICE_EXITS
          || ((this.exits & 255) === 0 && performance.now() - sliceStartedAt >= LIVE_SLICE_MS)) {
          sliceStart = h.icount;
          sliceExits = this.exits;
          this.session.flush();
          host.onSlice?.({ icount: h.icount, exits: this.exits });
          await host.wait(0);
          sliceStartedAt = performance.now();
          continue;
        }
        const before = h.icount;
        const exit = this.session.resume(Math.min(limit - h.icount, sliceLeft));
        if (h.icount !== before) this.atExit = false;
        if (exit === null) continue;
        this.exits++;
        this.atExit = true;
        const end = this.answerExit(exit);
        if (end === null) continue;
        if (end.stop === 'halt' && host.inputOpen) {
          this.session.flush();
          await host.wait(Infinity);
          continue;
        }
        return this.result(end.stop, end.exitCode, end.message);
      }
    } finally {
      stopIdling?.();
    }
  }

  /**
   * Makes the vCPU stop (an immediate exit, recorded) right after each WFI, so that a paced run can wait out the
   * idle time the vCPU skipped before the guest goes on. Returns the undo.
   */
  private exitAfterWfi(): () => void {
    const vcpu = this.machine.vcpu, previous = vcpu.trace;
    vcpu.trace = {
      kvmEntry: previous?.kvmEntry?.bind(previous),
      kvmExit: (trap, icount) => {
        previous?.kvmExit?.(trap, icount);
        if (trap.scause === CAUSE_VIRTUAL_INSTRUCTION && trap.htinst === INSN_WFI) vcpu.requestImmediateExit();
      },
    };
    return () => { vcpu.trace = previous; };
  }

  /** Host console bytes to the UART (and the SBI console), recorded where they arrive. */
  private consoleInput(bytes: Uint8Array): void {
    this.stopAtExit();
    // One record per 64 KiB (a file piped in arrives in one go; the journal holds inputs of at most 1 MiB).
    for (let at = 0; at < bytes.length; at += 0x10000) {
      this.session.input({ kind: 'console', data: bytes.slice(at, at + 0x10000) });
    }
    this.uart.receive(bytes);
  }

  /** Between two exits: take an immediate exit (recorded), so that what the host does next has a place in the journal. */
  private stopAtExit(): void {
    if (this.atExit) return;
    this.machine.vcpu.requestImmediateExit();
    const exit = this.session.run(0);
    this.exits++;
    this.atExit = true;
    this.answerExit(exit);
  }

  /** The result of a run that ended (for drivers that run the vCPU themselves); closes the journal. */
  result(stop: StopKind, exitCode: number, message?: string): RunResult {
    const digest = this.session.close(stop) ?? undefined;
    return {
      console: Buffer.concat(this.transcript).toString('latin1'), exitCode, icount: this.machine.hart.icount, stop, message,
      exits: this.exits, stats: this.machine.vcpu.stats.rows(), ...(digest !== undefined ? { digest } : {}),
    };
  }
}

/** Runs an ELF to completion with the built-in userspace. */
export function runElf(image: Uint8Array, options: VmmOptions = {}): RunResult {
  return new LocalVmm(image, options).run();
}
