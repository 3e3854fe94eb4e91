/**
 * Every documented user mistake, through the real CLI in dist/ (npm test builds it first): exit status 2, the
 * stable code in brackets on stderr, a message naming what was wrong, and never a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
const HELLO = join(ROOT, 'guests/build/hello.elf');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-errors-'));
const emptyDir = join(dir, 'empty');
const existing = join(dir, 'existing.hsj');
let busy: Server;
let busyPort = 0;

/** The CLI with an empty recordings directory and stdin at its end; resolves when it has exited. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, HINDSIGHT_DIR: emptyDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  mkdirSync(emptyDir);
  writeFileSync(existing, 'keep me');
  busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((ok) => busy.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

/** [what, arguments, code, a fragment of the message]. */
const MISTAKES: [string, () => string[], string, string][] = [
  ['an unknown command', () => ['frob'], 'CLI_UNKNOWN_COMMAND', "unknown command 'frob'"],
  ['an unknown benchmark', () => ['bench', 'frob'], 'CLI_UNKNOWN_COMMAND', "unknown benchmark 'frob'"],
  ['an unknown option', () => ['run', HELLO, '--frob'], 'CLI_UNKNOWN_OPTION', 'unknown option --frob'],
  ['an unknown one-dash option', () => ['run', HELLO, '-frob'], 'CLI_UNKNOWN_OPTION', 'unknown option -frob'],
  ['-o without its value', () => ['record', HELLO, '-o'], 'CLI_MISSING_VALUE', '-o needs a value'],
  ['an option where a value belongs', () => ['record', HELLO, '-o', '--force'], 'CLI_MISSING_VALUE', '-o needs a value'],
  ['a value for a flag', () => ['run', HELLO, '--debug=yes'], 'CLI_UNEXPECTED_VALUE', '--debug takes no value'],
  ['a count that is not one', () => ['run', HELLO, '--max-insns', 'lots'], 'CLI_BAD_VALUE', '--max-insns takes a non-negative integer'],
  ['a size that is not one', () => ['run', HELLO, '-m', '12Q'], 'CLI_BAD_VALUE', '-m takes a size'],
  ['a port out of range', () => ['serve', '--port', '70000'], 'CLI_BAD_VALUE', '--port takes a port number'],
  ['no image', () => ['run'], 'CLI_MISSING_ARGUMENT', 'no guest image'],
  ['two images', () => ['run', HELLO, HELLO], 'CLI_EXTRA_ARGUMENT', 'unexpected argument'],
  ['an image and -kernel', () => ['run', HELLO, '-kernel', HELLO], 'CLI_CONFLICT', 'two guest images'],
  ['-m and --ram-mib', () => ['run', HELLO, '-m', '64M', '--ram-mib', '64'], 'CLI_CONFLICT', 'not both'],
  ['--exit-log-regs alone', () => ['run', HELLO, '--exit-log-regs'], 'CLI_CONFLICT', '--exit-log-regs needs --exit-log'],
  ['--goto-exit with --verify', () => ['replay', existing, '--goto-exit', '1', '--verify'], 'CLI_CONFLICT', 'does not go with'],
  ['a missing image', () => ['run', join(dir, 'nope.elf')], 'CLI_NO_SUCH_FILE', 'nope.elf: no such file'],
  ['a missing initrd', () => ['run', HELLO, '-initrd', join(dir, 'nope.cpio')], 'CLI_NO_SUCH_FILE', 'the initrd'],
  ['a directory as the image', () => ['run', dir], 'CLI_IS_DIRECTORY', 'is a directory'],
  ['a directory to replay', () => ['replay', dir], 'CLI_IS_DIRECTORY', 'is a directory'],
  ['a directory to inspect', () => ['inspect', dir], 'CLI_IS_DIRECTORY', 'is a directory'],
  ['a directory as -o', () => ['record', HELLO, '-o', dir], 'CLI_IS_DIRECTORY', 'is a directory'],
  ['a directory as --exit-log', () => ['run', HELLO, '--exit-log', dir], 'CLI_IS_DIRECTORY', 'is a directory'],
  ['-o in a folder that does not exist', () => ['record', HELLO, '-o', join(dir, 'no/such/run.hsj')], 'CLI_NO_SUCH_FILE', 'does not exist'],
  ['an existing journal without --force', () => ['record', HELLO, '-o', existing], 'CLI_OUTPUT_EXISTS', 'give --force'],
  ['latest with no recordings', () => ['replay', 'latest'], 'CLI_NO_RECORDINGS', 'no recordings'],
  ['no journal and no recordings', () => ['inspect'], 'CLI_NO_RECORDINGS', 'no recordings'],
  ['a journal that is neither a file nor a recording', () => ['replay', 'nope'], 'CLI_NO_SUCH_FILE', 'no such journal'],
  ['a file that is not an image', () => ['run', join(ROOT, 'README.md')], 'ELF_BAD_MAGIC', 'RISC-V Linux Image'],
  ['a file that is not a journal', () => ['replay', HELLO], 'JOURNAL_BAD_MAGIC', 'not a hindsight journal'],
  ['a busy port', () => ['serve', '--port', String(busyPort), '--data', join(dir, 'data')], 'CLI_PORT_IN_USE', 'address already in use'],
  ['an address not of this machine', () => ['serve', '--port', '0', '--host', '192.0.2.1', '--data', join(dir, 'data')], 'CLI_BAD_ADDRESS', '192.0.2.1'],
  ['a file as --data', () => ['serve', '--data', existing], 'CLI_NOT_A_DIRECTORY', 'not a folder'],
];

describe('user mistakes', () => {
  // Concurrent: each case is a process of its own, mostly Node starting up.
  it.concurrent.each(MISTAKES)('%s: exit 2 with its code, no stack trace', async (_what, args, code, fragment) => {
    const r = await cli(...args());
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^hindsight( \w+)?: /);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('leaves the journal it refused to overwrite as it was', async () => {
    expect((await cli('record', HELLO, '-o', existing)).status).toBe(2);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
  });

  it('prints the command list and exits 2 when no command is given', async () => {
    const r = await cli();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: hindsight <command>');
  });
});

describe('--help and --version', () => {
  const HELPS = [['run', '--max-insns'], ['record', '--force'], ['replay', '--goto-exit'], ['inspect', '--json'], ['ls', '--json'], ['serve', '--max-vms'], ['bench', '--repeats']];
  it.concurrent.each(HELPS)('gives %s its help on stdout, exit 0, listing its options', async (command, option) => {
    for (const ask of [['--help'], ['-h', 'x', '--frob'], ['help']]) {
      const r = ask[0] === 'help' ? await cli('help', command) : await cli(command, ...ask);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`usage: hindsight ${command}`);
      expect(r.stdout).toContain(option);
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const ask of ['--version', '-V']) expect((await cli(ask)).stdout).toBe(`hindsight ${pkg.version}\n`);
  });
});
