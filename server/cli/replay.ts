import { readFileSync, writeFileSync } from 'node:fs';
import { exitToJson } from '../../client-sdk/index.js';
import { readJournal, replayJournal } from '../../sim/index.js';
import { intOption, parseArgs, UsageError } from './args.js';
import { ConsoleTap } from './console-tap.js';
import { gotoPlace, gotoSummary, type GotoTarget } from './goto.js';
import { registerDump, type RegisterDump } from './register-dump.js';

export const REPLAY_USAGE = `usage: hindsight replay <run.hsj> [--verify] [--image guest.elf] [--console] [--exit-log FILE [--exit-log-regs]] [--json]
       hindsight replay <run.hsj> (--goto-exit N | --goto-icount K) [--dump-regs] [--image guest.elf]

Re-runs a recording, feeding the recorded answers and inputs, and compares every exit and state digest with the
recorded ones. Prints the final digest. With --verify the exit status is 0 only when every exit and the final
digest match and the recording was closed; --image replays against a given image (refused unless it is the
recorded one); --console prints what the guest wrote to its console, reconstructed from the exits;
--exit-log-regs adds the registers at each exit (before its answer) to the exit log.

--goto-exit N replays to exit N and stops there, before its recorded answer (the state userspace saw);
--goto-icount K to where K instructions have retired. They print where they stopped in one line, or with
--dump-regs the registers there as JSON (the same form as an --exit-log-regs line).`;

const GOTO_EXCLUDES = ['verify', 'console', 'exit-log', 'exit-log-regs', 'json'];

export function replayCommand(argv: string[]): number {
  const args = parseArgs(argv, {
    verify: {}, image: { value: true }, console: {}, 'exit-log': { value: true }, 'exit-log-regs': {}, json: {},
    'goto-exit': { value: true }, 'goto-icount': { value: true }, 'dump-regs': {},
  });
  if (args.positional.length !== 1) {
    process.stderr.write(`${REPLAY_USAGE}\n`);
    return 2;
  }
  const target = gotoTarget(intOption(args, 'goto-exit'), intOption(args, 'goto-icount'));
  const clash = target === null ? undefined : GOTO_EXCLUDES.find((o) => args.options.has(o));
  if (clash !== undefined) throw new UsageError(`--${clash} does not go with --goto-exit / --goto-icount`);
  if (target === null && args.options.has('dump-regs')) throw new UsageError('--dump-regs needs --goto-exit N or --goto-icount K');
  const logPath = args.options.get('exit-log');
  if (args.options.has('exit-log-regs') && typeof logPath !== 'string') throw new UsageError('--exit-log-regs needs --exit-log FILE');
  const journal = readJournal(readFileSync(args.positional[0]));
  const imagePath = args.options.get('image');
  const image = typeof imagePath === 'string' ? readFileSync(imagePath) : undefined;
  if (target !== null) {
    const report = gotoPlace(journal, target, image);
    process.stdout.write(`${args.options.has('dump-regs') ? JSON.stringify(report) : gotoSummary(report)}\n`);
    return 0;
  }
  const tap = args.options.has('console') ? new ConsoleTap((b) => process.stdout.write(b)) : null;
  const log: string[] = [];
  // The registers are read before the answer (beforeAnswer) and logged with the answered exit (onExit).
  let regs: RegisterDump | undefined;
  const result = replayJournal(journal, {
    image,
    beforeAnswer: args.options.has('exit-log-regs') ? (_exit, machine) => { regs = registerDump(machine); } : undefined,
    onExit: (exit, answer, machine) => {
      tap?.exit(exit, machine);
      if (typeof logPath === 'string') log.push(JSON.stringify({ ...exitToJson(exit, answer), ...regs }));
    },
  });
  if (typeof logPath === 'string') writeFileSync(logPath, log.length ? `${log.join('\n')}\n` : '');
  const matched = result.ok && journal.closed && result.recordedDigest === result.finalDigest;
  if (args.options.has('json')) {
    process.stdout.write(`${JSON.stringify({
      ok: result.ok, verified: matched, closed: journal.closed, exits: result.exits, recordedExits: journal.exits.length,
      icount: result.icount, tornBytes: journal.tornBytes, finalDigest: result.finalDigest,
      recordedDigest: result.recordedDigest ?? null, divergence: result.divergence ?? null,
    })}\n`);
  } else {
    const d = result.divergence;
    if (d) process.stderr.write(`[hindsight] DIVERGED at record ${d.record} (offset ${d.offset}, icount ${d.icount}): ${d.field}: expected ${d.expected}, got ${d.actual}\n`);
    const state = journal.closed ? 'closed recording' : `recording not closed${journal.tornBytes ? ` (${journal.tornBytes} torn bytes cut)` : ''}`;
    process.stderr.write(`[hindsight] replayed ${result.exits} of ${journal.exits.length} exits, ${result.icount} instructions; ${state}\n`);
    const note = result.recordedDigest === undefined ? '' : result.recordedDigest === result.finalDigest ? ' (matches the recording)' : ` (recorded ${result.recordedDigest})`;
    process.stdout.write(`final digest ${result.finalDigest}${note}\n`);
  }
  if (args.options.has('verify')) return matched ? 0 : 1;
  return result.divergence ? 1 : 0;
}

function gotoTarget(exit: number | undefined, icount: number | undefined): GotoTarget | null {
  if (exit !== undefined && icount !== undefined) throw new UsageError('--goto-exit and --goto-icount: one or the other');
  if (exit !== undefined) return { exit };
  if (icount !== undefined) return { icount };
  return null;
}
