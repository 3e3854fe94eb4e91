/** `hindsight export` through the real CLI in dist/ (npm test builds it first). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

let dir: string, journal: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-export-cli-'));
  journal = join(dir, 'hello.hsj');
  const r = cli('record', join(ROOT, 'guests/build/hello.elf'), '-o', journal, '--quiet');
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hindsight export', () => {
  it('writes a Chrome JSON trace to stdout with -o -, and says what it wrote on stderr', () => {
    const r = cli('export', journal, '--chrome-json', '-o', '-');
    expect(r.status, r.stderr).toBe(0);
    const trace = JSON.parse(r.stdout) as { traceEvents: { ph: string; name?: string }[] };
    const exits = trace.traceEvents.filter((e) => e.ph === 'i' && e.name === 'RISCV_SBI').length;
    expect(exits).toBeGreaterThan(10);
    expect(r.stderr).toMatch(new RegExp(`exported \\d+ exits .* chrome-json events, ${Buffer.byteLength(r.stdout)} bytes, to stdout`));
  });

  it('writes a Perfetto trace (a Trace message: packets in field 1) to a file by default', () => {
    const out = join(dir, 'hello.pftrace');
    const r = cli('export', journal, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(out);
    // Field 1, length-delimited: 0x0a, then every packet the same way.
    let at = 0, packets = 0;
    while (at < bytes.length) {
      expect(bytes[at]).toBe(0x0a);
      let len = 0, shift = 0, b;
      do { b = bytes[++at]; len += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      at += 1 + len;
      packets++;
    }
    expect(at).toBe(bytes.length);
    expect(packets).toBeGreaterThan(100);
  });

  it('refuses a bad recording or a missing -o with exit status 2 and a message', () => {
    const bad = join(dir, 'bad.hsj');
    writeFileSync(bad, 'not a journal');
    const r = cli('export', bad, '-o', join(dir, 'x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad magic');
    expect(r.stderr).toContain('[JOURNAL_BAD_MAGIC]');
    const usage = cli('export', journal);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('missing -o OUT');
    expect(usage.stderr).toContain('[CLI_MISSING_ARGUMENT]');
    const both = cli('export', journal, '--perfetto', '--chrome-json', '-o', '-');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('[CLI_CONFLICT]');
  });
});
