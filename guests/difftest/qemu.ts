/**
 * Run a difftest ELF under QEMU (virt machine, bundled OpenSBI runs it in S-mode) and capture what the guest
 * printed and how it exited (sifive test finisher: 0x5555 → exit 0, (code << 16) | 0x3333 → exit code).
 */

import { spawn } from 'node:child_process';
import { QEMU, TOOL_PACKAGES } from './build.js';
import { START_MARKER } from './runtime.js';

export interface QemuResult {
  /** the guest's console from its start marker line on (OpenSBI banner stripped, CRLF → LF) */
  console: string;
  /** QEMU's exit code; null when it was killed */
  exitCode: number | null;
  timedOut: boolean;
  /** everything QEMU wrote to stdout, untouched */
  raw: string;
  stderr: string;
  wallMs: number;
}

export const QEMU_ARGS = ['-machine', 'virt', '-nographic', '-bios', 'default', '-m', '128M', '-smp', '1'];

/**
 * The guest console text from the start marker on. OpenSBI's console turns "\n" into "\r\n"; the guest never
 * prints '\r', so every "\r\n" is folded back.
 */
export function guestConsole(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const at = text.indexOf(START_MARKER + '\n');
  if (at < 0) return '';
  if (at > 0 && text[at - 1] !== '\n') {
    // the marker must start a line; a later occurrence would be a bug in the guest
    const again = text.indexOf('\n' + START_MARKER + '\n');
    return again < 0 ? '' : text.slice(again + 1);
  }
  return text.slice(at);
}

export function runQemu(elfPath: string, options: { timeoutMs?: number } = {}): Promise<QemuResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, [...QEMU_ARGS, '-kernel', elfPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(new Error(`${QEMU} not found: install the Debian package ${TOOL_PACKAGES[QEMU]} (apt-get install -y ${TOOL_PACKAGES[QEMU]})`));
      } else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out).toString('latin1');
      resolve({
        console: guestConsole(raw),
        exitCode: code,
        timedOut,
        raw,
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs: Date.now() - started,
      });
    });
  });
}
