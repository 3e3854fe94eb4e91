#!/usr/bin/env node
/**
 * `hindsight`: finds the command, parses its arguments against its option table, runs it, and turns whatever
 * ends it into an exit status: the command's own, 2 with a coded message for a user's mistake, 70 (with the
 * stack) for an internal error.
 */
import { classifyError, usageError } from './cli-error.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands.js';
import { commandHelp, mainHelp, usageLines, version } from './help.js';
import { parseCommandLine } from './parse.js';

/** `--help` or `-h` anywhere before `--` asks for the command's help, whatever else is on the line. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function runCommand(command: Command, argv: readonly string[]): Promise<number> {
  if (asksForHelp(argv)) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  const args = parseCommandLine(argv, command.options);
  const { min, max, names } = command.positionals;
  if (args.positionals.length < min) throw usageError('CLI_MISSING_ARGUMENT', `missing the ${names[args.positionals.length] ?? 'argument'}`);
  if (args.positionals.length > max) {
    const extra = args.positionals[max];
    throw usageError('CLI_EXTRA_ARGUMENT', max === 0 ? `${command.name} takes no arguments, got '${extra}'` : `unexpected argument '${extra}'`);
  }
  return command.run(args);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined) {
      process.stderr.write(`${mainHelp(COMMANDS)}\n`);
      return 2;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const about = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
      if (rest[0] !== undefined && about === undefined) throw usageError('CLI_UNKNOWN_COMMAND', `unknown command '${rest[0]}'`);
      process.stdout.write(`${about ? commandHelp(about) : mainHelp(COMMANDS)}\n`);
      return 0;
    }
    if (name === '--version' || name === '-V' || name === 'version') {
      process.stdout.write(`hindsight ${version()}\n`);
      return 0;
    }
    command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) {
      const what = name.startsWith('-') ? `'${name}' comes after a command` : `unknown command '${name}'`;
      throw usageError('CLI_UNKNOWN_COMMAND', `${what} (${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    return await runCommand(command, rest);
  } catch (e) {
    const err = classifyError(e);
    const who = command === undefined ? 'hindsight' : `hindsight ${command.name}`;
    if (err.status === 70) {
      process.stderr.write(`${who}: internal error (please report it): ${err.message}\n`);
    } else {
      process.stderr.write(`${who}: ${err.message} [${err.code}]\n`);
      if (err.usage && command !== undefined) process.stderr.write(`${usageLines(command)}\n`);
      if (err.usage) process.stderr.write(`Try '${who} --help'.\n`);
    }
    return err.status;
  }
}

// A reader that went away (`hindsight run x --exit-log - | head`) is not an error of ours: what follows is dropped,
// and the command (a recording, say) finishes as it would have.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

main(process.argv.slice(2)).then((status) => { process.exitCode = status; });
