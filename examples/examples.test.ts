/**
 * The examples of docs/examples.md, run as they are (`node examples/NAME.mjs`) against a real server: each ends on
 * its own with status 0 and prints what it found.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../server/test-helpers.js';

const server = useTestServer();

function example(name: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, name)], {
      env: { ...process.env, HINDSIGHT_URL: server().url, HINDSIGHT_TOKEN: server().token }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const EXPECTED: Record<string, RegExp[]> = {
  'remote-device.mjs': [/mmio-loop: 50000 loads/, /ended: finisher, \d+ instructions; 50000 reads answered, and the guest's sum is the counter's: true/, /replayed here: bit-exact/],
  'debugger.mjs': [/address-breakpoint at 0x[0-9a-f]+ \(target\)/, /stepped to icount \d+/, /watchpoint at pc 0x[0-9a-f]+: a write of 0x[0-9a-f]+ \(watched\)/,
    /ended: finisher, exit code 0/],
  'replay-on-server.mjs': [/replayed vm-[0-9a-f]+\.hsj: bit-exact/, /exits: \d+ RISCV_SBI/],
  'time-travel.mjs': [/last call of target at icount \d+: a0 = 2, return address 0x[0-9a-f]+/, /called from 0x[0-9a-f]+/, /exit \d+: RISCV_SBI at icount \d+/],
  'live-history.mjs': [/stops at icount \d+ and \d+/, /back at the first call: a0 = 0 \(was 0\)/, /observer: the past, icount \d+/, /observer: back in the present/,
    /ended: finisher, exit code 0/],
};

describe('examples/', () => {
  it.each(Object.keys(EXPECTED))('%s runs to its end against the server', async (name) => {
    const r = await example(name);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const line of EXPECTED[name]) expect(r.stdout).toMatch(line);
  });
});
