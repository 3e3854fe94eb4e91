/**
 * `hindsight replay --goto-exit N --dump-regs` / `--goto-icount K` and `--exit-log-regs`, through the real CLI in
 * dist/ (npm test builds it first): a dump at exit N is line N of the exit log, registers included, and both show
 * the state userspace saw at the exit, before its answer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/server/cli/main.js');
/** MMIO loads and stores of every width, SBI putchar and the finisher: answers that write registers and move the pc. */
const GUEST = join(ROOT, 'guests/build/mmio-widths.elf');

type Line = Record<string, unknown> & { seq: number; icount: number; reason: string; pc: string; x: string[] };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

function readLog(file: string): Line[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

function dumpAt(...target: string[]): Record<string, unknown> {
  const r = cli('replay', journal, ...target, '--dump-regs');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

let dir: string, journal: string, log: Line[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-goto-'));
  journal = join(dir, 'run.hsj');
  const r = cli('record', GUEST, '-o', journal, '--exit-log', join(dir, 'record.jsonl'), '--exit-log-regs', '--quiet');
  expect(r.status, r.stderr).toBe(0);
  log = readLog(join(dir, 'record.jsonl'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hindsight replay --goto-exit N --dump-regs', () => {
  it('is line N of the recording\'s --exit-log-regs log: first, middle and last exit, and the first MMIO load', () => {
    const firstLoad = log.findIndex((l) => l['reason'] === 'MMIO' && l['is_write'] === 0);
    expect(firstLoad).toBeGreaterThan(0);
    for (const n of [0, Math.floor(log.length / 2), log.length - 1, firstLoad]) {
      const dump = dumpAt('--goto-exit', String(n));
      expect(Object.keys(dump).sort()).toEqual(['csr', 'f', 'fcsr', 'icount', 'pc', 'priv', 'reason', 'seq', 'x']);
      const line = log[n];
      expect(line.seq).toBe(n);
      expect(dump).toEqual(Object.fromEntries(Object.keys(dump).map((k) => [k, line[k]])));
    }
  });

  it('shows the registers before the answer: at an SBI putchar a0 still holds the character, not the return value', () => {
    const n = log.findIndex((l) => l['reason'] === 'RISCV_SBI' && l['extension_id'] === '0x1' && (l['args'] as string[])[0] !== '0x0');
    const line = log[n];
    expect((line['ret'] as string[])[0]).toBe('0x0');
    const dump = dumpAt('--goto-exit', String(n)) as { x: string[]; pc: string; priv: string; csr: Record<string, string> };
    expect(dump.x[10]).toBe((line['args'] as string[])[0]);
    expect(dump.x[17]).toBe('0x1');
    expect(dump.x).toHaveLength(32);
    expect(dump.x.every((v) => /^0x(0|[1-9a-f][0-9a-f]*)$/.test(v))).toBe(true);
    expect(dump.priv).toBe('S');
    // crt0 points stvec at trap_entry.
    expect(dump.csr['stvec']).toMatch(/^0x802[0-9a-f]{5}$/);
    // One instruction later the answer has been taken: a0 holds the return value and the pc is past the ecall.
    const after = dumpAt('--goto-icount', String(line.icount + 1)) as { x: string[]; pc: string };
    expect(after.x[10]).toBe('0x0');
    expect(BigInt(after.pc)).toBe(BigInt(dump.pc) + 4n);
  });

  it('refuses an exit the recording does not hold with TT_NO_SUCH_EXIT, exit status 2', () => {
    const r = cli('replay', journal, '--goto-exit', String(log.length), '--dump-regs');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('TT_NO_SUCH_EXIT');
    expect(r.stdout).toBe('');
  });

  it('without --dump-regs prints one line naming the exit', () => {
    const r = cli('replay', journal, '--goto-exit', '3');
    expect(r.status, r.stderr).toBe(0);
    const pc = log[3].pc.replace(/^0x/, '');
    expect(r.stdout).toMatch(new RegExp(`^icount ${log[3].icount}, pc 0x${pc} <\\w+(\\+0x[0-9a-f]+)?>, priv S: exit 3 \\(${log[3].reason}\\), before its answer\n$`));
  });

  it('with --regs prints the registers by ABI name, with symbols where they point into code', () => {
    const r = cli('replay', journal, '--goto-exit', '3', '--regs');
    expect(r.status, r.stderr).toBe(0);
    const rows = new Map(r.stdout.trim().split('\n').slice(1).map((l) => [l.split(/\s+/)[0], l] as const));
    expect([...rows.keys()].slice(0, 4)).toEqual(['pc', 'zero', 'ra', 'sp']);
    expect(rows.get('a0')).toContain(log[3].x[10]);
    expect(rows.get('t6')).toContain(log[3].x[31]);
    expect(rows.get('pc')).toMatch(/^pc\s+0x[0-9a-f]+ <\w+/);
    expect(rows.get('ra')).toMatch(/<\w+\+0x[0-9a-f]+>$/);
    expect(rows.get('stvec')).toMatch(/<trap_entry>$/);
    expect(rows.get('sp')).not.toContain('<');
  });
});

describe('the F/D registers in a dump', () => {
  /** fp-regs loads every f register with a chosen pattern and fcsr with frm RUP, DZ and NX, then exits. */
  let fpJournal: string;
  beforeAll(() => {
    fpJournal = join(dir, 'fp.hsj');
    const r = cli('record', join(ROOT, 'guests/build/fp-regs.elf'), '-o', fpJournal, '--quiet');
    expect(r.status, r.stderr).toBe(0);
  });

  /** Its last exit (the finisher): the registers hold what fp_fill loaded, nothing after it touches them. */
  const atEnd = (...args: string[]) => {
    const exits = Number(/\((\d+) exits,/.exec(cli('inspect', fpJournal).stdout)?.[1]);
    const r = cli('replay', fpJournal, '--goto-exit', String(exits - 1), ...args);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };

  it('--dump-regs holds f0..f31 as raw bits and fcsr, as the exit log does', () => {
    const dump = JSON.parse(atEnd('--dump-regs')) as { f: string[]; fcsr: string };
    expect(dump.f).toHaveLength(32);
    expect(dump.f[0]).toBe('0x3ff0000000000000');
    expect(dump.f[8]).toBe('0xffffffff3fc00000');
    expect(dump.f[26]).toBe('0x0');
    expect(dump.f[31]).toBe('0x7ff0000000000001');
    expect(dump.fcsr).toBe('0x69');
    const log = join(dir, 'fp.jsonl');
    expect(cli('replay', fpJournal, '--exit-log', log, '--exit-log-regs').status).toBe(0);
    expect(readLog(log).at(-1)).toMatchObject({ f: dump.f, fcsr: dump.fcsr });
  });

  it('--regs lists them by ABI name with the value each holds, then fflags, frm and fcsr', () => {
    const rows = new Map(atEnd('--regs').trim().split('\n').map((l) => [l.split(/\s+/)[0], l] as const));
    expect(rows.get('ft0')).toBe('ft0       0x3ff0000000000000  double 1');
    expect(rows.get('fs0')).toBe('fs0       0xffffffff3fc00000  float 1.5');
    expect(rows.get('fa3')).toBe('fa3       0xfffffffe3fc00000  double -nan(0xffffe3fc00000)');
    expect(rows.get('ft11')).toBe('ft11      0x7ff0000000000001  double nan(0x1)');
    expect(rows.get('fflags')).toBe('fflags    0x9  NV:0 DZ:1 OF:0 UF:0 NX:1');
    expect(rows.get('frm')).toBe('frm       0x3  RUP (round up)');
    expect(rows.get('fcsr')).toBe('fcsr      0x69  NV:0 DZ:1 OF:0 UF:0 NX:1 FRM:3');
  });

  it('a recording of a machine without F/D (rv64imac) has no F registers', () => {
    const old = join(ROOT, 'recordings/uart-race.hsj');
    const r = cli('replay', old, '--goto-exit', '0', '--dump-regs');
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout) as object)).not.toContain('f');
    const table = cli('replay', old, '--goto-exit', '0', '--regs');
    expect(table.stdout).toMatch(/^satp\s/m);
    expect(table.stdout).not.toMatch(/^(ft0|fcsr)\s/m);
  });
});

describe('hindsight replay --goto-icount K --dump-regs', () => {
  it('stands where K instructions have retired', () => {
    const k = log[Math.floor(log.length / 3)].icount + 7;
    const dump = dumpAt('--goto-icount', String(k));
    expect(dump['icount']).toBe(k);
    expect(Object.keys(dump).sort()).toEqual(['csr', 'f', 'fcsr', 'icount', 'nextSeq', 'pc', 'priv', 'x']);
  });

  it('at an exit\'s icount, stands on the trapping instruction with the registers of that exit\'s log line', () => {
    const m = log.findIndex((l) => l['reason'] === 'MMIO' && l['is_write'] === 0);
    const dump = dumpAt('--goto-icount', String(log[m].icount));
    expect(dump).toMatchObject({ icount: log[m].icount, nextSeq: m, pc: log[m].pc, x: log[m].x, csr: log[m]['csr'] });
  });

  it('refuses an instruction count past the end with TT_BAD_TARGET', () => {
    const r = cli('replay', journal, '--goto-icount', String(log[log.length - 1].icount + 1_000_000));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('TT_BAD_TARGET');
  });
});

describe('--exit-log-regs', () => {
  it('writes the same lines from run, record and replay', () => {
    const runLog = join(dir, 'run.jsonl'), replayLog = join(dir, 'replay.jsonl');
    expect(cli('run', GUEST, '--exit-log', runLog, '--exit-log-regs', '--quiet').status).toBe(0);
    expect(cli('replay', journal, '--exit-log', replayLog, '--exit-log-regs').status).toBe(0);
    expect(readLog(runLog)).toEqual(log);
    expect(readLog(replayLog)).toEqual(log);
  });

  it('adds only the registers to the plain exit log', () => {
    const plain = join(dir, 'plain.jsonl');
    expect(cli('replay', journal, '--exit-log', plain).status).toBe(0);
    const strip = (l: Line) => Object.fromEntries(Object.entries(l).filter(([k]) => !['x', 'priv', 'csr', 'f', 'fcsr'].includes(k)));
    expect(readLog(plain)).toEqual(log.map(strip));
  });

  it('is a usage error without --exit-log, as --dump-regs is without a --goto', () => {
    for (const args of [['replay', journal, '--exit-log-regs'], ['replay', journal, '--dump-regs'], ['run', GUEST, '--exit-log-regs']]) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/needs --/);
    }
  });
});
