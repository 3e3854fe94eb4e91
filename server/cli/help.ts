/** The text of `hindsight --help` and `hindsight COMMAND --help`, made from the command table. */
import { readFileSync } from 'node:fs';
import type { Command, OptionDef } from './command.js';

/** The package's version (from package.json beside dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const HELP_OPTION: OptionDef = { short: 'h', help: 'print this help and exit' };

function optionLines(options: Record<string, OptionDef>): string[] {
  const rows = Object.entries({ ...options, help: HELP_OPTION })
    .filter(([, def]) => !def.hidden)
    .map(([name, def]) => {
      const spelled = [def.short ? `-${def.short}, --${name}` : `    --${name}`, ...(def.aliases ?? []).map((a) => `--${a}`)].join(', ');
      return { left: `${spelled}${def.arg ? ` ${def.arg}` : ''}`, help: def.help };
    });
  const width = Math.min(34, Math.max(...rows.map((r) => r.left.length)) + 2);
  return rows.map((r) => {
    const [first, ...rest] = r.help.split('\n');
    const pad = ' '.repeat(width + 2);
    return r.left.length + 2 > width
      ? [`  ${r.left}`, `${pad}${first}`, ...rest.map((l) => `${pad}${l}`)].join('\n')
      : [`  ${r.left.padEnd(width)}${first}`, ...rest.map((l) => `${pad}${l}`)].join('\n');
  });
}

/** `usage: hindsight NAME ...`, one line per form. */
export function usageLines(command: Command): string {
  return command.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}hindsight ${command.name}${u ? ` ${u}` : ''}`).join('\n');
}

export function commandHelp(command: Command): string {
  return [
    usageLines(command), '',
    command.summary.charAt(0).toUpperCase() + command.summary.slice(1) + '.',
    ...(command.description ? ['', command.description] : []),
    '', 'options:', ...optionLines(command.options),
    '', 'A long option may also be written with one dash, as QEMU spells them (-kernel, -append, -initrd).',
  ].join('\n');
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'usage: hindsight <command> [options]',
    '       hindsight <command> --help',
    '       hindsight --version',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Exit status: the guest\'s for run and record; 2 for a mistake on the command line or in a file given (with a',
    'stable code in brackets); 70 for an internal error. docs/cli.md has every command, option and code.',
  ].join('\n');
}
