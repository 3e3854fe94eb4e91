/**
 * Boot to a shell: the busybox guest (Debian's busybox and glibc) booted with `shell` on its command line, under the
 * hindsight CLI (run, record to a file, replay --verify of that recording) and under QEMU 7.2 (TCG, with and
 * without -icount shift=0) on the same Image and initramfs with QEMU's bundled OpenSBI. Each is a separate process
 * started as a user starts it, its console read from its stdout: the time to the shell's first prompt
 * (boot-to-shell), then /init's scripted session typed one line per prompt and `exit`, to the process's end
 * (poweroff). Wall and CPU seconds, `repeats` rounds that alternate hindsight and QEMU, median and range.
 * A benchmark, not a test.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleTap } from '../server/cli/console-tap.js';
import { readJournal, replayJournal, type Tier } from '../sim/index.js';
import { BUSYBOX_SHELL_BOOTARGS, busyboxDir, busyboxInit, ShellPromptCounter, typedSession } from './busybox-guest.js';
import { qemuVirtArgs } from './linux-guest.js';
import { timeShellSession, type ShellSession } from './shell-session.js';
import { markdownTable, median } from './stats.js';

export interface ShellBootRow {
  how: string;
  sessions: ShellSession[];
  /** Guest instructions of each session (hindsight only: from the CLI's summary line). */
  insns: number[];
  /** False for a replay: it does not wait at the prompt, so the moment this process reads it says little. */
  promptTimed: boolean;
}

export interface ShellBootReport {
  rows: ShellBootRow[];
  /** Instructions hindsight's guest retired up to its first prompt (the same in every run: nothing was typed yet). */
  promptInsns: number;
  journalBytes: number;
  typedLines: number;
}

/** typed: the session is typed at its prompts (a replay's input comes from its recording, and nothing waits for it). */
interface Config { how: string; command: string; args: (journal: string) => string[]; typed: boolean; hindsight: boolean }

function configs(o: { root: string; cli: string; qemu: boolean; tier?: Tier }): Config[] {
  const dir = busyboxDir(o.root);
  const image = join(dir, 'Image'), initrd = join(dir, 'initramfs.cpio');
  const tier = o.tier === undefined ? [] : ['--tier', o.tier];
  const guest = [image, '--initrd', initrd, '--append', BUSYBOX_SHELL_BOOTARGS, ...tier];
  const node = (args: (journal: string) => string[], how: string, typed: boolean): Config =>
    ({ how, command: process.execPath, args: (j) => [o.cli, ...args(j)], typed, hindsight: true });
  const qemu = (how: string, extra: string[]): Config =>
    ({ how, command: 'qemu-system-riscv64', args: () => qemuVirtArgs(image, initrd, BUSYBOX_SHELL_BOOTARGS, extra), typed: true, hindsight: false });
  return [
    node(() => ['run', ...guest], 'hindsight run', true),
    node((j) => ['record', ...guest, '-o', j, '--force'], 'hindsight record', true),
    node((j) => ['replay', j, '--verify', '--console', ...tier], 'hindsight replay --verify', false),
    ...(o.qemu ? [qemu('QEMU 7.2 (TCG)', []), qemu('QEMU 7.2 -icount shift=0', ['-icount', 'shift=0'])] : []),
  ];
}

/** The guest instructions in the CLI's summary line (`..., N instructions, ...` on stderr). */
export function summaryInstructions(stderr: string): number {
  const m = /(\d+) instructions/.exec(stderr);
  return m === null ? NaN : Number(m[1]);
}

/** Instructions retired up to the first prompt, from a replay of the recording with its console reconstructed. */
function instructionsToPrompt(file: string, tier: Tier | undefined): number {
  const prompts = new ShellPromptCounter();
  let icount = NaN;
  let current: { hart: { icount: number } } | undefined;
  const tap = new ConsoleTap((bytes) => {
    if (prompts.feed(Buffer.from(bytes).toString('latin1')) > 0 && Number.isNaN(icount)) icount = current!.hart.icount;
  });
  replayJournal(readJournal(readFileSync(file)), {
    tier: tier === undefined ? undefined : { tier },
    onExit: (exit, _answer, machine) => { current = machine; tap.exit(exit, machine); },
  });
  return icount;
}

export async function runBusyboxBootBench(o: { root: string; cli: string; repeats: number; qemu: boolean; tier?: Tier; progress?: (what: string) => void }): Promise<ShellBootReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-busybox-bench-'));
  const journal = join(dir, 'shell.hsj');
  const lines = typedSession(busyboxInit(o.root));
  const all = configs(o);
  const rows: ShellBootRow[] = all.map((c) => ({ how: c.how, sessions: [], insns: [], promptTimed: c.typed }));
  try {
    for (let round = 1; round <= o.repeats; round++) {
      for (const [i, c] of all.entries()) {
        o.progress?.(`${c.how} (${round} of ${o.repeats})`);
        const s = await timeShellSession({ command: c.command, args: c.args(journal), lines: c.typed ? lines : [], timeoutMs: 600_000 });
        // Every session must have reached the shell and run to its end: a prompt per typed line, then a clean exit.
        if (s.exitCode !== 0 || s.prompts < lines.length) {
          throw new Error(`${c.how}: exit code ${s.exitCode} after ${s.prompts} of ${lines.length} prompts; stderr:\n${s.stderr.slice(-1000)}\nconsole ended with:\n${s.output.slice(-1500)}`);
        }
        rows[i].sessions.push(s);
        if (c.hindsight) rows[i].insns.push(summaryInstructions(s.stderr));
      }
    }
    o.progress?.('instructions to the first prompt (a replay in this process)');
    return { rows, promptInsns: instructionsToPrompt(journal, o.tier), journalBytes: statSync(journal).size, typedLines: lines.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `median (min–max)` of the samples, or the one sample. */
export function medianRange(xs: number[], digits = 2): string {
  const f = (v: number) => v.toFixed(digits);
  if (xs.length === 1) return f(xs[0]);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

export function formatBusyboxBootBench(r: ShellBootReport): string {
  const table = markdownTable(
    ['how', 's to prompt', 'CPU s to prompt', 's to poweroff', 'CPU s to poweroff', 'guest insns'], 'lrrrrr',
    r.rows.map((row) => {
      const pick = (k: 'promptSeconds' | 'promptCpuSeconds' | 'totalSeconds' | 'cpuSeconds') => medianRange(row.sessions.map((s) => s[k]));
      // A replay runs on past its prompt at once: the time this process reads the prompt is its own latency's.
      const atPrompt = (k: 'promptSeconds' | 'promptCpuSeconds') => (row.promptTimed ? pick(k) : '—');
      return [row.how, atPrompt('promptSeconds'), atPrompt('promptCpuSeconds'), pick('totalSeconds'), pick('cpuSeconds'),
        row.insns.length === 0 ? '—' : median(row.insns).toLocaleString('en-US')];
    }));
  return `${table}\n\nhindsight's guest reaches the prompt after ${r.promptInsns.toLocaleString('en-US')} instructions; ` +
    `the recording is ${(r.journalBytes / 1024).toFixed(0)} KiB; ${r.typedLines} lines typed, one per prompt.`;
}
