import { basename } from 'node:path';
import { exitToJson } from '../../client-sdk/exit-json.js';
import { LocalVmm } from '../../client-sdk/local-vmm.js';
import { FileJournalWriter } from '../../sim/journal/writer.js';
import * as layout from '../../sim/layout.js';
import { usageError } from './cli-error.js';
import { defineCommand, flag, option, parseCount, parseSize, value, type OptionTable, type ParsedCommandLine } from './command.js';
import { checkNewFile, openTextOutput, readUserFile } from './files.js';
import { LiveConsole } from './live-console.js';
import { ProgressLine } from './progress.js';
import { newRecordingPath } from './recordings-dir.js';
import { registerDump, type RegisterDump } from './register-dump.js';
import { formatStats, formatTierStats } from './stats-table.js';
import { TIER_OPTION, tierOptions } from './tier-option.js';
import { formatAddress, Symbols } from './symbols.js';
import { GDB_OPTION, refuseWithGdb, runWithGdb } from './gdb.js';

/** The options of `run`, which `record` shares. */
export const RUN_OPTIONS = {
  kernel: value('FILE', 'the guest image, as QEMU\'s -kernel (instead of the argument)'),
  'max-insns': option('N', 'stop after N guest instructions', parseCount),
  memory: option('SIZE', 'guest RAM, as QEMU\'s -m: 256M, 1G (a bare number is MiB; default 128M)', parseSize('M'), { short: 'm' }),
  'ram-mib': option('N', 'guest RAM in MiB (the same as -m N)', parseCount),
  append: value('TEXT', 'the kernel command line: /chosen/bootargs in the device tree (QEMU\'s -append)', { aliases: ['bootargs'] }),
  initrd: value('FILE', 'an initial ramdisk, loaded and named in /chosen as QEMU does (linux,initrd-start/-end)'),
  input: value('TEXT', 'console input instead of stdin (\\n is a newline); it reaches the UART once the guest listens'),
  'no-sleep': flag('skip the guest\'s idle time at once (QEMU -icount sleep=off); by default hindsight sleeps\nwhile the guest idles, so that its clock keeps to the wall clock'),
  debug: flag('guest debug on: breakpoint instructions exit (DEBUG); with no debugger attached they are\ninjected back into the guest'),
  stats: flag('print exit statistics (perf kvm stat style) on stderr at the end'),
  'exit-log': value('FILE', 'write one JSON object per exit (seq, icount, pc, reason, kvm_run fields); - is stdout\n(the console then goes to stderr)'),
  'exit-log-regs': flag('with --exit-log: each line also holds the registers at the exit, before its answer'),
  quiet: flag('no summary line on stderr', { short: 'q' }),
  tier: TIER_OPTION,
  gdb: GDB_OPTION,
} satisfies OptionTable;

const RECORD_OPTIONS = {
  ...RUN_OPTIONS,
  output: value('FILE', 'the journal to write (default: NAME-N.hsj in the recordings directory, see `hindsight ls`)', { short: 'o' }),
  force: flag('overwrite the journal if it exists', { short: 'f' }),
  fsync: flag('fdatasync the journal after every write, so that it survives a power loss too (docs/journal.md)'),
} satisfies OptionTable;

const RUN_DESCRIPTION = `The guest is an ELF or a RISC-V Linux Image (loaded at 0x80200000, as OpenSBI loads it). It runs with the built-in
devices (UART 16550 + PLIC, sifive,test finisher, SBI console) on a QEMU virt memory map; its console is stdout.
The exit status is the guest's: 0 for a finisher pass or a clean SBI shutdown, the finisher's fail code,
otherwise 1.`;

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run a guest (an ELF, or a Linux Image with --initrd/--append) with the built-in devices',
  usage: ['<guest.elf | Image> [options]', '-kernel Image [-initrd FILE] [-append TEXT] [-m SIZE] [options]', '<guest.elf> --gdb PORT [options]'],
  description: `${RUN_DESCRIPTION}

With --gdb PORT the machine waits at its first instruction for gdb (target remote :PORT), as QEMU's -s -S; once gdb
detaches the guest runs on to its end. Under record, everything gdb does goes into the journal (docs/gdb.md).`,
  options: RUN_OPTIONS,
  positionals: { min: 0, max: 1, names: ['guest image'] },
  run: (args) => runOrRecord(args, null),
});

export const recordCommand = defineCommand({
  name: 'record',
  summary: 'run a guest as run does and record every exit, answer and input in a journal',
  usage: ['<guest.elf | Image> [-o run.hsj] [--force] [run options]'],
  description: `${RUN_DESCRIPTION}

The journal holds the image (and initrd) and everything the guest got from outside; \`hindsight replay\` re-runs
it bit-exactly. Without -o it goes to the recordings directory ($HINDSIGHT_DIR, else $XDG_DATA_HOME/hindsight,
else ~/.local/share/hindsight) as NAME-N.hsj; an existing journal is kept unless --force is given.`,
  options: RECORD_OPTIONS,
  positionals: { min: 0, max: 1, names: ['guest image'] },
  run: (args) => {
    const journal = args.values.output;
    return runOrRecord(args, { path: journal, force: args.values.force === true, fsync: args.values.fsync === true });
  },
});

/** The image path: the argument or -kernel, exactly one of them. */
function imagePath(args: ParsedCommandLine<typeof RUN_OPTIONS>): string {
  const [positional] = args.positionals;
  const kernel = args.values.kernel;
  if (positional !== undefined && kernel !== undefined) throw usageError('CLI_CONFLICT', `two guest images: ${positional} and -kernel ${kernel}`);
  const path = positional ?? kernel;
  if (path === undefined) throw usageError('CLI_MISSING_ARGUMENT', 'no guest image: name an ELF or a Linux Image (or give -kernel FILE)');
  return path;
}

function ramBytes(values: ParsedCommandLine<typeof RUN_OPTIONS>['values']): number | undefined {
  if (values.memory !== undefined && values['ram-mib'] !== undefined) throw usageError('CLI_CONFLICT', 'give -m SIZE or --ram-mib N, not both');
  if (values['ram-mib'] !== undefined) return values['ram-mib'] * 1024 * 1024;
  return values.memory;
}

/** `--input TEXT` with its `\n`s made newlines. */
function scriptedInput(text: string | undefined): Uint8Array | undefined {
  return text === undefined ? undefined : Buffer.from(text.replace(/\\n/g, '\n'), 'latin1');
}

async function runOrRecord(args: ParsedCommandLine<typeof RUN_OPTIONS>, record: { path: string | undefined; force: boolean; fsync?: boolean } | null): Promise<number> {
  const { values } = args;
  const path = imagePath(args);
  if (values['exit-log-regs'] && values['exit-log'] === undefined) throw usageError('CLI_CONFLICT', '--exit-log-regs needs --exit-log FILE');
  const image = readUserFile(path, 'the guest image');
  const initrd = values.initrd === undefined ? undefined : readUserFile(values.initrd, 'the initrd');
  const ramSize = ramBytes(values);
  const journalPath = record === null ? null : record.path ?? newRecordingPath(path);
  if (journalPath !== null) checkNewFile(journalPath, 'the journal', record!.force);
  if (values.gdb !== undefined) {
    refuseWithGdb(values);
    const machine = { image, imageName: basename(path), ramSize: ramSize ?? layout.DEFAULT_RAM_SIZE, bootargs: values.append, initrd, recordPath: journalPath, input: scriptedInput(values.input) };
    return runWithGdb(machine, values.gdb, values.quiet === true);
  }
  const log = values['exit-log'] === undefined ? null : openTextOutput(values['exit-log'], 'the exit log');
  // With the exit log on stdout, the guest's console moves to stderr so that the log stays parseable.
  const consoleOut = log?.toStdout ? process.stderr : process.stdout;
  // The registers are read before the answer (beforeAnswer) and written with the answered exit (onExit).
  let regs: RegisterDump | undefined;
  let vmm: LocalVmm | undefined;
  let exits = 0;
  const symbols = Symbols.of(image);
  const withSymbols = (text: string) => text.replace(/\bpc (0x[0-9a-f]+)/g, (_, pc: string) => `pc ${formatAddress(BigInt(pc), symbols)}`);
  // A progress line only where it cannot garble the console: stderr a terminal, the console somewhere else.
  const progress = new ProgressLine('hindsight', !consoleOut.isTTY);
  const terminal = new LiveConsole({
    message: (text) => process.stderr.write(text),
    status: () => `${vmm!.machine.hart.icount} instructions, pc ${formatAddress(vmm!.machine.hart.pc, symbols)}, ${exits} exits`,
    pace: !values['no-sleep'],
    readStdin: values.input === undefined,
    onSlice: progress.enabled ? ({ icount, exits: n }) => progress.update(icount, n) : undefined,
  });
  try {
    vmm = new LocalVmm(image, {
      maxInsns: values['max-insns'],
      ramSize,
      bootargs: values.append,
      initrd,
      tier: tierOptions(values.tier),
      input: scriptedInput(values.input),
      guestDebug: values.debug === true,
      imageName: basename(path),
      recordTo: journalPath === null ? undefined : (header) => new FileJournalWriter(journalPath, header, { fsync: record?.fsync }),
      onConsole: (bytes) => consoleOut.write(bytes),
      onExit: (exit, answer) => {
        exits++;
        log?.write(`${JSON.stringify({ ...exitToJson(exit, answer), ...regs })}\n`);
      },
      beforeAnswer: values['exit-log-regs'] ? (_exit, machine) => { regs = registerDump(machine); } : undefined,
    });
    terminal.start();
    if (terminal.interactive && !values.quiet) process.stderr.write('[hindsight] console: Ctrl-A x quits, Ctrl-A h lists the escapes\n');
    const result = await vmm.runLive(terminal);
    terminal.close();
    progress.done();
    if (values.stats) process.stderr.write(`${formatStats(result.stats, result.icount)}\n${formatTierStats(vmm.machine.hart)}\n`);
    if (!values.quiet) {
      const what = result.message ? `${result.stop}: ${withSymbols(result.message)}` : result.stop;
      process.stderr.write(`[hindsight] ${what}, exit code ${result.exitCode}, ${result.icount} instructions, ${result.exits} exits\n`);
      if (result.digest !== undefined) process.stderr.write(`[hindsight] recorded ${journalPath}, final digest ${result.digest}\n`);
    }
    return result.exitCode;
  } finally {
    terminal.close();
    log?.close();
  }
}
