/**
 * The Linux guest's console at a real terminal, through the CLI in dist/: `record` on a pseudo-terminal boots to
 * /init's prompt, waits there (idle, for as long as nobody types), takes the line typed, and the journal of that
 * session replays with --verify, giving back the same console output the terminal showed; replaying on a terminal
 * shows a progress line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINUX_ALL_PASSED, LINUX_BOOTARGS, LINUX_PROMPT, linuxDir } from '../../bench/linux-guest.js';
import { PtySession, quote } from '../../server/cli/test-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-linux-tty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Linux at a terminal', () => {
  it('boots to the prompt, takes a typed line, and the session replays bit-exactly with the same console', async () => {
    const journal = join(dir, 'tty.hsj');
    const linux = linuxDir(ROOT);
    const tty = new PtySession([process.execPath, CLI, 'record', '-kernel', join(linux, 'Image'), '-initrd', join(linux, 'initramfs.cpio'),
      '-append', LINUX_BOOTARGS, '-o', journal]);
    try {
      await tty.until(LINUX_PROMPT, 240_000);
      // The guest now idles at its prompt: nothing arrives for a while, then a line typed key by key.
      await new Promise((r) => setTimeout(r, 1000));
      for (const key of 'typed at a tty\r') {
        tty.type(key);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await tty.exited).toBe(0);
    } finally {
      tty.kill();
    }
    expect(tty.output).toContain('init: read from the console: "typed at a tty"');
    expect(tty.output).toContain(LINUX_ALL_PASSED);

    // The replay on a terminal too, its console to a file: stderr shows the progress line while it runs (from its
    // start: the replay can take less than the second after which the line normally appears).
    const consoleFile = join(dir, 'console.txt');
    const replay = new PtySession(`HINDSIGHT_PROGRESS_DELAY_MS=0 ${[process.execPath, CLI, 'replay', journal, '--verify', '--console'].map(quote).join(' ')} > ${quote(consoleFile)}`);
    try {
      expect(await replay.exited, replay.output).toBe(0);
    } finally {
      replay.kill();
    }
    expect(replay.output).toMatch(/\r\[replay\] [\d,]+ instructions, \d+ MIPS, [\d,]+ exits\x1b\[K/);
    expect(replay.output).toContain('\r\x1b[K');
    const strip = (text: string) => text.replace(/\r/g, '');
    const live = strip(tty.output).replace(/\[hindsight\][^\n]*\n/g, '');
    expect(strip(readFileSync(consoleFile, 'latin1')).replace(/final digest .*\n$/, '')).toBe(live);
  }, 400_000);
});
