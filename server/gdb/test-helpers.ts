/**
 * For the tests that drive hindsight with the real debugger: Debian's gdb-multiarch in batch mode against the CLI
 * (`run|record|replay --gdb`, `hindsight gdb`), as a user would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'server', 'cli', 'main.js');
export const GUESTS = join(ROOT, 'guests');
export const elf = (name: string) => join(GUESTS, 'build', `${name}.elf`);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hindsight-gdb-'));
}

/** A hindsight process started with `--gdb 0` (or `gdb --port 0`), and the port its stub listens on. */
export interface HindsightProcess {
  proc: ChildProcess;
  port: Promise<number>;
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export function startHindsight(args: string[], env: NodeJS.ProcessEnv = {}): HindsightProcess {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout!.on('data', (b: Buffer) => { out += b.toString('latin1'); });
  const port = new Promise<number>((resolve, reject) => {
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString('latin1');
      const m = /gdb stub listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`hindsight exited (${code}) before listening: ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, port, exit, stdout: () => out, stderr: () => err };
}

/** Runs hindsight's CLI to completion (record, replay --verify). */
export function hindsight(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface GdbRun {
  /** Everything gdb printed (stdout and stderr interleaved as they came). */
  output: string;
  status: number | null;
}

/**
 * Runs gdb-multiarch in batch mode on `program` with `commands` after `target remote :port` (or `target remote
 * TARGET` when given a string: `| command` runs a stub on gdb's pipes, as qemuTarget does). With `interruptAfter`,
 * once that text appears in its output gdb gets one SIGINT (as Ctrl-C would send it), `interruptDelayMs` later;
 * with `signalAfter`, that is sent to another process instead (hindsight itself).
 */
export function runGdb(
  program: string, port: number | string, commands: string[],
  options: { interruptAfter?: string; interruptDelayMs?: number; signalAfter?: { process: ChildProcess; signal: NodeJS.Signals } } = {},
): Promise<GdbRun> {
  const dir = tempDir();
  const script = join(dir, 'commands.gdb');
  writeFileSync(script, [
    'set pagination off', 'set confirm off', 'set width 0', `directory ${GUESTS}`, `target remote ${typeof port === 'number' ? `:${port}` : port}`, ...commands, '',
  ].join('\n'));
  // One pipe for both streams: gdb writes monitor output (and errors) to stderr and the rest to stdout, flushing
  // stdout before each stderr write, so only a shared pipe keeps the order in which gdb printed them; two pipes are
  // read in whatever order their data arrives.
  const gdb = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', 'gdb-multiarch', '-batch', '-nx', '-x', script, program], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let interrupted = false;
  const onData = (b: Buffer) => {
    output += b.toString('latin1');
    if (options.interruptAfter !== undefined && !interrupted && output.includes(options.interruptAfter)) {
      interrupted = true;
      const { process: target, signal } = options.signalAfter ?? { process: gdb, signal: 'SIGINT' };
      setTimeout(() => target.kill(signal), options.interruptDelayMs ?? 500);
    }
  };
  gdb.stdout.on('data', onData);
  gdb.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { gdb.kill('SIGKILL'); reject(new Error(`gdb did not finish:\n${output}`)); }, 90_000);
    gdb.once('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run gdb-multiarch (install it): ${e.message}`)); });
    gdb.once('exit', (status) => {
      clearTimeout(timer);
      if (status === 127) reject(new Error(`cannot run gdb-multiarch (install it): ${output}`));
      else resolve({ output, status });
    });
  });
}

/**
 * QEMU virt with OpenSBI running `program` as its payload, halted before the first instruction, its gdb stub on
 * gdb's own pipes (no port to pick): a `target remote` argument for runGdb. The console goes nowhere.
 */
export function qemuTarget(program: string): string {
  return `| exec qemu-system-riscv64 -M virt -bios default -kernel ${program} -display none -serial none -monitor none -S -gdb stdio`;
}

/** gdb commands that run `command` and print its error instead of ending the batch (gdb stops a script at an error). */
export function tryCommand(command: string): string[] {
  return ['python', 'try:', `    gdb.execute(${JSON.stringify(command)})`, 'except gdb.error as e:', '    print("error:", e)', 'end'];
}

/** The text gdb printed between `echo MARK\n` commands: `section(out, 'A')` is what came after the line A. */
export function section(output: string, mark: string): string {
  const start = output.indexOf(`${mark}\n`);
  if (start < 0) throw new Error(`no ${mark} in:\n${output}`);
  const rest = output.slice(start + mark.length + 1);
  const end = rest.search(/^@@/m);
  return end < 0 ? rest : rest.slice(0, end);
}
