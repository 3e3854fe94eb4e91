import { createWriteStream } from 'node:fs';
import type { TraceFormat } from '../export/export-trace.js';
import { CliError, usageError } from './cli-error.js';
import { defineCommand, flag, value } from './command.js';
import { checkNewFile } from './files.js';
import { resolveRecording } from './recordings-dir.js';

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write a recording as a trace for ui.perfetto.dev: Perfetto protobuf, or --chrome-json',
  usage: ['[run.hsj | NAME | latest] [--perfetto | --chrome-json] -o OUT'],
  description: `--perfetto (the default) writes Perfetto's protobuf trace format, --chrome-json the legacy Chrome JSON
trace format; -o - writes to stdout. A track for the vCPU with its kvm_entry→kvm_exit slices and each exit an
event with its fields; counters for instructions retired and for exits per reason. Time is guest time: one
instruction is one nanosecond. The recording is read record by record: memory does not grow with it.
docs/trace-export.md says how to open the file.`,
  options: {
    output: value('OUT', 'the trace file to write (- for stdout)', { short: 'o' }),
    perfetto: flag("Perfetto's protobuf format (the default)"),
    'chrome-json': flag('the legacy Chrome JSON trace format'),
  },
  positionals: { min: 0, max: 1, names: ['journal'] },
  async run(args) {
    const { values } = args;
    if (values.perfetto && values['chrome-json']) throw usageError('CLI_CONFLICT', '--perfetto and --chrome-json: one or the other');
    if (values.output === undefined) throw usageError('CLI_MISSING_ARGUMENT', 'missing -o OUT (the trace file, or - for stdout)');
    const journal = resolveRecording(args.positionals[0]);
    if (journal === '-') throw new CliError('CLI_BAD_VALUE', 'export reads the journal from a file (it streams it record by record), not from stdin');
    const format: TraceFormat = values['chrome-json'] ? 'chrome-json' : 'perfetto';
    const toStdout = values.output === '-';
    if (!toStdout) checkNewFile(values.output, 'the trace', true);
    const stream = toStdout ? process.stdout : createWriteStream(values.output);
    const { exportTrace } = await import('../export/export-trace.js');
    const s = await exportTrace(journal, format, stream, !toStdout);
    const where = toStdout ? 'stdout' : values.output;
    const state = s.closed ? '' : `; the recording was not closed${s.tornBytes > 0 ? ` (${s.tornBytes} torn bytes cut)` : ''}`;
    process.stderr.write(`[hindsight] exported ${s.exits} exits (${s.icount} instructions) as ${s.events} ${format} events, ${s.bytes} bytes, to ${where}${state}\n`);
    return 0;
  },
});
