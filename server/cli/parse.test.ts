import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { flag, option, parseCount, parseSize, value } from './command.js';
import { parseCommandLine } from './parse.js';

const TABLE = {
  output: value('FILE', 'out', { short: 'o' }),
  append: value('TEXT', 'cmdline', { aliases: ['bootargs'] }),
  kernel: value('FILE', 'image'),
  memory: option('SIZE', 'ram', parseSize('M'), { short: 'm' }),
  'max-insns': option('N', 'n', parseCount),
  force: flag('f', { short: 'f' }),
  quiet: flag('q', { short: 'q' }),
};

function codeOf(argv: string[]): string {
  try {
    parseCommandLine(argv, TABLE);
  } catch (e) {
    if (e instanceof CliError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'ok';
}

describe('parseCommandLine', () => {
  it('reads long, short, inline and QEMU one-dash spellings into typed values', () => {
    const r = parseCommandLine(['img', '-kernel', 'k', '-append', 'console=ttyS0 quiet', '-m', '256M', '--max-insns=1e6', '-fq', '-oout.hsj'], TABLE);
    expect(r.positionals).toEqual(['img']);
    expect(r.values).toEqual({ kernel: 'k', append: 'console=ttyS0 quiet', memory: 256 << 20, 'max-insns': 1_000_000, force: true, quiet: true, output: 'out.hsj' });
    expect(parseCommandLine(['--bootargs', 'x'], TABLE).values).toEqual({ append: 'x' });
    expect(parseCommandLine(['-m', '1G'], TABLE).values.memory).toBe(1 << 30);
    expect(parseCommandLine(['-m', '64'], TABLE).values.memory).toBe(64 << 20);
    expect(parseCommandLine(['-m', '512KiB'], TABLE).values.memory).toBe(512 << 10);
  });

  it('takes - and text after -- as values and arguments', () => {
    expect(parseCommandLine(['-o', '-'], TABLE).values.output).toBe('-');
    expect(parseCommandLine(['--', '-kernel', '--force'], TABLE).positionals).toEqual(['-kernel', '--force']);
    expect(parseCommandLine(['--output=--force'], TABLE).values.output).toBe('--force');
  });

  it('names each mistake with its code and the option as spelled', () => {
    expect(codeOf(['x', '-o'])).toBe('CLI_MISSING_VALUE: -o needs a value');
    expect(codeOf(['x', '--output'])).toBe('CLI_MISSING_VALUE: --output needs a value');
    expect(codeOf(['-o', '--force'])).toMatch(/^CLI_MISSING_VALUE: -o needs a value/);
    expect(codeOf(['--frob'])).toBe('CLI_UNKNOWN_OPTION: unknown option --frob');
    expect(codeOf(['-frob'])).toBe('CLI_UNKNOWN_OPTION: unknown option -frob');
    expect(codeOf(['-z'])).toBe('CLI_UNKNOWN_OPTION: unknown option -z');
    expect(codeOf(['--force=yes'])).toBe('CLI_UNEXPECTED_VALUE: --force takes no value');
    expect(codeOf(['-m', '12Q'])).toMatch(/^CLI_BAD_VALUE: -m takes a size/);
    expect(codeOf(['--max-insns', '-5'])).toMatch(/^CLI_BAD_VALUE: --max-insns takes a non-negative integer/);
    expect(codeOf(['--max-insns', 'lots'])).toMatch(/^CLI_BAD_VALUE/);
  });
});
