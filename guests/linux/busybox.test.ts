/**
 * The busybox guest under hindsight, against QEMU 7.2 on the same Image and initramfs: the scripted session runs to
 * its end and powers off; the lines that do not depend on timing (comparableLines) are QEMU's lines; the recording
 * replays bit-exactly; seeks into the middle of the session stand where a straight replay stood; and `shell` on the
 * command line gives an interactive shell.
 * (busybox-qemu.test.ts checks the QEMU side on its own.)
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bootBusyboxOnQemu, BUSYBOX_BANNER, BUSYBOX_BOOTARGS, BUSYBOX_DONE, BUSYBOX_SHELL_BOOTARGS, comparableLines,
  loadBusyboxGuest, sessionLines,
} from '../../bench/busybox-guest.js';
import { LocalVmm, type RunResult } from '../../client-sdk/index.js';
import { MemoryJournalWriter, readJournal, replayJournal, type ParsedJournal } from '../../sim/index.js';
import { expectSeeksMatchStraightReplay } from '../../sim/timetravel/test-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** QEMU -icount counts ~124 million instructions for the whole run: this bound ends a guest stuck in a panic. */
const MAX_INSNS = 600_000_000;

describe('the busybox guest on hindsight', () => {
  const guest = loadBusyboxGuest(ROOT);
  let boot: RunResult;
  let journal: ParsedJournal;
  let qemuSession: string[];

  beforeAll(async () => {
    // QEMU first: LocalVmm.run() holds the event loop, which would leave QEMU's output unread and its timeout due.
    qemuSession = sessionLines((await bootBusyboxOnQemu(ROOT, { timeoutMs: 200_000 })).output);
    let writer: MemoryJournalWriter | undefined;
    boot = new LocalVmm(guest.image, {
      initrd: guest.initrd, bootargs: BUSYBOX_BOOTARGS, imageName: 'Image', maxInsns: MAX_INSNS,
      recordTo: (h) => (writer = new MemoryJournalWriter(h)),
    }).run();
    journal = readJournal(writer!.bytes());
  }, 600_000);

  it('runs the scripted session to its end and powers off cleanly', () => {
    expect(boot.console).not.toContain('Kernel panic');
    const session = sessionLines(boot.console);
    expect(session[0]).toBe(BUSYBOX_BANNER);
    expect(session[session.length - 1]).toBe(BUSYBOX_DONE);
    expect(boot.console).toContain('reboot: Power down');
    expect(boot.stop).toBe('shutdown');
    expect(boot.exitCode).toBe(0);
  });

  it("prints QEMU's lines, apart from those that depend on timing or on the machine's description", () => {
    expect(qemuSession[qemuSession.length - 1]).toBe(BUSYBOX_DONE);
    expect(comparableLines(sessionLines(boot.console))).toEqual(comparableLines(qemuSession));
  });

  it('replays bit-exactly, the image and initrd coming from the journal', () => {
    expect(boot.stop).toBe('shutdown');
    expect(journal.header.images.map((i) => i.role)).toEqual(['kernel', 'initrd']);
    const r = replayJournal(journal);
    expect(r.divergence).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.finalDigest).toBe(r.recordedDigest);
  }, 600_000);

  it('seeks into the middle of the session and stands where a straight replay stood', () => {
    expect(boot.stop).toBe('shutdown');
    // The session is the last part of the run: aim past the middle of the run and near its end.
    const n = journal.exits.length;
    const last = journal.exits[n - 1].icount;
    const targets = [{ exit: Math.floor(n * 0.8) }, { icount: Math.floor(last * 0.7) }, { exit: Math.floor(n * 0.95) }, { icount: Math.floor(last * 0.9) }];
    expectSeeksMatchStraightReplay(journal, targets, { intervalInsns: 20_000_000 });
  }, 900_000);

  it('gives an interactive shell when the command line says `shell`', () => {
    const shell = new LocalVmm(guest.image, {
      initrd: guest.initrd, bootargs: BUSYBOX_SHELL_BOOTARGS, imageName: 'Image', maxInsns: MAX_INSNS,
      input: Buffer.from('echo $((6*7)) $(tty); exit\n'),
    }).run();
    const out = shell.console.replace(/\r/g, '');
    expect(out).toContain('built-in shell (ash)');
    expect(out).toContain('\n42 /dev/ttyS0\n');
    expect(shell.stop).toBe('shutdown');
  }, 600_000);
});
