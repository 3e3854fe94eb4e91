import { createHash } from 'node:crypto';
import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import { GUEST_ISA, Machine, MachineConfig } from '../machine.js';
import { DEFAULT_RAM_SIZE } from '../layout.js';
import { StateDigester } from '../state-digest.js';
import { JournalHeader, JournalInput } from './format.js';
import { RecordSink } from './writer.js';

export const DEFAULT_DIGEST_EVERY_EXITS = 10_000;
const TOOL = 'hindsight 0.1';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The header that describes a machine built from this image and configuration. */
export function journalHeader(machine: Machine, image: Uint8Array, imageName: string, config: MachineConfig, digestEveryExits = DEFAULT_DIGEST_EVERY_EXITS): JournalHeader {
  return {
    tool: TOOL,
    machine: {
      ramSize: config.ramSize ?? DEFAULT_RAM_SIZE, isa: GUEST_ISA, mmuType: config.mmuType ?? 'riscv,sv48',
      ...(config.bootargs !== undefined ? { bootargs: config.bootargs } : {}),
    },
    images: [{ role: 'kernel', name: imageName, sha256: sha256(image), bytes: image }],
    dtbSha256: sha256(machine.dtb),
    digestEveryExits,
  };
}

/** Applies one userspace input to the machine (the same code when recording and when replaying). */
export function applyInput(machine: Machine, input: JournalInput): void {
  const { hart, vcpu } = machine;
  switch (input.kind) {
    case 'irq': vcpu.setExternalInterrupt(input.level); break;
    case 'guest-debug': vcpu.setGuestDebug(input.enabled, input.singleStep); break;
    case 'breakpoint': if (input.add) hart.addBreakpoint(input.pc); else hart.removeBreakpoint(input.pc); break;
    case 'watchpoint':
      if (input.add) hart.addWatchpoint(input.addr, input.len, { read: input.read, write: input.write });
      else hart.removeWatchpoint(input.addr, input.len);
      break;
    case 'set-reg': hart.setReg(input.reg, BigInt.asUintN(64, input.value)); break;
    case 'set-pc': hart.pc = BigInt.asUintN(64, input.value); break;
    case 'write-mem': machine.writePhys(input.addr, input.data); break;
    case 'immediate-exit': vcpu.requestImmediateExit(); break;
  }
}

/**
 * The vCPU as userspace sees it when a run is recorded: every exit, every answer and every input goes through
 * here and into the journal, in the order they happen, with periodic state digests. With no sink it records
 * nothing, so the same code path serves plain runs.
 */
export class VcpuSession {
  readonly machine: Machine;
  private readonly sink: RecordSink | null;
  private readonly digester: StateDigester | null;
  private readonly digestEvery: number;
  /** Exits until the next state digest. */
  private untilDigest: number;
  private exits = 0;
  private ended = false;

  constructor(machine: Machine, sink: RecordSink | null, digestEveryExits = DEFAULT_DIGEST_EVERY_EXITS) {
    this.machine = machine;
    this.sink = sink;
    this.digester = sink === null ? null : new StateDigester(machine);
    // 0 (or nonsense) means no periodic digests, as `exits % 0` never matched.
    this.digestEvery = digestEveryExits > 0 ? digestEveryExits : Infinity;
    this.untilDigest = this.digestEvery;
  }

  run(budget?: number): VcpuExit {
    const exit = this.machine.vcpu.run(budget);
    this.exits++;
    if (this.sink !== null) this.recordExit(exit);
    return exit;
  }

  /**
   * Like run(), as vcpu.resume(): a spent budget returns null and leaves no trace in the journal (a service slicing
   * guest time); an exit is recorded as run() records it.
   */
  resume(budget: number): VcpuExit | null {
    const exit = this.machine.vcpu.resume(budget);
    if (exit === null) return null;
    this.exits++;
    if (this.sink !== null) this.recordExit(exit);
    return exit;
  }

  private recordExit(exit: VcpuExit): void {
    const sink = this.sink!;
    if (sink.appendExit !== undefined) sink.appendExit(exit, this.machine.vcpu.exitWordsOf(exit));
    else sink.append({ t: 'exit', exit });
    if (--this.untilDigest <= 0) {
      this.untilDigest = this.digestEvery;
      sink.append({ t: 'digest', seq: exit.seq, icount: exit.icount, digest: this.digester!.digest() });
    }
  }

  answer(answer: ExitAnswer): void {
    this.machine.vcpu.answer(answer);
    const sink = this.sink;
    if (sink === null) return;
    if (sink.appendAnswer !== undefined) sink.appendAnswer(answer);
    else sink.append({ t: 'answer', answer });
  }

  input(input: JournalInput): void {
    applyInput(this.machine, input);
    this.sink?.append({ t: 'input', icount: this.machine.hart.icount, input });
  }

  /** Ends the recording with the final state digest; returns it (or null when not recording). */
  close(reason: string): string | null {
    if (this.sink === null || this.ended) return null;
    this.ended = true;
    const digest = this.digester!.digest();
    this.sink.append({ t: 'end', icount: this.machine.hart.icount, exits: this.exits, digest, reason });
    this.sink.close();
    return digest;
  }

  /** Makes what was recorded so far durable (a client dropped; the process may be about to end). */
  flush(): void {
    this.sink?.flush();
  }
}
