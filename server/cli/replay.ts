import { exitToJson } from '../../client-sdk/exit-json.js';
import { readJournal, type ParsedJournal } from '../../sim/journal/reader.js';
import { replayJournal } from '../../sim/journal/replay.js';
import { usageError } from './cli-error.js';
import { defineCommand, flag, option, parseCount, value } from './command.js';
import { openTextOutput, readUserFile, type TextOutput } from './files.js';
import { resolveRecording } from './recordings-dir.js';
import { ConsoleTap } from './console-tap.js';
import { gotoPlace, gotoSummary, type GotoTarget } from './goto.js';
import { ProgressLine } from './progress.js';
import { registerDump, type RegisterDump } from './register-dump.js';
import { formatRegisters } from './register-table.js';
import { Symbols } from './symbols.js';
import { GDB_OPTION, refuseWithGdb, replayWithGdb } from './gdb.js';
import type { Tier } from '../../sim/index.js';
import { TIER_OPTION, tierOptions } from './tier-option.js';

const REPLAY_DESCRIPTION = `Re-runs a recording, feeding the recorded answers and inputs, and compares every exit and state digest with the
recorded ones. Prints the final digest. With --verify the exit status is 0 only when every exit and the final
digest match and the recording was closed.

The journal is a file, - for stdin, the name of a recording in the recordings directory (see \`hindsight ls\`),
or latest (the newest there, also what no argument means).

--goto-exit N replays to exit N and stops there, before its recorded answer (the state userspace saw);
--goto-icount K to where K instructions have retired. They print where they stopped in one line (the pc with its
symbol when the image has symbols), with --regs the registers there by ABI name as gdb's info registers shows
them, or with --dump-regs as JSON (the same form as an --exit-log-regs line).

--gdb PORT serves the recording to gdb (target remote :PORT), standing at its first instruction: gdb goes forwards
and backwards in it (reverse-continue, reverse-step, watchpoints), and nothing gdb does changes it (docs/gdb.md).`;

const GOTO_EXCLUDES = ['verify', 'console', 'exit-log', 'exit-log-regs', 'json'] as const;
const GOTO_ONLY = ['dump-regs', 'regs'] as const;

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 're-run a recording bit-exactly, comparing every exit; or stop at an exit or instruction count',
  usage: ['[run.hsj | NAME | latest] [--verify] [--image guest.elf] [--console] [--exit-log FILE [--exit-log-regs]] [--json]',
    '[run.hsj | NAME | latest] (--goto-exit N | --goto-icount K) [--regs | --dump-regs] [--image guest.elf]',
    '[run.hsj | NAME | latest] --gdb PORT'],
  description: REPLAY_DESCRIPTION,
  options: {
    verify: flag('exit status 0 only when every exit and the final digest match and the recording was closed'),
    image: value('FILE', 'replay against this image (refused unless it is the recorded one)'),
    console: flag('print what the guest wrote to its console, reconstructed from the exits'),
    'exit-log': value('FILE', 'write one JSON object per exit, as run --exit-log does; - is stdout'),
    'exit-log-regs': flag('with --exit-log: the registers at each exit, before its answer'),
    json: flag('print the summary as one JSON object'),
    tier: TIER_OPTION,
    'goto-exit': option('N', 'stop at exit N, before its recorded answer', parseCount),
    'goto-icount': option('K', 'stop where K instructions have retired', parseCount),
    regs: flag('with --goto-*: print the registers there, by ABI name, with symbols'),
    'dump-regs': flag('with --goto-*: print the registers there as JSON'),
    gdb: GDB_OPTION,
  },
  positionals: { min: 0, max: 1, names: ['journal'] },
  run(args) {
    const { values } = args;
    if (values.gdb !== undefined) {
      refuseWithGdb(values);
      return replayWithGdb(resolveRecording(args.positionals[0]), values.gdb);
    }
    const target = gotoTarget(values['goto-exit'], values['goto-icount']);
    const clash = target === null ? undefined : GOTO_EXCLUDES.find((o) => values[o] !== undefined);
    if (clash !== undefined) throw usageError('CLI_CONFLICT', `--${clash} does not go with --goto-exit / --goto-icount`);
    const only = target === null ? GOTO_ONLY.find((o) => values[o] !== undefined) : undefined;
    if (only !== undefined) throw usageError('CLI_CONFLICT', `--${only} needs --goto-exit N or --goto-icount K`);
    if (values.regs && values['dump-regs']) throw usageError('CLI_CONFLICT', '--regs or --dump-regs, not both');
    if (values['exit-log-regs'] && values['exit-log'] === undefined) throw usageError('CLI_CONFLICT', '--exit-log-regs needs --exit-log FILE');
    const journal = readJournal(readUserFile(resolveRecording(args.positionals[0]), 'the journal'));
    const image = values.image === undefined ? undefined : readUserFile(values.image, 'the image');
    if (target !== null) {
      const report = gotoPlace(journal, target, image);
      const symbols = Symbols.of(image ?? journal.header.images[0].bytes);
      const text = values['dump-regs'] ? JSON.stringify(report)
        : values.regs ? `${gotoSummary(report, symbols)}\n${formatRegisters(report.pc, report, symbols)}`
          : gotoSummary(report, symbols);
      process.stdout.write(`${text}\n`);
      return 0;
    }
    return replayAll(journal, image, values);
  },
});

interface ReplayValues { console?: true; 'exit-log'?: string; 'exit-log-regs'?: true; json?: true; verify?: true; tier?: Tier }

function replayAll(journal: ParsedJournal, image: Uint8Array | undefined, values: ReplayValues): number {
  const log = values['exit-log'] === undefined ? null : openTextOutput(values['exit-log'], 'the exit log');
  // With the exit log on stdout, everything else it would have printed there goes to stderr.
  const out = log?.toStdout ? process.stderr : process.stdout;
  try {
    return replayWith(journal, image, values, log, out);
  } finally {
    log?.close();
  }
}

function replayWith(journal: ParsedJournal, image: Uint8Array | undefined, values: ReplayValues, log: TextOutput | null, out: NodeJS.WriteStream): number {
  const tap = values.console ? new ConsoleTap((b) => out.write(b)) : null;
  // The registers are read before the answer (beforeAnswer) and logged with the answered exit (onExit).
  let regs: RegisterDump | undefined;
  const progress = new ProgressLine('replay', !(values.console && out.isTTY));
  const result = replayJournal(journal, {
    image,
    tier: tierOptions(values.tier),
    onProgress: progress.enabled ? (icount, exits) => progress.update(icount, exits) : undefined,
    beforeAnswer: values['exit-log-regs'] ? (_exit, machine) => { regs = registerDump(machine); } : undefined,
    onExit: (exit, answer, machine) => {
      tap?.exit(exit, machine);
      log?.write(`${JSON.stringify({ ...exitToJson(exit, answer), ...regs })}\n`);
    },
  });
  progress.done();
  const matched = result.ok && journal.closed && result.recordedDigest === result.finalDigest;
  if (values.json) {
    out.write(`${JSON.stringify({
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
    out.write(`final digest ${result.finalDigest}${note}\n`);
  }
  if (values.verify) return matched ? 0 : 1;
  return result.divergence ? 1 : 0;
}

function gotoTarget(exit: number | undefined, icount: number | undefined): GotoTarget | null {
  if (exit !== undefined && icount !== undefined) throw usageError('CLI_CONFLICT', '--goto-exit and --goto-icount: one or the other');
  if (exit !== undefined) return { exit };
  if (icount !== undefined) return { icount };
  return null;
}
