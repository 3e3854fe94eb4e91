import { DEFAULT_DIGEST_EVERY_EXITS, Machine, MachineConfig, journalHeader, needsAnswer, VcpuSession } from '../sim/index.js';
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

export type StopKind = 'finisher' | 'shutdown' | 'reset' | 'max-insns' | 'halt' | 'error';

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
