/**
 * Reads a command's arguments against its option table with node:util's parseArgs (tokens, non-strict), then
 * checks every token itself so that each mistake gets its own code and a message naming the option as the user
 * spelled it: `-o needs a value`, `unknown option --frob`, `--verify takes no value`.
 *
 * Before that, QEMU's one-dash long spellings (`-kernel FILE`, `-append TEXT`, `-initrd FILE`, and `-m 256M`
 * through its short form) are rewritten to two dashes when the table knows them. A value that is itself one of
 * the command's options is taken for a forgotten value (`record x -o --force`) unless given with `=`.
 */
import { parseArgs } from 'node:util';
import { usageError } from './cli-error.js';
import type { OptionTable, OptionValues, ParsedCommandLine } from './command.js';

/** Every spelling (long name or alias, no dashes) to the option's long name. */
function spellings(table: OptionTable): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, def] of Object.entries(table)) {
    names.set(name, name);
    for (const alias of def.aliases ?? []) names.set(alias, name);
  }
  return names;
}

/** QEMU-style `-word` to `--word` where `word` is a known long spelling; leaves values and everything after `--` alone. */
function normalize(argv: readonly string[], table: OptionTable, names: Map<string, string>): string[] {
  const out: string[] = [];
  const takesValue = (spelled: string): boolean => {
    const long = spelled.startsWith('--') ? names.get(spelled.slice(2)) : spelled.length === 2 ? shortName(table, spelled[1]) : names.get(spelled.slice(1));
    return long !== undefined && table[long].parse !== undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const word = /^-([a-z][a-z0-9-]+)(=.*)?$/i.exec(arg);
    if (word !== null && !names.has(word[1]) && !isShortGroup(word[1], table)) throw usageError('CLI_UNKNOWN_OPTION', `unknown option ${arg}`);
    const rewritten = word !== null && names.has(word[1]) ? `-${arg}` : arg;
    out.push(rewritten);
    // A value given as the next argument is not an option, whatever it looks like.
    if (rewritten.startsWith('-') && !rewritten.includes('=') && takesValue(rewritten) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/** `-vq` (flags) or `-ofile` (a short option and its value): what one dash before several letters may mean. */
function isShortGroup(letters: string, table: OptionTable): boolean {
  for (const letter of letters) {
    const name = shortName(table, letter);
    if (name === undefined) return false;
    if (table[name].parse !== undefined) return true;
  }
  return true;
}

function shortName(table: OptionTable, letter: string): string | undefined {
  return Object.entries(table).find(([, def]) => def.short === letter)?.[0];
}

/** Parses `argv` (the arguments after the command's name) against `table`. */
export function parseCommandLine<T extends OptionTable>(argv: readonly string[], table: T): ParsedCommandLine<T> {
  const names = spellings(table);
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [spelled, name] of names) {
    const def = table[name];
    config[spelled] = { type: def.parse ? 'string' : 'boolean', ...(spelled === name && def.short ? { short: def.short } : {}) };
  }
  const { tokens } = parseArgs({ args: normalize(argv, table, names), options: config, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const values: Record<string, unknown> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const name = names.get(token.name);
    // parseArgs reports a dashed spelling it did not know under the name it read.
    const spelled = token.rawName;
    if (name === undefined) throw usageError('CLI_UNKNOWN_OPTION', `unknown option ${spelled}`);
    const def = table[name];
    if (def.parse === undefined) {
      if (token.value !== undefined) throw usageError('CLI_UNEXPECTED_VALUE', `${spelled} takes no value`);
      values[name] = true;
    } else {
      if (token.value === undefined) throw usageError('CLI_MISSING_VALUE', `${spelled} needs a value`);
      // An option right after one that needs a value is a forgotten value, not a file named like an option
      // (`record x -o --force`); `-` alone is a value (stdout, stdin).
      if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-' && looksLikeOption(token.value, names, table)) {
        throw usageError('CLI_MISSING_VALUE', `${spelled} needs a value (${token.value} is an option; write --${name}=${token.value} if it is the value)`);
      }
      values[name] = def.parse(token.value, spelled);
    }
  }
  return { positionals, values: values as OptionValues<T> };
}

function looksLikeOption(text: string, names: Map<string, string>, table: OptionTable): boolean {
  if (text.startsWith('--')) return names.has(text.slice(2).split('=')[0]);
  if (text.length === 2) return shortName(table, text[1]) !== undefined;
  return names.has(text.slice(1));
}
