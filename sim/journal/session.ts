import { createHash } from 'node:crypto';
import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import { GUEST_ISA, Machine, MachineConfig } from '../machine.js';
import { DEFAULT_RAM_SIZE } from '../layout.js';
import { StateDigester } from '../state-digest.js';
import { JournalHeader, JournalInput } from './format.js';
import { RecordSink } from './writer.js';
import { SimError } from '../errors.js';
import type { ReplayPosition } from './replay.js';
import { CheckpointList, type CheckpointOptions } from '../timetravel/checkpoints.js';
import { DEFAULT_BUDGET_BYTES, DEFAULT_INTERVAL_EXITS, DEFAULT_INTERVAL_INSNS } from '../timetravel/defaults.js';

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
      ramSize: config.ramSize ?? DEFAULT_RAM_SIZE, isa: config.isa ?? GUEST_ISA, mmuType: config.mmuType ?? 'riscv,sv48',
      ...(config.bootargs !== undefined ? { bootargs: config.bootargs } : {}),
    },
    images: [
      { role: 'kernel', name: imageName, sha256: sha256(image), bytes: image },
      ...(config.initrd !== undefined ? [{ role: 'initrd' as const, name: 'initrd', sha256: sha256(config.initrd), bytes: config.initrd }] : []),
    ],
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
    // As KVM_SET_ONE_REG does: the register changes, sstatus.FS stays what the guest made it.
    case 'set-freg': hart.setFreg(input.reg, input.value); break;
    case 'set-fcsr': hart.csr.fcsr = input.value; break;
    case 'write-mem': machine.writePhys(input.addr, input.data); break;
    case 'immediate-exit': vcpu.requestImmediateExit(); break;
    case 'console': break;
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
  /** Records appended so far, and how many of them are exits: where a replay of the journal would stand. */
  private records = 0;
  private exitRecords = 0;
  private checkpointList: CheckpointList | null = null;

  constructor(machine: Machine, sink: RecordSink | null, digestEveryExits = DEFAULT_DIGEST_EVERY_EXITS) {
    this.machine = machine;
    this.sink = sink;
    this.digester = sink === null ? null : new StateDigester(machine);
    // 0 (or nonsense) means no periodic digests, as `exits % 0` never matched.
    this.digestEvery = digestEveryExits > 0 ? digestEveryExits : Infinity;
    this.untilDigest = this.digestEvery;
  }

  /**
   * Takes checkpoints of the machine while recording, so that time travel through this session's own history
   * (TimeTravel with `checkpoints`) starts near any place instead of at the beginning. Call before the first run.
   */
  enableCheckpoints(options: Partial<CheckpointOptions> = {}): CheckpointList {
    if (this.sink === null) throw new SimError('VCPU_BAD_STATE', 'checkpoints belong to a recording: this session records nothing');
    const list = new CheckpointList(this.machine, {
      intervalInsns: options.intervalInsns ?? DEFAULT_INTERVAL_INSNS, intervalExits: options.intervalExits ?? DEFAULT_INTERVAL_EXITS,
      budgetBytes: options.budgetBytes ?? DEFAULT_BUDGET_BYTES,
    });
    this.checkpointList = list;
    this.maybeCheckpoint();
    return list;
  }

  get checkpoints(): CheckpointList | null {
    return this.checkpointList;
  }

  /** Where a replay of what was recorded so far stands now (between exits). */
  position(): ReplayPosition {
    return { record: this.records, exitOrdinal: this.exitRecords, exitsReplayed: this.exitRecords, recordedDigest: undefined };
  }

  /** Before the guest runs again (no exit waiting: a checkpoint is a place a replay can start from). */
  private maybeCheckpoint(): void {
    const list = this.checkpointList, { hart, vcpu } = this.machine;
    if (list !== null && vcpu.waiting === null && list.due(hart.icount, vcpu.nextSeq) && !this.ended) {
      const last = list.last;
      if (last === undefined || last.position.record !== this.records || last.icount !== hart.icount) list.take(this.position());
    }
  }

  run(budget?: number): VcpuExit {
    this.maybeCheckpoint();
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
    this.maybeCheckpoint();
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
    this.records++;
    this.exitRecords++;
    if (--this.untilDigest <= 0) {
      this.untilDigest = this.digestEvery;
      sink.append({ t: 'digest', seq: exit.seq, icount: exit.icount, digest: this.digester!.digest() });
      this.records++;
    }
  }

  answer(answer: ExitAnswer): void {
    this.machine.vcpu.answer(answer);
    const sink = this.sink;
    if (sink === null) return;
    if (sink.appendAnswer !== undefined) sink.appendAnswer(answer);
    else sink.append({ t: 'answer', answer });
    this.records++;
  }

  input(input: JournalInput): void {
    applyInput(this.machine, input);
    if (this.sink === null) return;
    this.sink.append({ t: 'input', icount: this.machine.hart.icount, input });
    this.records++;
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
