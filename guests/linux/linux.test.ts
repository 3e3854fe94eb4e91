/**
 * The Linux guest end to end: the committed kernel boots under the built-in userspace to its /init, which checks
 * the clock, memory, the initramfs, fork and a console line, and powers off through SBI SRST (a SYSTEM_EVENT
 * exit). The boot is recorded, replayed bit-exactly, and travelled in: seeks into the middle of the boot stand on
 * the state a straight replay had there. QEMU boots the same Image and initramfs (with OpenSBI) to the same banner.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bootLinuxOnQemu, LINUX_ALL_PASSED, LINUX_BANNER, LINUX_BOOTARGS, LINUX_INPUT, LINUX_PROMPT, loadLinuxGuest,
} from '../../bench/linux-guest.js';
import { LocalVmm, type RunResult } from '../../client-sdk/index.js';
import { MemoryJournalWriter, readJournal, replayJournal, type ParsedJournal } from '../../sim/index.js';
import { expectSeeksMatchStraightReplay } from '../../sim/timetravel/test-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const guest = loadLinuxGuest(ROOT);

let boot: RunResult;
let journal: ParsedJournal;

beforeAll(() => {
  let writer: MemoryJournalWriter | undefined;
  boot = new LocalVmm(guest.image, {
    initrd: guest.initrd, bootargs: LINUX_BOOTARGS, input: Buffer.from(LINUX_INPUT), imageName: 'Image',
    recordTo: (h) => (writer = new MemoryJournalWriter(h)),
  }).run();
  journal = readJournal(writer!.bytes());
}, 300_000);

describe('Linux boots to its init and powers off', () => {
  it('shows the kernel log, the init banner, every init check passing and the line typed, then a clean SRST shutdown', () => {
    expect(boot.console).toContain('Linux version 6.1.');
    expect(boot.console).toContain('Kernel command line: earlycon=sbi console=ttyS0');
    expect(boot.console).toContain('printk: console [ttyS0] enabled');
    expect(boot.console).toContain(LINUX_BANNER);
    expect(boot.console).toMatch(/init: Linux 6\.1\.\d+ riscv64/);
    for (const check of ['clock_gettime and nanosleep (the timer interrupt)', 'brk: 256 KiB', 'mmap: 4 MiB', 'open and read /etc/motd', 'fork a child', 'read a line']) {
      expect(boot.console).toMatch(new RegExp(`init: ${check.replace(/[()/]/g, '\\$&')}.*: ok`));
    }
    expect(boot.console).toContain(`init: read from the console: "${LINUX_INPUT.trim()}"`);
    expect(boot.console).toContain(LINUX_ALL_PASSED);
    expect(boot.console).not.toContain('FAILED');
    expect(boot.stop).toBe('shutdown');
    expect(boot.exitCode).toBe(0);
    const last = journal.exits[journal.exits.length - 1];
    expect(last.reason).toBe('SYSTEM_EVENT');
  });

  it('went through the PLIC and the UART interrupt, the Sstc timer and the SBI console on the way', () => {
    const events = new Map(boot.stats.map((r) => [r.event, r.count]));
    expect(events.get('MMIO')).toBeGreaterThan(1000);
    expect(events.get('RISCV_SBI')).toBeGreaterThan(100); // earlycon=sbi: the legacy console putchar
    // The device tree names Sstc, so the kernel programs stimecmp itself (the nanosleep check above needed its
    // interrupt) and never asks SBI for a timer.
    expect(boot.console).toContain('riscv-timer: Timer interrupt in S-mode is available via sstc extension');
    expect(events.get('sbi-time')).toBeUndefined();
    // The PLIC's output line reaches the hart as journaled inputs: raised for the UART, lowered once it is served.
    const irqs = journal.entries.map((e) => e.record).filter((r) => r.t === 'input' && r.input.kind === 'irq');
    expect(irqs.length).toBeGreaterThan(2);
  });

  it('replays bit-exactly, the image and initrd coming from the journal', () => {
    expect(journal.header.images.map((i) => i.role)).toEqual(['kernel', 'initrd']);
    const r = replayJournal(journal);
    expect(r.divergence).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.exits).toBe(journal.exits.length);
    expect(r.finalDigest).toBe(r.recordedDigest);
  });

  // The boot was recorded under the default tiers (the interpreter, hot code compiled); the tier is not part of the
  // run, so the interpreter alone, and the compiler taking every block, replay it exactly too.
  for (const tier of ['interp', 'jit'] as const) {
    it(`replays bit-exactly under the ${tier} tier`, () => {
      const r = replayJournal(journal, { tier: { tier } });
      expect(r.divergence).toBeUndefined();
      expect(r.exits).toBe(journal.exits.length);
      expect(r.finalDigest).toBe(r.recordedDigest);
    }, 300_000);
  }
});

describe('time travel in a Linux boot', () => {
  it('seeks into the middle of the boot, backwards and forwards, and stands where a straight replay stood', () => {
    const n = journal.exits.length;
    const last = journal.exits[n - 1].icount;
    const targets = [{ exit: Math.floor(n / 2) }, { icount: Math.floor(last / 3) }, { exit: Math.floor((n * 9) / 10) }, { icount: Math.floor(last * 0.6) }];
    expectSeeksMatchStraightReplay(journal, targets, { intervalInsns: 5_000_000 });
  }, 300_000);
});

describe('QEMU boots the same Image', () => {
  it('to the same init banner and checks (with OpenSBI as its firmware)', async () => {
    const qemu = (await bootLinuxOnQemu(ROOT, [], 100_000)).output;
    expect(qemu).toContain('OpenSBI');
    expect(qemu).toContain(LINUX_BANNER);
    expect(qemu).toContain(`init: read from the console: "${LINUX_INPUT.trim()}"`);
    expect(qemu).toContain(LINUX_ALL_PASSED);
    // The init's own lines that do not depend on timing are the same on both machines. Where the terminal echoes
    // the typed line differs: QEMU gets it after the prompt, hindsight as soon as the kernel's driver listens.
    const initLines = (s: string) => s.replace(/\r/g, '').split('\n').map((l) => l.replace(LINUX_PROMPT, '')).filter((l) => l.startsWith('init: ') && !/clock|pid/.test(l));
    expect(initLines(qemu)).toEqual(initLines(boot.console));
  }, 120_000);
});
