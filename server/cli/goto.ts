import { SimError } from '../../sim/errors.js';
import type { ParsedJournal } from '../../sim/journal/index.js';
import { TimeTravel } from '../../sim/timetravel/index.js';
import { hex } from '../../client-sdk/exit-json.js';
import { registerDump, type RegisterDump } from './register-dump.js';
import { formatAddress, type Symbols } from './symbols.js';

export type GotoTarget = { exit: number } | { icount: number };

/** Where `replay --goto-*` arrived: the exit it stands at (before its answer), or the place between exits. */
export type GotoReport =
  | ({ seq: number; reason: string; icount: number; pc: string } & RegisterDump)
  | ({ icount: number; nextSeq: number; pc: string } & RegisterDump);

/**
 * A one-way trip: nothing comes back here, so the checkpoints time travel takes on the way would only cost (a copy
 * of the pages written every interval). Spacing them past any recording leaves the one taken at the start.
 */
const ONE_WAY = { intervalInsns: Number.MAX_SAFE_INTEGER, intervalExits: Number.MAX_SAFE_INTEGER };

/**
 * Replays a recording to exit N (standing at it, before its recorded answer: the state userspace saw) or to the
 * place where K instructions have retired, and reports the registers there. TT_NO_SUCH_EXIT for an exit the
 * recording does not hold, TT_BAD_TARGET for an instruction count past its end, TT_DIVERGED when the replay does
 * not match the recording on the way.
 */
export function gotoPlace(journal: ParsedJournal, target: GotoTarget, image?: Uint8Array): GotoReport {
  const tt = new TimeTravel(journal, { image, ...ONE_WAY });
  const { stop, place } = 'exit' in target ? tt.seekExit(target.exit) : tt.seekIcount(target.icount);
  if (stop.kind === 'diverged') {
    const d = stop.divergence;
    throw new SimError('TT_DIVERGED', `the replay diverged at record ${d.record} (icount ${d.icount}): ${d.field}: expected ${d.expected}, got ${d.actual}`);
  }
  if (stop.kind !== 'arrived') {
    const goal = 'exit' in target ? `exit ${target.exit}` : `icount ${target.icount}`;
    throw new SimError('TT_BAD_TARGET', `the recording ends at icount ${place.icount}, before ${goal}`);
  }
  const regs = registerDump(tt.machine);
  // An exit that takes no answer (INTR, SYSTEM_EVENT) leaves the replay standing just after it, with nothing due:
  // place.atExit is null there, so the exit comes from the recording (which the replay matched to arrive).
  const exit = 'exit' in target ? tt.timeline({ fromSeq: target.exit, toSeq: target.exit, limit: 1 })[0] : place.atExit;
  // At an exit the fields are the exit log's (seq, reason, icount, pc), so a dump compares with its line.
  return exit !== null && exit !== undefined
    ? { seq: exit.seq, reason: exit.reason, icount: exit.icount, pc: hex(exit.pc), ...regs }
    : { icount: place.icount, nextSeq: place.nextSeq, pc: hex(place.pc), ...regs };
}

/** The one-line form, without --dump-regs: the pc with its symbol when the image has symbols. */
export function gotoSummary(r: GotoReport, symbols: Symbols | null = null): string {
  const where = 'seq' in r ? `exit ${r.seq} (${r.reason}), before its answer` : `between exits (next exit ${r.nextSeq})`;
  return `icount ${r.icount}, pc ${formatAddress(BigInt(r.pc), symbols)}, priv ${r.priv}: ${where}`;
}
