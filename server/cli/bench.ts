import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { formatCpuBench, runCpuBench } from '../../bench/cpu.js';
import { formatJournalBench, runJournalBench } from '../../bench/journal.js';
import { formatLinuxBootBench, runLinuxBootBench } from '../../bench/linux-boot.js';
import { formatLoopbackBench, runLoopbackBench } from '../../bench/loopback.js';
import { formatTimeTravelBench, runTimeTravelBench } from '../../bench/timetravel.js';
import { intOption, parseArgs } from './args.js';

/** guests/build relative to the installed package (dist/server/cli → repository root). */
function defaultGuestsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'guests', 'build');
}

export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { repeats: { value: true }, 'no-qemu': {}, only: { value: true }, guests: { value: true }, samples: { value: true } });
  if (args.positional[0] === 'loopback') {
    const guestsDir = String(args.options.get('guests') ?? defaultGuestsDir());
    const cli = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
    const report = await runLoopbackBench({ cli, guestsDir, vmCounts: [1, 8] });
    process.stdout.write(`${formatLoopbackBench(report)}\n(round trip: from an answer sent until the next exit arrives, the server's side and the network; client turnaround: from an exit's arrival to its answer sent; the server runs in its own process, the clients share this one; the echoes carry 100-byte messages between two Node processes with nothing of hindsight, the floor of any round trip here)\n`);
    return 0;
  }
  if (args.positional[0] === 'linux') {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const report = await runLinuxBootBench({ root, qemu: !args.options.has('no-qemu'), qemuRepeats: intOption(args, 'repeats') ?? 1, progress: (what) => process.stderr.write(`[bench linux] ${what}\n`) });
    process.stdout.write(`${formatLinuxBootBench(report)}\n(one boot each under hindsight, --repeats N for QEMU (median shown); the banner is /init's first line; QEMU boots the same Image and initramfs with OpenSBI, its times include start-up; the line at /init's prompt is typed when the prompt appears)\n`);
    return 0;
  }
  if (args.positional[0] === 'timetravel') {
    const report = runTimeTravelBench({
      guestsDir: String(args.options.get('guests') ?? defaultGuestsDir()), samples: intOption(args, 'samples') ?? 50,
      progress: (what) => process.stderr.write(`[bench timetravel] ${what}\n`),
    });
    process.stdout.write(`${formatTimeTravelBench(report)}\n(latencies over --samples random places, 50 by default; reverse-continue over a fifth of them, from random places to the latest earlier call of probe_device; checkpoint MiB = pageBytes + stateBytes)\n`);
    return 0;
  }
  if (args.positional[0] === 'journal') {
    const rows = runJournalBench({ guestsDir: String(args.options.get('guests') ?? defaultGuestsDir()), repeats: intOption(args, 'repeats') ?? 3 });
    process.stdout.write(`${formatJournalBench(rows)}\n(median of the repeats; the journal is written to a file in the temporary directory)\n`);
    return 0;
  }
  const only = args.options.get('only');
  const rows = runCpuBench({
    guestsDir: String(args.options.get('guests') ?? defaultGuestsDir()),
    repeats: intOption(args, 'repeats') ?? 3,
    qemu: !args.options.has('no-qemu'),
    only: typeof only === 'string' ? only.split(',') : undefined,
  });
  process.stdout.write(`${formatCpuBench(rows)}\n`);
  process.stdout.write('(median of the repeats; QEMU times include its start-up and OpenSBI; MIPS use the guest instruction count)\n');
  return 0;
}
