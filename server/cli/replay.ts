import { readFileSync, writeFileSync } from 'node:fs';
import { exitToJson } from '../../client-sdk/index.js';
import { readJournal, replayJournal } from '../../sim/index.js';
import { parseArgs } from './args.js';
import { ConsoleTap } from './console-tap.js';

export const REPLAY_USAGE = `usage: hindsight replay <run.hsj> [--verify] [--image guest.elf] [--console] [--exit-log FILE] [--json]

Re-runs a recording, feeding the recorded answers and inputs, and compares every exit and state digest with the
recorded ones. Prints the final digest. With --verify the exit status is 0 only when every exit and the final
digest match and the recording was closed; --image replays against a given image (refused unless it is the
recorded one); --console prints what the guest wrote to its console, reconstructed from the exits.`;

export function replayCommand(argv: string[]): number {
  const args = parseArgs(argv, { verify: {}, image: { value: true }, console: {}, 'exit-log': { value: true }, json: {} });
  if (args.positional.length !== 1) {
    process.stderr.write(`${REPLAY_USAGE}\n`);
    return 2;
  }
  const journal = readJournal(readFileSync(args.positional[0]));
  const imagePath = args.options.get('image');
  const logPath = args.options.get('exit-log');
  const tap = args.options.has('console') ? new ConsoleTap((b) => process.stdout.write(b)) : null;
  const log: string[] = [];
  const result = replayJournal(journal, {
    image: typeof imagePath === 'string' ? readFileSync(imagePath) : undefined,
    onExit: (exit, answer, machine) => {
      tap?.exit(exit, machine);
      if (typeof logPath === 'string') log.push(JSON.stringify(exitToJson(exit, answer)));
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
