import { readFileSync } from 'node:fs';
import { runElf } from '../../client-sdk/index.js';
import { intOption, parseArgs } from './args.js';

export const RUN_USAGE = `usage: hindsight run <guest.elf> [--max-insns N] [--ram-mib N]

Runs a guest with the built-in devices (SBI console, sifive,test finisher) and exits with the guest's status:
0 for a finisher pass or a clean SBI shutdown, the finisher's fail code, or 1.`;

export function runCommand(argv: string[]): number {
  const args = parseArgs(argv, { 'max-insns': { value: true }, 'ram-mib': { value: true }, quiet: {} });
  if (args.positional.length !== 1) {
    process.stderr.write(`${RUN_USAGE}\n`);
    return 2;
  }
  const image = readFileSync(args.positional[0]);
  const ramMib = intOption(args, 'ram-mib');
  const result = runElf(image, {
    maxInsns: intOption(args, 'max-insns'),
    ramSize: ramMib === undefined ? undefined : ramMib * 1024 * 1024,
    onConsole: (bytes) => process.stdout.write(bytes),
  });
  if (!args.options.has('quiet')) {
    const what = result.message ? `${result.stop}: ${result.message}` : result.stop;
    process.stderr.write(`[hindsight] ${what}, exit code ${result.exitCode}, ${result.icount} instructions, ${result.exits} exits\n`);
  }
  return result.exitCode;
}
