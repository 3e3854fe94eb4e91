import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { usageError } from './cli-error.js';
import { defineCommand, flag, option, parseCount, parsePositive, value } from './command.js';
import { TIER_OPTION } from './tier-option.js';

/** guests/build relative to the installed package (dist/server/cli → repository root). */
function defaultGuestsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'guests', 'build');
}

const BENCHES = ['cpu', 'journal', 'loopback', 'timetravel', 'linux', 'export', 'gdb', 'ui'] as const;
type Bench = (typeof BENCHES)[number];

function progress(bench: Bench): (what: string) => void {
  return (what) => process.stderr.write(`[bench ${bench}] ${what}\n`);
}

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'run a benchmark: cpu (default), journal, loopback, timetravel, linux, export, gdb or ui',
  usage: ['[cpu] [--repeats N] [--no-qemu] [--only a,b] [--guests DIR] [--tier NAME]', 'journal [--repeats N]', 'loopback', 'timetravel [--samples N]',
    'linux [--guest busybox|init] [--repeats N] [--no-qemu] [--tier NAME]', 'export [--repeats N]', 'gdb [--samples N]', 'ui [--repeats N] [--screenshots DIR]'],
  description: `cpu: the workloads in guests/build/bench-*.elf under hindsight and, when installed, qemu-system-riscv64
-icount shift=0. journal: recording overhead and replay speed. loopback: the service's MMIO round trips answered
by remote SDK clients. timetravel: seeks and checkpoint memory on a 1.1e9-instruction recording. linux: boot to
a busybox shell prompt and through a typed session to poweroff, against QEMU (--guest init: the small /init guest's
boot). export: trace export time and memory on console-flood (1.09 M exits). gdb: gdb-multiarch's
latency of reverse-stepi, reverse-continue and reverse-next on the 1.1e9-instruction recording. ui: the web UI's
first paint of console-flood's timeline in Debian's chromium, and its frame cost while zooming. Each prints its
progress on stderr and a table on stdout (docs/cli.md).`,
  options: {
    repeats: option('N', 'runs of each workload (median shown; default 3; linux --guest init: QEMU runs, default 1)', parsePositive),
    guest: value('NAME', 'linux: busybox (default: boot to a shell) or init (the small /init guest)'),
    'no-qemu': flag('skip the QEMU runs'),
    only: value('a,b', 'cpu: only these workloads (bench-NAME.elf)'),
    guests: value('DIR', 'where the guest ELFs are (default: the bundled guests/build)'),
    samples: option('N', 'timetravel, gdb: random places per measure (default 50; gdb 20)', parseCount),
    screenshots: value('DIR', 'ui: also write the screenshots docs/ui.md shows into DIR (docs)'),
    tier: TIER_OPTION,
  },
  positionals: { min: 0, max: 1, names: ['benchmark'] },
  async run(args) {
    const { values } = args;
    const which = args.positionals[0] ?? 'cpu';
    if (!(BENCHES as readonly string[]).includes(which)) throw usageError('CLI_UNKNOWN_COMMAND', `unknown benchmark '${which}' (there are ${BENCHES.join(', ')})`);
    const guestsDir = values.guests ?? defaultGuestsDir();
    switch (which as Bench) {
      case 'loopback': {
        const { formatLoopbackBench, runLoopbackBench } = await import('../../bench/loopback.js');
        const cli = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
        const report = await runLoopbackBench({ cli, guestsDir, vmCounts: [1, 8] });
        process.stdout.write(`${formatLoopbackBench(report)}\n(round trip: from an answer sent until the next exit arrives, the server's side and the network; client turnaround: from an exit's arrival to its answer sent; the server runs in its own process, the clients share this one; the echoes carry 100-byte messages between two Node processes with nothing of hindsight, the floor of any round trip here)\n`);
        return 0;
      }
      case 'linux': {
        const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
        const guest = values.guest ?? 'busybox';
        if (guest !== 'busybox' && guest !== 'init') throw usageError('CLI_BAD_VALUE', `--guest ${guest}: the Linux guests are busybox and init`);
        if (guest === 'busybox') {
          const { formatBusyboxBootBench, runBusyboxBootBench } = await import('../../bench/busybox-boot.js');
          const cli = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
          const report = await runBusyboxBootBench({ root, cli, repeats: values.repeats ?? 3, qemu: !values['no-qemu'], tier: values.tier, progress: progress('linux') });
          process.stdout.write(`${formatBusyboxBootBench(report)}\n(each row a separate process started as a user starts it: \`hindsight run|record|replay\` or qemu-system-riscv64 -M virt with its OpenSBI, the same Image and initramfs, \`shell\` on the command line; the prompt is ash's '/ # ' on the process's stdout; /init's scripted session typed one line per prompt, then exit = poweroff; CPU = the process's user + sys; median (min–max) of --repeats rounds, default 3, that alternate hindsight and QEMU)\n`);
          return 0;
        }
        const { formatLinuxBootBench, runLinuxBootBench } = await import('../../bench/linux-boot.js');
        const report = await runLinuxBootBench({ root, qemu: !values['no-qemu'], qemuRepeats: values.repeats ?? 1, tier: values.tier, progress: progress('linux') });
        process.stdout.write(`${formatLinuxBootBench(report)}\n(one boot each under hindsight, --repeats N for QEMU (median shown); the banner is /init's first line; QEMU boots the same Image and initramfs with OpenSBI, its times include start-up; the line at /init's prompt is typed when the prompt appears)\n`);
        return 0;
      }
      case 'timetravel': {
        const { formatTimeTravelBench, runTimeTravelBench } = await import('../../bench/timetravel.js');
        const report = runTimeTravelBench({ guestsDir, samples: values.samples ?? 50, progress: progress('timetravel') });
        process.stdout.write(`${formatTimeTravelBench(report)}\n(latencies over --samples random places, 50 by default; reverse-continue over a fifth of them, from random places to the latest earlier call of probe_device; checkpoint MiB = pageBytes + stateBytes)\n`);
        return 0;
      }
      case 'gdb': {
        const { formatGdbBench, runGdbBench } = await import('../../bench/gdb.js');
        const cli = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
        const report = await runGdbBench({ cli, guestsDir, samples: values.samples ?? 20, progress: progress('gdb') });
        process.stdout.write(`${formatGdbBench(report)}\n(each command timed by gdb itself around gdb.execute, from random places reached with monitor goto; the stub runs in its own process, \`hindsight replay --gdb\`)\n`);
        return 0;
      }
      case 'export': {
        const { formatExportBench, runExportBench } = await import('../../bench/export.js');
        const here = dirname(fileURLToPath(import.meta.url));
        const rows = runExportBench({ cli: join(here, 'main.js'), distDir: join(here, '..', '..'), guestsDir, repeats: values.repeats ?? 3, progress: progress('export') });
        process.stdout.write(`${formatExportBench(rows)}\n(each export in a fresh Node process, to a file in the temporary directory; peak RSS is that process's maxrss, Node included)\n`);
        return 0;
      }
      case 'ui': {
        // Loaded here: it drives chromium through playwright-core (a development dependency, and a large module
        // every other command would otherwise load at start).
        const { formatUiBench, runUiBench } = await import('../../bench/ui.js');
        const cli = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
        const report = await runUiBench({ cli, guestsDir, repeats: values.repeats ?? 5, screenshots: values.screenshots, progress: progress('ui') });
        process.stdout.write(`${formatUiBench(report)}\n(first paint: the page's hindsight:timeline-painted mark, ms from the navigation's start; cold: the first open after a newly started server (--repeats of them), which paints the exits walked so far while the server walks the journal, and when all exits were in; warm: later opens; frames: the canvas redraws while wheel-zooming 20 steps in and 10 out)\n`);
        return 0;
      }
      case 'journal': {
        const { formatJournalBench, runJournalBench } = await import('../../bench/journal.js');
        const rows = runJournalBench({ guestsDir, repeats: values.repeats ?? 3, progress: progress('journal') });
        process.stdout.write(`${formatJournalBench(rows)}\n(median of the repeats; the journal is written to a file in the temporary directory)\n`);
        return 0;
      }
      case 'cpu': {
        const { formatCpuBench, runCpuBench } = await import('../../bench/cpu.js');
        const rows = runCpuBench({ guestsDir, repeats: values.repeats ?? 3, qemu: !values['no-qemu'], only: values.only?.split(','), tier: values.tier, progress: progress('cpu') });
        process.stdout.write(`${formatCpuBench(rows)}\n`);
        process.stdout.write('(median of the repeats; QEMU times include its start-up and OpenSBI; MIPS use the guest instruction count)\n');
        return 0;
      }
    }
  },
});
