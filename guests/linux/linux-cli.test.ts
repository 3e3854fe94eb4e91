/**
 * The Linux boot through the real CLI in dist/ (npm test builds it first): `record` with --initrd, --append and
 * --input prints the boot log on the console and ends with the guest's clean shutdown; `replay --verify` re-runs
 * the journal, which carries the kernel and the initrd, bit-exactly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINUX_ALL_PASSED, LINUX_BANNER, LINUX_BOOTARGS, LINUX_INPUT, linuxDir } from '../../bench/linux-guest.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-linux-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

describe('hindsight record / replay --verify on the Linux boot', () => {
  it('records the boot with the console on stdout, then replays it bit-exactly', () => {
    const journal = join(dir, 'boot.hsj');
    const linux = linuxDir(ROOT);
    const rec = cli('record', join(linux, 'Image'), '--initrd', join(linux, 'initramfs.cpio'), '--append', LINUX_BOOTARGS,
      '--input', LINUX_INPUT.replace('\n', '\\n'), '-o', journal);
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout).toContain('Linux version 6.1.');
    expect(rec.stdout).toContain(LINUX_BANNER);
    expect(rec.stdout).toContain(LINUX_ALL_PASSED);
    expect(rec.stderr).toMatch(/\[hindsight\] shutdown, exit code 0, \d+ instructions/);

    const replay = cli('replay', journal, '--verify');
    expect(replay.status, replay.stderr + replay.stdout).toBe(0);
    const recordedDigest = /final digest ([0-9a-f]+)/.exec(rec.stderr)?.[1];
    expect(recordedDigest).toBeDefined();
    expect(replay.stdout + replay.stderr).toContain(recordedDigest!);

    const inspect = cli('inspect', journal, '--json');
    expect(inspect.status, inspect.stderr).toBe(0);
    const images = (JSON.parse(inspect.stdout) as { images: { name: string }[] }).images.map((i) => i.name);
    expect(images).toEqual(['Image', 'initrd']);
  }, 300_000);
});
