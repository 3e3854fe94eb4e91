/**
 * The boot-to-shell benchmark's parts that decide what it measures: where the busybox shell's prompt is on a console
 * (recorded console text), the session it types, the CPU times it reads, and a whole timed session against a stand-in
 * for the guest (a shell script that prints the notice and prompts). No timings are asserted: the benchmark itself
 * (`npm run bench:linux`, about two minutes per round) is not run here.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busyboxInit, BUSYBOX_PROMPT, BUSYBOX_SHELL_NOTICE, ShellPromptCounter, typedSession } from './busybox-guest.js';
import { summaryInstructions } from './busybox-boot.js';
import { childCpuSeconds, processCpuSeconds, timeShellSession } from './shell-session.js';

const ROOT = resolve(import.meta.dirname, '..');

/** QEMU 7.2's console around the shell's start and its first command, as the tty wrote it (\r\n, ESC [ 6 n). */
const QEMU_CONSOLE = [
  '[    0.642678] Run /init as init process',
  '*** hindsight busybox: userspace is up ***',
  BUSYBOX_SHELL_NOTICE,
  '',
  '',
  'BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1) built-in shell (ash)',
  "Enter 'help' for a list of built-in commands.",
  '',
  '/ # \x1b[6necho $((6*7))',
  '42',
  '/ # exit',
  '[   24.708943] reboot: Power down',
].join('\r\n');

describe('ShellPromptCounter', () => {
  it('finds the prompts of recorded console text, whole or a byte at a time', () => {
    const whole = new ShellPromptCounter();
    expect(whole.feed(QEMU_CONSOLE)).toBe(2);
    const bytes = new ShellPromptCounter();
    const counts = [...QEMU_CONSOLE].map((c) => bytes.feed(c));
    expect(bytes.count).toBe(2);
    // The first prompt counts at its last byte (the space after '#'), not before.
    const firstPromptEnd = QEMU_CONSOLE.indexOf(`\n${BUSYBOX_PROMPT}`) + 1 + BUSYBOX_PROMPT.length;
    expect(counts.indexOf(1)).toBe(firstPromptEnd - 1);
  });

  it('counts nothing before the shell notice, even a line that looks like a prompt', () => {
    const c = new ShellPromptCounter();
    expect(c.feed(`[    0.1] boot\r\n${BUSYBOX_PROMPT}not a shell yet\r\n`)).toBe(0);
    expect(c.feed(`${BUSYBOX_SHELL_NOTICE}\r\n\r\n`)).toBe(0);
    expect(c.feed('hs# / # is not at the start of a line\r\n')).toBe(0);
    expect(c.feed(BUSYBOX_PROMPT)).toBe(1);
  });
});

describe('typedSession', () => {
  it("types /init's run() definition, each of its run lines as written, then exit", () => {
    const init = busyboxInit(ROOT);
    const lines = typedSession(init);
    expect(lines[0]).toMatch(/^run\(\) \{ .*\}$/);
    expect(lines[lines.length - 1]).toBe('exit');
    expect(lines).toContain("run 'uname -a'");
    const runLines = init.split('\n').filter((l) => l.startsWith('run '));
    expect(lines.slice(1, -1)).toEqual(runLines);
  });

  it('refuses an /init without a scripted session', () => {
    expect(() => typedSession('#!/bin/sh\nexec sh\n')).toThrow(/changed shape/);
  });
});

describe('the times it reads', () => {
  it("reads the children's user + sys from sh's times, and a live process's CPU seconds from /proc", () => {
    expect(childCpuSeconds('0m0.010000s 0m0.000000s\n1m2.500000s 0m0.250000s\n')).toBeCloseTo(62.75, 6);
    expect(childCpuSeconds('garbage')).toBeNaN();
    const mine = processCpuSeconds(process.pid);
    expect(mine).toBeGreaterThan(0);
    expect(processCpuSeconds(2 ** 30)).toBeNaN();
    expect(summaryInstructions('[hindsight] shutdown, exit code 0, 120803290 instructions, 19064 exits\n')).toBe(120803290);
    expect(summaryInstructions('[hindsight] replayed 19064 of 19064 exits, 120803290 instructions; closed recording\n')).toBe(120803290);
  });
});

describe('timeShellSession', () => {
  it('types a line at each prompt and times the session to the first prompt and to the end', async () => {
    // A stand-in guest: the notice, a prompt per line read, and a little CPU work before the first prompt.
    const guest = `i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
printf '%s\\r\\n\\r\\n' '${BUSYBOX_SHELL_NOTICE}'
printf '${BUSYBOX_PROMPT}'
while read -r line; do printf 'got %s\\r\\n' "$line"; [ "$line" = exit ] && exit 0; printf '${BUSYBOX_PROMPT}'; done
exit 3`;
    const s = await timeShellSession({ command: 'sh', args: ['-c', guest], lines: ['echo one', 'exit'], timeoutMs: 30_000 });
    expect(s.exitCode).toBe(0);
    expect(s.prompts).toBe(2);
    expect(s.output.replace(/\r/g, '')).toContain('got echo one\n/ # got exit\n');
    expect(s.promptSeconds).toBeGreaterThan(0);
    expect(s.promptSeconds).toBeLessThanOrEqual(s.totalSeconds);
    expect(s.promptCpuSeconds).toBeGreaterThanOrEqual(0);
    expect(s.cpuSeconds).toBeGreaterThanOrEqual(s.promptCpuSeconds);
  });

  it("reports a process that ends without a prompt, with its exit code", async () => {
    const s = await timeShellSession({ command: 'sh', args: ['-c', 'echo no shell here; exit 5'], lines: ['exit'], timeoutMs: 30_000 });
    expect(s.exitCode).toBe(5);
    expect(s.prompts).toBe(0);
    expect(s.promptSeconds).toBeNaN();
  });
});
