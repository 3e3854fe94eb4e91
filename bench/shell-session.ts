/**
 * One timed console session with a process, as a user at a terminal has it: start the process, wait for the
 * guest's shell prompt on its stdout, type a line at each prompt, and wait for the process to end. Measures wall
 * time and the process's CPU time (user + sys, all its threads) both at the first prompt and at the end.
 *
 * The process runs under `sh`, in the background of a tiny script, only so that its CPU time can be read: at the
 * first prompt from /proc/PID/stat, at the end from the shell's `times` (its children's user and sys). Node cannot
 * read a child's rusage itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ShellPromptCounter } from './busybox-guest.js';

export interface ShellSession {
  /** Everything the process wrote to stdout (the guest's console), and its stderr. */
  output: string;
  stderr: string;
  exitCode: number | null;
  /** How many prompts the shell printed. */
  prompts: number;
  /** Seconds from the start to the first prompt (NaN if none came) and the process's CPU seconds by then. */
  promptSeconds: number;
  promptCpuSeconds: number;
  /** Seconds from the start to the process's exit, and its CPU seconds in all. */
  totalSeconds: number;
  cpuSeconds: number;
}

export interface ShellSessionOptions {
  command: string;
  args: string[];
  /** Typed one per prompt, each followed by a newline: lines[0] at the first prompt. */
  lines: string[];
  timeoutMs: number;
}

// Runs "$@" in the background with the script's stdin (an asynchronous command's stdin is /dev/null unless
// redirected), by a shell that reports its pid on fd 3 before it becomes the command (exec keeps the pid), waits
// for it, then reports the children's CPU times on fd 3.
const WRAPPER = 'exec 4<&0; sh -c \'echo "pid $$" >&3; exec "$@" 3>&-\' sh "$@" <&4 4<&- & wait $!; s=$?; times >&3; exit $s';

let clockTicks: number | undefined;
/** The kernel's clock ticks per second, the unit of /proc/PID/stat's times. */
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'latin1' }).trim());
  return clockTicks;
}

/** A running process's user + sys CPU seconds (all its threads), NaN if it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // After the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** The children's user + sys seconds from `times` output (its second line: `0m1.230000s 0m0.040000s`). */
export function childCpuSeconds(times: string): number {
  const lines = times.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1]?.trim() ?? '');
  if (m === null) return NaN;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** Runs one session. Rejects if the process cannot be started or does not end within timeoutMs. */
export function timeShellSession(o: ShellSessionOptions): Promise<ShellSession> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('sh', ['-c', WRAPPER, 'sh', o.command, ...o.args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
    const prompts = new ShellPromptCounter();
    let output = '', stderr = '', report = '';
    let pid: number | undefined;
    let promptSeconds = NaN, promptCpuSeconds = NaN, totalSeconds = NaN;
    let typed = 0;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${o.command} did not end in ${o.timeoutMs} ms; its console ended with:\n${output.slice(-2000)}`));
    }, o.timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run ${o.command}: ${e.message}`)); });
    child.stdio[3]!.on('data', (d: Buffer) => {
      report += d.toString('latin1');
      const reported = pid === undefined ? /^pid (\d+)\n/.exec(report) : null;
      if (reported === null) return;
      pid = Number(reported[1]);
      // The prompt's stdout may be handled before this pid's fd 3 report, though written after it.
      if (!Number.isNaN(promptSeconds) && Number.isNaN(promptCpuSeconds)) promptCpuSeconds = processCpuSeconds(pid);
    });
    // A line typed as the process ends meets a closed pipe: that is the process's business, not an error here.
    child.stdin!.on('error', () => {});
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString('latin1'); });
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      output += text;
      const seen = prompts.feed(text);
      if (seen > 0 && Number.isNaN(promptSeconds)) {
        promptSeconds = (performance.now() - t0) / 1000;
        if (pid !== undefined) promptCpuSeconds = processCpuSeconds(pid);
      }
      for (; typed < seen && typed < o.lines.length; typed++) child.stdin!.write(`${o.lines[typed]}\n`);
    });
    child.on('exit', () => { totalSeconds = (performance.now() - t0) / 1000; });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      child.stdin!.destroy();
      resolve({
        output, stderr, exitCode, prompts: prompts.count, promptSeconds, promptCpuSeconds, totalSeconds,
        cpuSeconds: childCpuSeconds(report.slice(report.indexOf('\n') + 1)),
      });
    });
  });
}
