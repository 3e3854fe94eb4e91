/**
 * Boot to the init banner: the committed Linux guest under hindsight (run, record to a file, replay from it) and
 * on QEMU with the same Image and initramfs (OpenSBI as firmware; plain, -icount shift=0, and icount record-replay
 * with and without sleep=off). Prints guest instructions, wall seconds to the banner and to poweroff, and the exits
 * per reason. A benchmark, not a test.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalVmm } from '../client-sdk/index.js';
import { FileJournalWriter, readJournal, replayJournal, type Tier } from '../sim/index.js';
import { bootLinuxOnQemu, LINUX_BANNER, LINUX_BOOTARGS, LINUX_INPUT, loadLinuxGuest } from './linux-guest.js';
import { markdownTable } from './stats.js';

export interface LinuxBootRow {
  how: string;
  /** Guest instructions retired when the banner was printed (hindsight only: QEMU's count includes OpenSBI). */
  bannerInsns?: number;
  bannerSeconds: number;
  totalSeconds: number;
  note?: string;
}

export interface LinuxBootReport {
  rows: LinuxBootRow[];
  totalInsns: number;
  exits: { event: string; count: number }[];
  journalBytes: number;
  /** The run's share of instructions retired in compiled code, and its compiled WebAssembly (bytes). */
  compiledShare: number;
  codeBytes: number;
}

interface BootRun { row: Omit<LinuxBootRow, 'how'>; icount: number; exits: { event: string; count: number }[]; compiledShare: number; codeBytes: number }

function hindsightBoot(root: string, tier: Tier | undefined, recordFile?: string): BootRun {
  const guest = loadLinuxGuest(root);
  let text = '';
  let banner: { t: number; icount: number } | undefined;
  const t0 = performance.now();
  const vmm: LocalVmm = new LocalVmm(guest.image, {
    initrd: guest.initrd, bootargs: LINUX_BOOTARGS, input: Buffer.from(LINUX_INPUT), imageName: 'Image',
    tier: tier === undefined ? undefined : { tier },
    recordTo: recordFile === undefined ? undefined : (h) => new FileJournalWriter(recordFile, h),
    onConsole: (bytes) => {
      if (banner !== undefined) return;
      text += Buffer.from(bytes).toString('latin1');
      if (text.includes(LINUX_BANNER)) banner = { t: performance.now(), icount: vmm.machine.hart.icount };
    },
  });
  const result = vmm.run();
  const t1 = performance.now();
  if (result.stop !== 'shutdown' || banner === undefined) throw new Error(`the Linux guest did not boot: ${result.stop} ${result.message ?? ''}`);
  return {
    row: { bannerInsns: banner.icount, bannerSeconds: (banner.t - t0) / 1000, totalSeconds: (t1 - t0) / 1000 },
    icount: result.icount,
    exits: result.stats.filter((r) => r.kind === 'exit').map((r) => ({ event: r.event, count: r.count })),
    compiledShare: vmm.machine.hart.compiledStats.insns / result.icount,
    codeBytes: vmm.machine.hart.jit?.stats.codeBytes ?? 0,
  };
}

function hindsightReplay(file: string, tier: Tier | undefined): Omit<LinuxBootRow, 'how'> {
  const t0 = performance.now();
  const result = replayJournal(readJournal(readFileSync(file)), { tier: tier === undefined ? undefined : { tier } });
  if (!result.ok) throw new Error(`the boot's replay diverged: ${JSON.stringify(result.divergence)}`);
  return { bannerSeconds: NaN, totalSeconds: (performance.now() - t0) / 1000, note: 'whole boot, --verify' };
}

/** A QEMU boot as a row: the banner's and the exit's times, and what QEMU printed last if the banner never came. */
async function qemuBoot(root: string, extra: string[], timeoutMs: number): Promise<Omit<LinuxBootRow, 'how'>> {
  const boot = await bootLinuxOnQemu(root, extra, timeoutMs);
  const lastLine = boot.output.replace(/\r/g, '').trim().split('\n').pop() ?? '';
  const note = Number.isNaN(boot.bannerSeconds) ? `no banner: QEMU exited (${boot.exitCode}) after ${JSON.stringify(lastLine.slice(0, 80))}` : undefined;
  return { bannerSeconds: boot.bannerSeconds, totalSeconds: boot.totalSeconds, note };
}

export async function runLinuxBootBench(opts: { root: string; qemu: boolean; qemuRepeats?: number; tier?: Tier; progress?: (what: string) => void }): Promise<LinuxBootReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-linux-bench-'));
  const file = join(dir, 'boot.hsj');
  const rows: LinuxBootRow[] = [];
  try {
    opts.progress?.('hindsight run');
    const run = hindsightBoot(opts.root, opts.tier);
    rows.push({ how: 'hindsight run', ...run.row });
    opts.progress?.('hindsight record');
    rows.push({ how: 'hindsight record (to a file)', ...hindsightBoot(opts.root, opts.tier, file).row });
    const journalBytes = statSync(file).size;
    opts.progress?.('hindsight replay');
    rows.push({ how: 'hindsight replay', ...hindsightReplay(file, opts.tier) });
    if (opts.qemu) {
      const rr = join(dir, 'qemu.rr');
      const configs: [string, string[], string?][] = [
        ['QEMU (TCG, no icount)', []],
        ['QEMU -icount shift=0', ['-icount', 'shift=0']],
        ['QEMU -icount shift=0,rr=record', ['-icount', `shift=0,rr=record,rrfile=${rr}`], 'sleep=on (the default): idle time passes in real time'],
        ['QEMU -icount shift=0,sleep=off,rr=record', ['-icount', `shift=0,sleep=off,rr=record,rrfile=${rr}`]],
      ];
      for (const [how, extra, note] of configs) {
        // QEMU's icount record-replay timing varies from run to run (it sometimes stalls for a minute): repeat it.
        const runs: Omit<LinuxBootRow, 'how'>[] = [];
        for (let i = 0; i < (opts.qemuRepeats ?? 1); i++) {
          opts.progress?.(`${how} (${i + 1})`);
          runs.push(await qemuBoot(opts.root, extra, 600_000));
        }
        const banners = runs.map((r) => r.bannerSeconds);
        const spread = runs.length > 1 ? `${runs.length} runs, to banner ${banners.map((b) => (Number.isNaN(b) ? 'none' : b.toFixed(2))).join(' / ')} s` : undefined;
        const mid = [...runs].sort((a, b) => a.totalSeconds - b.totalSeconds)[Math.floor(runs.length / 2)];
        rows.push({ how, bannerSeconds: mid.bannerSeconds, totalSeconds: mid.totalSeconds, note: [note, spread, ...runs.map((r) => r.note)].filter((n) => n !== undefined).join('; ') });
      }
    }
    return { rows, totalInsns: run.icount, exits: run.exits, journalBytes, compiledShare: run.compiledShare, codeBytes: run.codeBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatLinuxBootBench(r: LinuxBootReport): string {
  const s = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(2));
  const table = markdownTable(['how', 'insns to banner', 's to banner', 's to poweroff', 'note'], 'lrrrl', r.rows.map((row) => [
    row.how, row.bannerInsns ?? '—', s(row.bannerSeconds), s(row.totalSeconds), row.note ?? '',
  ]));
  const exits = markdownTable(['exit', 'count'], 'lr', r.exits.map((e) => [e.event, e.count]));
  return `${table}\n\nWhole boot under hindsight: ${r.totalInsns} guest instructions, ${(100 * r.compiledShare).toFixed(1)}% of them compiled ` +
    `(${(r.codeBytes / 1024).toFixed(0)} KiB of WebAssembly), journal ${(r.journalBytes / 1024).toFixed(0)} KiB. Exits to userspace:\n\n${exits}`;
}
