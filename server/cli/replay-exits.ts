import { needsAnswer, Replayer, type ExitAnswer, type Machine, type ParsedJournal, type ReplayResult, type VcpuExit } from '../../sim/index.js';
import { registerDump, type RegisterDump } from './register-dump.js';

export interface ReplayExitsOptions {
  image?: Uint8Array;
  /** Also hand onExit the registers at each exit, before its answer (costs a dump per exit). */
  registers?: boolean;
  /** Every completed exit, with its answer and the machine after it; `regs` when asked for. */
  onExit?: (exit: VcpuExit, answer: ExitAnswer | undefined, machine: Machine, regs: RegisterDump | undefined) => void;
}

/**
 * replayJournal with a look at each exit before its answer. replayJournal's onExit hands over the machine after
 * the answer (an MMIO load's register already written, the pc moved on); here the Replayer pauses at every exit
 * that takes an answer ('at-exit'), the registers are read there, and the exit is reported once answered.
 */
export function replayExits(journal: ParsedJournal, options: ReplayExitsOptions): ReplayResult {
  const replayer = new Replayer(journal, { image: options.image });
  const wantRegs = options.registers === true;
  replayer.pauseAtExits = wantRegs;
  let regs: RegisterDump | undefined;
  for (;;) {
    const s = replayer.step();
    if (s.kind === 'done') return s.result;
    if (s.kind === 'at-exit') {
      regs = registerDump(replayer.machine);
      continue;
    }
    if (s.kind !== 'exit') continue;
    // As replayJournal: an exit whose answer the journal does not hold was never completed, and is not reported.
    if (s.answer === undefined && needsAnswer(s.exit)) continue;
    // An exit that takes no answer is reported at once, the machine still standing at it.
    const at = wantRegs ? (needsAnswer(s.exit) ? regs : registerDump(replayer.machine)) : undefined;
    options.onExit?.(s.exit, s.answer, replayer.machine, at);
  }
}
