/**
 * A command of the `hindsight` CLI is one value: its name, its help text, its option table and what it runs.
 * main.ts dispatches over a table of them (commands.ts); adding a command is one file and one line there.
 *
 * An option table maps each option's long name to how it is spelled and what its value is:
 *
 *   const options = {
 *     output: value('FILE', 'the journal to write', { short: 'o' }),
 *     memory: option('SIZE', 'guest RAM (QEMU -m: 256M, 1G; a bare number is MiB)', parseSize('M'), { short: 'm' }),
 *     force: flag('overwrite an existing journal'),
 *   } satisfies OptionTable;
 *
 * and the command's run() receives `values.output: string | undefined`, `values.memory: number | undefined`,
 * `values.force: true | undefined`, each already checked (parse.ts).
 */
import { usageError } from './cli-error.js';

export interface OptionDef<T = unknown> {
  /** A one-letter spelling: `-o`. */
  short?: string;
  /** Other long spellings, each accepted with one dash or two (QEMU's `-kernel`, `-append`, `-initrd`). */
  aliases?: readonly string[];
  /** The value's placeholder in the help (`FILE`, `N`); absent for a flag. */
  arg?: string;
  help: string;
  /** Turns the text given into the value, or throws a CliError (CLI_BAD_VALUE) saying why it is not one. */
  parse?: (text: string, spelled: string) => T;
  /** Left out of --help (kept for old spellings). */
  hidden?: boolean;
}

export type OptionTable = Record<string, OptionDef>;

export type OptionValues<T extends OptionTable> = { [K in keyof T]?: T[K] extends OptionDef<infer V> ? V : never };

export interface ParsedCommandLine<T extends OptionTable> {
  positionals: string[];
  values: OptionValues<T>;
}

export interface Command<T extends OptionTable = OptionTable> {
  name: string;
  /** One line for `hindsight --help`. */
  summary: string;
  /** What follows `hindsight NAME` in the usage lines, one form per entry (`<run.hsj> [--verify]`). */
  usage: readonly string[];
  /** Paragraphs printed after the options in `hindsight NAME --help`. */
  description?: string;
  options: T;
  /** How many positional arguments the command takes, and what the first missing one is called. */
  positionals: { min: number; max: number; names: readonly string[] };
  /** Runs the command; resolves to the exit status. Throws CliError/SimError for the user's mistakes. */
  run(args: ParsedCommandLine<T>): number | Promise<number>;
}

/** Gives `run` its argument types from the option table. */
export function defineCommand<T extends OptionTable>(command: Command<T>): Command<T> {
  return command;
}

export function flag(help: string, more: Omit<OptionDef<true>, 'help' | 'parse' | 'arg'> = {}): OptionDef<true> {
  return { help, ...more };
}

export function option<T>(arg: string, help: string, parse: (text: string, spelled: string) => T, more: Omit<OptionDef<T>, 'help' | 'parse' | 'arg'> = {}): OptionDef<T> {
  return { arg, help, parse, ...more };
}

/** An option whose value is any text (a file name, a command line). */
export function value(arg: string, help: string, more: Omit<OptionDef<string>, 'help' | 'parse' | 'arg'> = {}): OptionDef<string> {
  return option(arg, help, (text) => text, more);
}

/** A non-negative integer: 1000, 1_000, 1e9, 0x10. */
export function parseCount(text: string, spelled: string): number {
  const n = /^(0x[0-9a-f_]+|[0-9][0-9_]*(\.[0-9]+)?(e[0-9]+)?)$/i.test(text) ? Number(text.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw usageError('CLI_BAD_VALUE', `${spelled} takes a non-negative integer (like 1000, 1e9 or 0x10), not '${text}'`);
  return n;
}

/** A count of at least 1. */
export function parsePositive(text: string, spelled: string): number {
  const n = parseCount(text, spelled);
  if (n === 0) throw usageError('CLI_BAD_VALUE', `${spelled} must be at least 1`);
  return n;
}

const SIZE_UNITS: Record<string, number> = { B: 1, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 };

/**
 * A size in bytes as QEMU's `-m` spells it: a number with an optional suffix K, M, G or T (powers of 1024, `KiB`,
 * `MB` and lowercase also accepted), a bare number being in `unit`.
 */
export function parseSize(unit: 'B' | 'K' | 'M' | 'G') {
  return (text: string, spelled: string): number => {
    const m = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt])?(?:i?b)?$/i.exec(text.trim());
    const bytes = m ? Number(m[1]) * SIZE_UNITS[(m[2] ?? unit).toUpperCase()] : NaN;
    if (!Number.isSafeInteger(bytes) || bytes <= 0) {
      throw usageError('CLI_BAD_VALUE', `${spelled} takes a size like 256M or 1G (a bare number is in ${unit === 'B' ? 'bytes' : `${unit}iB`}), not '${text}'`);
    }
    return bytes;
  };
}

/** A TCP port: 0 (any free one) to 65535. */
export function parsePort(text: string, spelled: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535)) throw usageError('CLI_BAD_VALUE', `${spelled} takes a port number from 0 to 65535, not '${text}'`);
  return n;
}

/** One of a few words. */
export function oneOf<const T extends string>(...choices: T[]) {
  return (text: string, spelled: string): T => {
    if (!(choices as string[]).includes(text)) throw usageError('CLI_BAD_VALUE', `${spelled} takes ${choices.join(', ')}, not '${text}'`);
    return text as T;
  };
}
