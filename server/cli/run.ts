import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { exitToJson, LocalVmm } from '../../client-sdk/index.js';
import { FileJournalWriter } from '../../sim/index.js';
import { intOption, OptionSpec, parseArgs, UsageError } from './args.js';
import { registerDump, type RegisterDump } from './register-dump.js';
import { formatStats } from './stats-table.js';

export const RUN_USAGE = `usage: hindsight run <guest.elf | Image> [options]

  --max-insns N     stop after N guest instructions
  --ram-mib N       guest RAM in MiB (default 128)
  --bootargs TEXT   /chosen/bootargs in the device tree (the kernel command line)
  --append TEXT     the same as --bootargs (QEMU's name for it)
  --initrd FILE     an initial ramdisk: loaded into RAM and named in /chosen (linux,initrd-start/-end)
  --input TEXT      console input (otherwise piped stdin, if any); \n is a newline. It reaches the UART once
                    the guest listens (enables its receive interrupt, or polls it without ever having set IER)
  --debug           guest debug on: breakpoint instructions exit (DEBUG); with no debugger attached they are
                    injected back into the guest
  --stats           print exit statistics (perf kvm stat style) at the end
  --exit-log FILE   write one JSON object per exit (seq, icount, pc, reason, kvm_run fields)
  --exit-log-regs   with --exit-log: each line also holds the registers at the exit, before its answer
                    (x, priv, csr; as replay --goto-exit N --dump-regs prints them)
  --quiet           no summary line on stderr
  (record) -o, --output FILE   the journal to write

The guest is an ELF or a RISC-V Linux Image (loaded at 0x80200000, as OpenSBI loads it).
Runs a guest with the built-in devices (UART 16550 + PLIC, sifive,test finisher, SBI console) and exits with
the guest's status: 0 for a finisher pass or a clean SBI shutdown, the finisher's fail code, otherwise 1.`;

function consoleInput(text: string | undefined): Uint8Array | undefined {
  if (text !== undefined) return Buffer.from(text.replace(/\\n/g, '\n'), 'latin1');
  if (process.stdin.isTTY) return undefined;
  try {
    return readFileSync(0);
  } catch {
    return undefined;
  }
}

export const RECORD_USAGE = `usage: hindsight record <guest.elf> -o <run.hsj> [run options]

Runs the guest as \`hindsight run\` does and records every exit, answer and input in a journal that
\`hindsight replay\` re-runs bit-exactly.`;

const RUN_OPTIONS: Record<string, OptionSpec> = {
  'max-insns': { value: true }, 'ram-mib': { value: true }, bootargs: { value: true }, append: { value: true },
  initrd: { value: true }, input: { value: true },
  debug: {}, stats: {}, 'exit-log': { value: true }, 'exit-log-regs': {}, quiet: {},
};

export function runCommand(argv: string[]): number {
  return runOrRecord(argv, false);
}

export function recordCommand(argv: string[]): number {
  return runOrRecord(argv, true);
}

function runOrRecord(argv: string[], record: boolean): number {
  const args = parseArgs(argv, record ? { ...RUN_OPTIONS, output: { value: true }, o: { value: true } } : RUN_OPTIONS);
  const out = args.options.get('output') ?? args.options.get('o');
  if (args.positional.length !== 1 || (record && typeof out !== 'string')) {
    process.stderr.write(`${record ? RECORD_USAGE : RUN_USAGE}\n`);
    return 2;
  }
  const image = readFileSync(args.positional[0]);
  const ramMib = intOption(args, 'ram-mib');
  const logPath = args.options.get('exit-log');
  const withRegs = args.options.has('exit-log-regs');
  if (withRegs && typeof logPath !== 'string') throw new UsageError('--exit-log-regs needs --exit-log FILE');
  const logFd = typeof logPath === 'string' ? openSync(logPath, 'w') : null;
  // The registers are read before the answer (beforeAnswer) and written with the answered exit (onExit).
  let regs: RegisterDump | undefined;
  const inputText = args.options.get('input');
  const bootargs = args.options.get('append') ?? args.options.get('bootargs');
  if (args.options.has('append') && args.options.has('bootargs')) throw new UsageError('give --append or --bootargs, not both');
  const initrdPath = args.options.get('initrd');
  try {
    const result = new LocalVmm(image, {
      maxInsns: intOption(args, 'max-insns'),
      ramSize: ramMib === undefined ? undefined : ramMib * 1024 * 1024,
      bootargs: typeof bootargs === 'string' ? bootargs : undefined,
      initrd: typeof initrdPath === 'string' ? readFileSync(initrdPath) : undefined,
      input: consoleInput(typeof inputText === 'string' ? inputText : undefined),
      guestDebug: args.options.has('debug'),
      imageName: basename(args.positional[0]),
      recordTo: record ? (header) => new FileJournalWriter(String(out), header) : undefined,
      onConsole: (bytes) => process.stdout.write(bytes),
      onExit: logFd === null ? undefined : (exit, answer) => { writeSync(logFd, `${JSON.stringify({ ...exitToJson(exit, answer), ...regs })}\n`); },
      beforeAnswer: withRegs ? (_exit, machine) => { regs = registerDump(machine); } : undefined,
    }).run();
    if (args.options.has('stats')) process.stderr.write(`${formatStats(result.stats, result.icount)}\n`);
    if (!args.options.has('quiet')) {
      const what = result.message ? `${result.stop}: ${result.message}` : result.stop;
      process.stderr.write(`[hindsight] ${what}, exit code ${result.exitCode}, ${result.icount} instructions, ${result.exits} exits\n`);
      if (result.digest !== undefined) process.stderr.write(`[hindsight] recorded ${String(out)}, final digest ${result.digest}\n`);
    }
    return result.exitCode;
  } finally {
    if (logFd !== null) closeSync(logFd);
  }
}
