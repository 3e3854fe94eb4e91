/**
 * The live console of `run`/`record`, through the real CLI in dist/: keys typed at a pseudo-terminal reach a
 * polling guest as they are typed, the Ctrl-A escapes work, and the journal of the session replays with --verify
 * and gives back the same console output; input from a pipe is delivered when it arrives, not read to EOF first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ESCAPE_HELP } from './live-console.js';
import { PtySession } from './test-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
const guest = (name: string) => join(ROOT, 'guests/build', `${name}.elf`);
const dir = mkdtempSync(join(tmpdir(), 'hindsight-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Done { status: number | null; stdout: string; stderr: string; ms: number }

/** The CLI with stdin a pipe the test writes to when it likes (`feed` gets the write end). */
function withPipe(args: string[], feed: (write: (text: string | null) => void) => void): Promise<Done> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.on('error', () => {});
  feed((text) => (text === null ? child.stdin.end() : child.stdin.write(text)));
  return new Promise((ok) => child.on('close', (status) => ok({ status, stdout, stderr, ms: Date.now() - started })));
}

function cliSync(...args: string[]): Promise<Done> {
  return withPipe(args, (write) => write(null));
}

/** The guest's console as a terminal showed it: without what hindsight itself printed there, and the tty's \r. */
function guestText(terminal: string): string {
  return terminal
    .replace(/\r/g, '')
    .replace(/\n\[hindsight\] \d+ instructions[^\n]*\n/g, '')
    .replace(`\n${ESCAPE_HELP}\n`, '')
    .replace(/\[hindsight\][^\n]*\n/g, '');
}

describe('a terminal session', () => {
  it('types lines into a polling guest, answers Ctrl-A c and h, and records a journal that replays the same output', async () => {
    const journal = join(dir, 'echo.hsj');
    const tty = new PtySession([process.execPath, CLI, 'record', guest('console-echo'), '-o', journal]);
    try {
      await tty.until('> ');
      expect(tty.output).toContain('Ctrl-A x quits');
      tty.type('hello');
      await tty.until('hello');
      tty.type('\r');
      await tty.until('line 1: "hello"');
      const mark = tty.output.length;
      tty.type('\x01c');
      await tty.until(/\[hindsight\] \d+ instructions, pc 0x8/, 10_000, mark);
      tty.type('\x01h');
      await tty.until('Ctrl-A x   quit', 10_000, mark);
      tty.type('second\x01a\rquit\r');
      expect(await tty.exited).toBe(0);
    } finally {
      tty.kill();
    }
    expect(tty.output).toContain('line 2: "second\x01"');
    expect(tty.output).toMatch(/\[hindsight\] finisher, exit code 0/);

    const verify = await cliSync('replay', journal, '--verify');
    expect(verify.status, verify.stderr).toBe(0);
    const replayed = await cliSync('replay', journal, '--console');
    const console = replayed.stdout.replace(/final digest .*\n$/, '');
    expect(console).toContain('line 1: "hello"\n> second\x01\nline 2: "second\x01"\n> quit\nline 3: "quit"\n');
    expect(guestText(tty.output)).toBe(console);
    const inspect = JSON.parse((await cliSync('inspect', journal, '--json')).stdout) as { inputs: number };
    expect(inspect.inputs).toBeGreaterThanOrEqual(3);
  });

  it('quits on Ctrl-A x, closing the journal where the guest stood', async () => {
    const journal = join(dir, 'quit.hsj');
    const tty = new PtySession([process.execPath, CLI, 'record', guest('console-echo'), '-o', journal]);
    try {
      await tty.until('> ');
      tty.type('abc\x01x');
      expect(await tty.exited).toBe(0);
    } finally {
      tty.kill();
    }
    expect(tty.output).toMatch(/\[hindsight\] quit: Ctrl-A x, exit code 0/);
    const verify = await cliSync('replay', journal, '--verify', '--json');
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: true, closed: true });
  });
});

describe('a signal', () => {
  it('SIGTERM stops a recording where the guest stands, closes its journal, and exits 143', async () => {
    const journal = join(dir, 'term.hsj');
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'record', guest('console-echo'), '-o', journal], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGTERM'), 300));
    const status = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(status, stderr).toBe(143);
    expect(stderr).toMatch(/\[hindsight\] interrupted: SIGTERM/);
    expect(Date.now() - started).toBeLessThan(30_000);
    const verify = await cliSync('replay', journal, '--verify', '--json');
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: true, closed: true });
  });
});

describe('input from a pipe', () => {
  it('reaches a guest that sleeps in WFI when it arrives, seconds late, and the recording replays', async () => {
    const journal = join(dir, 'late.hsj');
    const done = await withPipe(['record', guest('uart-irq'), '-o', journal], (write) => {
      setTimeout(() => { write('hello uart\n'); }, 1500);
    });
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain('got: hello uart');
    expect(done.ms).toBeGreaterThanOrEqual(1500);
    expect((await cliSync('replay', journal, '--verify')).status).toBe(0);
  });

  it('reaches a polling guest line by line, and a guest that reads nothing ends without waiting for the pipe', async () => {
    const polled = await withPipe(['run', guest('console-echo')], (write) => {
      write('first\n');
      setTimeout(() => write('quit\n'), 800);
    });
    expect(polled.status, polled.stderr).toBe(0);
    expect(polled.stdout).toContain('line 1: "first"');
    expect(polled.stdout).toContain('line 2: "quit"');

    // `sleep 6 | hindsight run hello.elf` took 6 s when stdin was read to its end first.
    const hello = await withPipe(['run', guest('hello')], (write) => { setTimeout(() => write(null), 6000); });
    expect(hello.status).toBe(0);
    expect(hello.ms).toBeLessThan(5000);
  });
});
