/**
 * `monitor` commands (qRcmd): what gdb has no words for. Where the VM stands in its recording (rr's `when`), going
 * to an exit or an instruction count, the timeline of past exits, the checkpoints, and a live VM's way back from its
 * past. They are VM verbs too, so they work the same on a replay, a live VM and a VM of `hindsight serve`.
 */
import type { CheckpointStats, Place, TimelineEntry, TimelineQuery, TravelReply, VmLink, VmStatus } from '../../client-sdk/index.js';
import { ProtocolError } from '../../client-sdk/index.js';
import type { VcpuExit } from '../../sim/index.js';
import { TargetError } from './target.js';

const HELP = `hindsight monitor commands:
  monitor when                      where the VM stands: instruction count, exits taken, the exit it stands at
  monitor goto exit N               go to exit N, as userspace saw it (before its recorded answer)
  monitor goto icount K             go to where K instructions have retired
  monitor timeline [REASON] [first N | last N] [from SEQ] [to SEQ] [pc ADDR] [address ADDR [len N]]
                                    the exits of the recording (REASON: MMIO, RISCV_SBI, DEBUG, INTR, ...)
  monitor checkpoints               the checkpoints time travel keeps
  monitor present                   a live VM: leave its past, back to where the run goes on
  monitor diversion                 a replay: leave the recorded run here to try something (write registers and
                                    memory, call functions; step and continue run on fresh device models)
  monitor diversion end             back to the recording, where the diversion left it
  monitor help                      this text
After "goto", gdb still shows what it read before: "maintenance flush register-cache" (flushregs) refreshes it.
`;

const TIMELINE_DEFAULT = 20;

export class Monitor {
  /** Where the traveller stands, as the last travel message said (null: a live VM in its present). */
  private place: Place | null = null;

  constructor(private readonly link: VmLink, private readonly moved: () => void) {
    link.on('travel', (place) => { this.place = place; });
  }

  async run(command: string, print: (text: string) => void): Promise<void> {
    const words = command.split(/\s+/).filter((w) => w !== '');
    try {
      await this.dispatch(words, print);
    } catch (e) {
      if (e instanceof ProtocolError) throw new TargetError(String(e.code), e.message);
      throw e;
    }
  }

  private async dispatch(words: string[], print: (text: string) => void): Promise<void> {
    switch (words[0]) {
      case undefined: case 'help': print(HELP); return;
      case 'when': print(await this.when()); return;
      case 'goto': case 'seek': print(await this.goto(words.slice(1))); return;
      case 'timeline': print(await this.timeline(words.slice(1))); return;
      case 'checkpoints': print(describeCheckpoints(await this.link.request<CheckpointStats>({ op: 'checkpoints' }))); return;
      case 'diversion': {
        if (words[1] !== undefined && words[1] !== 'end') throw new TargetError('BAD_MONITOR_ARGUMENT', 'diversion | diversion end');
        const end = words[1] === 'end';
        const r = await this.link.request<TravelReply>({ op: 'divert', enabled: !end });
        this.moved();
        print(end
          ? `back in the recording: ${describePlace(r.place)}`
          : `diverted at ${describePlace(r.place).trimEnd()}\nregisters and memory may be written; step and continue run on fresh device models, nothing is recorded; "monitor diversion end" comes back\n`);
        return;
      }
      case 'present': {
        const s = await this.link.request<VmStatus>({ op: 'present' });
        this.moved();
        print(`back in the present: icount ${s.icount}, ${s.exits} exits\n`);
        return;
      }
      default:
        throw new TargetError('UNKNOWN_MONITOR_COMMAND', `unknown monitor command '${words[0]}' (monitor help lists them)`);
    }
  }

  private async when(): Promise<string> {
    if (this.place === null) {
      const s = await this.link.request<VmStatus & { travel?: Place }>({ op: 'status' });
      if (s.travel !== undefined) return describePlace(s.travel);
      // A replay that has not moved yet stands at its start; a live VM shows its present.
      if (this.link.welcome.vm.kind === 'replay') return `icount 0, next exit 0: the start of the recording\n`;
      return `icount ${s.icount}, ${s.exits} exits so far (the present of a live VM)\n`;
    }
    return describePlace(this.place);
  }

  private async goto(args: string[]): Promise<string> {
    const [what, n] = args;
    const value = n === undefined ? NaN : Number(n.replace(/_/g, ''));
    if ((what !== 'exit' && what !== 'icount') || !Number.isSafeInteger(value) || value < 0) {
      throw new TargetError('BAD_MONITOR_ARGUMENT', 'goto exit N | goto icount K');
    }
    const reply = await this.link.request<TravelReply>(what === 'exit' ? { op: 'seek', exit: value } : { op: 'seek', icount: value });
    this.moved();
    const note = reply.stop.kind === 'history-end' ? ' (the end of the recording)' : '';
    return `${describePlace(reply.place).trimEnd()}${note}\n`;
  }

  private async timeline(args: string[]): Promise<string> {
    const query: TimelineQuery = { limit: TIMELINE_DEFAULT };
    for (let i = 0; i < args.length; i++) {
      const word = args[i], next = args[i + 1];
      const num = (): number => {
        const v = next === undefined ? NaN : Number(next.replace(/_/g, ''));
        if (!Number.isSafeInteger(v) || v < 0) throw new TargetError('BAD_MONITOR_ARGUMENT', `${word} takes a number`);
        i++;
        return v;
      };
      const addr = (): bigint => {
        if (next === undefined || !/^(0x)?[0-9a-f]+$/i.test(next)) throw new TargetError('BAD_MONITOR_ARGUMENT', `${word} takes an address`);
        i++;
        return BigInt(next.startsWith('0x') ? next : `0x${next}`);
      };
      switch (word) {
        case 'first': query.limit = num(); query.last = false; break;
        case 'last': query.limit = num(); query.last = true; break;
        case 'from': query.fromSeq = num(); break;
        case 'to': query.toSeq = num(); break;
        case 'pc': query.pc = addr(); break;
        case 'address': query.address = addr(); break;
        case 'len': query.len = num(); break;
        default:
          if (!/^[A-Z_]+$/.test(word)) throw new TargetError('BAD_MONITOR_ARGUMENT', `timeline: '${word}' is not a reason (MMIO, RISCV_SBI, ...) or an option`);
          query.reason = word;
      }
    }
    const entries = await this.link.request<TimelineEntry[]>({ op: 'timeline', ...query });
    if (entries.length === 0) return 'no exits match\n';
    return `${entries.map(describeEntry).join('\n')}\n`;
  }
}

function hex(v: bigint | number): string {
  return `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
}

function describePlace(p: Place): string {
  const at = p.atExit === null ? '' : `\nstanding at exit ${p.atExit.seq} (${describeExit(p.atExit)}), before its recorded answer`;
  return `icount ${p.icount}, next exit ${p.nextSeq}, pc ${hex(p.pc)}${at}\n`;
}

function describeEntry(e: TimelineEntry): string {
  return `exit ${String(e.seq).padStart(6)}  icount ${String(e.icount).padStart(12)}  pc ${hex(e.pc).padEnd(12)}  ${describeExit(e.exit)}`;
}

/** One exit in a line: its reason and the fields that say what happened. */
export function describeExit(exit: VcpuExit): string {
  switch (exit.reason) {
    case 'MMIO': {
      const value = exit.isWrite ? ` ${hex(exit.data.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n))}` : '';
      return `MMIO ${exit.isWrite ? 'write' : 'read'} ${exit.len}B at ${hex(exit.physAddr)}${value}`;
    }
    case 'RISCV_SBI': return `RISCV_SBI ext ${hex(exit.extensionId)} fn ${exit.functionId} a0 ${hex(exit.args[0] ?? 0n)}`;
    case 'RISCV_CSR': return `RISCV_CSR csr ${hex(exit.csrNum)}`;
    case 'DEBUG': return `DEBUG ${exit.why}${exit.address !== undefined ? ` ${hex(exit.address)}${exit.isWrite ? ' write' : ' read'}` : ''}`;
    case 'INTR': return `INTR ${exit.cause}`;
    case 'SYSTEM_EVENT': return `SYSTEM_EVENT ${exit.type} (reason ${hex(exit.data[1] ?? 0n)})`;
    case 'INTERNAL_ERROR': return `INTERNAL_ERROR ${exit.message}`;
  }
}

function describeCheckpoints(s: CheckpointStats): string {
  const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${s.count} checkpoints, ${mib(s.pageBytes)} of pages (${s.pages}) + ${mib(s.stateBytes)} of state; `
    + `every ${s.intervalInsns} instructions or ${s.intervalExits} exits; ${s.dropped} dropped${s.overBudget ? ' (over budget)' : ''}\n`;
}
