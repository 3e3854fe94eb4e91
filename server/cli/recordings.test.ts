/**
 * rr-like recordings through the real CLI in dist/: `record` without -o writes NAME-N.hsj into $HINDSIGHT_DIR,
 * `ls` lists them, `replay`/`inspect` take `latest`, a name, or nothing; --force overwrites; `--exit-log -` is
 * stdout; QEMU's spellings (-kernel, -m 64M) run the same guest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
const HELLO = join(ROOT, 'guests/build/hello.elf');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-recdir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, HINDSIGHT_DIR: dir }, input: '' });
  if (r.error) throw r.error;
  return r;
}

describe('the recordings directory', () => {
  it('numbers new recordings, lists them oldest first, and resolves latest, a name, or nothing to the newest', () => {
    const first = cli('record', HELLO, '--quiet');
    expect(first.status, first.stderr).toBe(0);
    const second = cli('record', '-kernel', HELLO, '-m', '64M');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toContain(`recorded ${join(dir, 'hello-1.hsj')}`);

    const ls = cli('ls', '--json');
    const listed = ls.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; image: string; closed: boolean });
    expect(listed.map((l) => l.name)).toEqual(['hello-0', 'hello-1']);
    expect(listed.every((l) => l.image === 'hello.elf' && l.closed)).toBe(true);
    expect(cli('ls').stdout).toMatch(/hello-1 .* hello\.elf .* instructions|hello-1 .*insns/);

    const ram = (name: string[]) => (JSON.parse(cli('inspect', ...name, '--json').stdout) as { file: string; machine: { ramSize: number } });
    expect(ram([]).file).toBe(join(dir, 'hello-1.hsj'));
    expect(ram(['latest']).machine.ramSize).toBe(64 << 20);
    expect(ram(['hello-0']).machine.ramSize).toBe(128 << 20);
    expect(cli('replay', '--verify').status).toBe(0);
    expect(cli('replay', 'hello-0', '--verify').status).toBe(0);
  });

  it('overwrites a journal only with --force', () => {
    const out = join(dir, 'forced.hsj');
    expect(cli('record', HELLO, '-o', out, '--quiet').status).toBe(0);
    expect(cli('record', HELLO, '-o', out, '--quiet').status).toBe(2);
    expect(cli('record', HELLO, '-o', out, '--quiet', '--force').status).toBe(0);
    expect(cli('replay', out, '--verify').status).toBe(0);
  });
});

describe('--exit-log -', () => {
  it('writes the exit log on stdout and moves the console to stderr', () => {
    const r = cli('run', HELLO, '--exit-log', '-', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    expect(r.stderr).toContain('Hello from a hindsight guest!');
    const replay = cli('replay', join(dir, 'hello-0.hsj'), '--exit-log', '-');
    expect(replay.stdout.trim().split('\n')).toHaveLength(lines.length);
    expect(replay.stderr).toContain('final digest');
  });
});
