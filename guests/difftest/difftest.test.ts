/**
 * Differential test: random programs (generator.ts) run under QEMU 7.2 (virt, OpenSBI, S-mode) and under
 * hindsight (client-sdk runElf); the console output of every seed must match line for line.
 *
 * Environment:
 *   DIFFTEST_SEED=N      run only seed N (re-run a failure)
 *   DIFFTEST_SEEDS=K     number of seeds (default 500), starting at DIFFTEST_FIRST (default 1)
 *   DIFFTEST_BATCH=B     seeds per ELF (default 50, at most 128)
 *   DIFFTEST_OPS=N       random operations per case (default generator.DEFAULT_OPS)
 *   DIFFTEST_KEEP=DIR    keep every batch's .S/.ld/.elf and both consoles in DIR
 *   DIFFTEST_TIERS=a,b   the execution tiers hindsight runs each batch under (default: all of them)
 */

import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { buildElf, disassembledMnemonics, missingTools, removeDir, type BuildResult } from './build.js';
import { compareWithQemu, firstDifference, splitBySeed, type SplitConsole } from './compare.js';
import { DEFAULT_OPS, generateCase, generateProgram } from './generator.js';
import { guestConsole, runQemu, type QemuResult } from './qemu.js';
import { LAYOUT } from './runtime.js';
import { runElf } from '../../client-sdk/index.js';
import { TIERS as ALL_TIERS, type Tier } from '../../sim/index.js';

// ---------------------------------------------------------------------------------------------- config

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative integer`);
  return n;
}

const SINGLE = process.env['DIFFTEST_SEED'];
const FIRST = envInt('DIFFTEST_FIRST', 1);
const COUNT = envInt('DIFFTEST_SEEDS', 500);
const BATCH = Math.min(Math.max(envInt('DIFFTEST_BATCH', 50), 1), LAYOUT.caseSlots);
const OPS = envInt('DIFFTEST_OPS', DEFAULT_OPS);
const KEEP = process.env['DIFFTEST_KEEP'];
const TIERS_RUN: readonly Tier[] = process.env['DIFFTEST_TIERS'] ? (process.env['DIFFTEST_TIERS'].split(',') as Tier[]) : ALL_TIERS;
const QEMU_TIMEOUT_MS = 90_000;
/** a case runs ≈30–70 thousand instructions (most of them printing); this only stops a runaway */
const MAX_INSNS = 400_000 * BATCH * Math.max(1, Math.ceil(OPS / DEFAULT_OPS));
/** as QEMU's -m 128M */
const RAM_SIZE = 128 << 20;

const SEEDS: number[] =
  SINGLE !== undefined && SINGLE !== '' ? [envInt('DIFFTEST_SEED', 0)] : Array.from({ length: COUNT }, (_, i) => FIRST + i);

const BATCHES: number[][] = [];
for (let i = 0; i < SEEDS.length; i += BATCH) BATCHES.push(SEEDS.slice(i, i + BATCH));

const rerun = (seed: number) => `DIFFTEST_SEED=${seed} npx vitest run guests/difftest`;
const batchName = (seeds: readonly number[]) =>
  seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds[0]}..${seeds[seeds.length - 1]}`;

// ---------------------------------------------------------------------------------------------- hindsight


// ---------------------------------------------------------------------------------------------- QEMU jobs

const TOOL_PROBLEMS = missingTools();

interface BatchRun {
  seeds: number[];
  build: BuildResult;
  qemu: QemuResult;
  split: SplitConsole;
  genMs: number;
  buildMs: number;
  /** objdump mnemonic counts (first batch only) */
  mnemonics?: Map<string, number>;
}

/** At most `n` jobs at a time (gcc + QEMU each use one core). */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
const limit = limiter(Math.max(1, Math.min(availableParallelism(), 4)));
const stats = { genMs: 0, buildMs: 0, qemuMs: 0, hindsightMs: 0, batches: 0 };

async function runBatch(seeds: number[], tag: string, disassemble = false): Promise<BatchRun> {
  if (TOOL_PROBLEMS.length > 0) throw new Error(TOOL_PROBLEMS.join('\n'));
  return limit(async () => {
    let t = Date.now();
    const program = generateProgram(seeds, { ops: OPS });
    const genMs = Date.now() - t;
    t = Date.now();
    const dir = KEEP ? join(KEEP, tag) : undefined;
    if (dir) await mkdir(dir, { recursive: true });
    const build = await buildElf(program, { dir, name: 'difftest' });
    const buildMs = Date.now() - t;
    const qemu = await runQemu(build.elfPath, { timeoutMs: QEMU_TIMEOUT_MS });
    const mnemonics = disassemble ? await disassembledMnemonics(build.elfPath) : undefined;
    if (dir) await writeFile(join(dir, 'qemu.txt'), qemu.console);
    else await removeDir(build.dir);
    stats.genMs += genMs;
    stats.buildMs += buildMs;
    stats.qemuMs += qemu.wallMs;
    stats.batches++;
    return { seeds, build, qemu, split: splitBySeed(qemu.console), genMs, buildMs, mnemonics };
  });
}

// Start every batch now; each test awaits its own, so the per-test timeout covers one batch only.
const JOBS = new Map<number[], Promise<BatchRun>>();
for (const [i, seeds] of BATCHES.entries()) {
  const p = runBatch(seeds, `batch-${i}-${seeds[0]}`, i === 0);
  p.catch(() => {}); // reported by the test that awaits it
  JOBS.set(seeds, p);
}

function qemuProblems(run: BatchRun): string[] {
  const { qemu, split, seeds } = run;
  const problems: string[] = [];
  if (qemu.timedOut) problems.push(`QEMU timed out after ${QEMU_TIMEOUT_MS} ms`);
  else if (qemu.exitCode !== 0) problems.push(`QEMU exited with ${qemu.exitCode} (expected 0 from the test finisher)`);
  if (!split.started) problems.push('no start marker in the QEMU console');
  if (!split.ended) problems.push('no end marker in the QEMU console');
  if (split.stray.length > 0) problems.push(`stray console lines: ${JSON.stringify(split.stray.slice(0, 5))}`);
  if (split.order.join(',') !== seeds.join(',')) {
    problems.push(`seed order ${split.order.slice(0, 10).join(',')}… differs from ${seeds.slice(0, 10).join(',')}…`);
  }
  for (const s of seeds) {
    const text = split.cases.get(s) ?? '';
    if (/^traps 0*41$/m.test(text)) problems.push(`seed ${s}: hit the trap limit (the case was aborted)`);
  }
  if (problems.length > 0 && qemu.stderr) problems.push(`QEMU stderr: ${qemu.stderr.slice(0, 2000)}`);
  return problems;
}

afterAll(() => {
  if (stats.batches === 0) return;
  const line =
    `difftest: ${SEEDS.length} seeds in ${stats.batches} ELF(s); generate ${stats.genMs} ms, gcc ${stats.buildMs} ms, ` +
    `QEMU ${stats.qemuMs} ms, hindsight ${stats.hindsightMs} ms` +
    ' (summed over batches; jobs run in parallel)';
  console.log(line);
});

// ---------------------------------------------------------------------------------------------- tests

describe('difftest toolchain', () => {
  it('has riscv64-unknown-elf-gcc, its binutils and qemu-system-riscv64 (CI installs them)', () => {
    expect(TOOL_PROBLEMS, TOOL_PROBLEMS.join('\n')).toEqual([]);
  });
});

describe('difftest generator', () => {
  it('is deterministic and a case does not depend on its batch', () => {
    const s = SEEDS[0] ?? 1;
    const a = generateCase(s, { ops: OPS });
    const b = generateCase(s, { ops: OPS });
    expect(a.text).toBe(b.text);
    expect(a.upage).toBe(b.upage);
    const alone = generateProgram([s], { ops: OPS }).source;
    const inBatch = generateProgram([s, s + 1, s + 2], { ops: OPS }).source;
    expect(alone).toContain(a.text);
    expect(inBatch).toContain(a.text);
    expect(generateCase(s + 1, { ops: OPS }).text).not.toBe(a.text.replaceAll(`${s}`, `${s + 1}`));
  });

  it('refuses two seeds that would share a code region', () => {
    expect(() => generateProgram([1, 1 + LAYOUT.caseSlots])).toThrow(/share case slot/);
  });
});

describe('difftest against QEMU', () => {
  for (const seeds of BATCHES) {
    it(`${batchName(seeds)} run to completion on QEMU`, async () => {
      const run = await (JOBS.get(seeds) as Promise<BatchRun>);
      const problems = qemuProblems(run);
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }

  it('QEMU output is deterministic and a seed prints the same alone, in another order and in another batch', async () => {
    const first = BATCHES[0] as number[];
    const pick = first.length > 1 ? [first[first.length - 1] as number, first[0] as number] : [first[0] as number];
    const [base, again] = await Promise.all([JOBS.get(first) as Promise<BatchRun>, runBatch(pick, 'reordered')]);
    for (const s of pick) {
      const d = firstDifference(base.split.cases.get(s) ?? '<none>', again.split.cases.get(s) ?? '<none>');
      expect(d, `seed ${s} printed differently: ${JSON.stringify(d)}`).toBeNull();
    }
  });

  it('every instruction family is really in the generated code (objdump)', async () => {
    if (SEEDS.length < 20) return; // a single-seed re-run need not cover everything
    const run = await (JOBS.get(BATCHES[0] as number[]) as Promise<BatchRun>);
    const required = [
      // RV64I
      'lui', 'auipc', 'jal', 'jalr', 'beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu', 'lb', 'lh', 'lw', 'ld', 'lbu', 'lhu',
      'lwu', 'sb', 'sh', 'sw', 'sd', 'addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'slli', 'srli', 'srai', 'add',
      'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addiw', 'slliw', 'srliw', 'sraiw', 'addw',
      'subw', 'sllw', 'srlw', 'sraw', 'fence', 'fence.tso', 'fence.i', 'ecall', 'ebreak',
      // M
      'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
      // A (orderings are checked by prefix below)
      'lr.w', 'sc.w', 'lr.d', 'sc.d',
      // Zicsr + privileged
      'csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci', 'sret', 'mret', 'wfi', 'sfence.vma',
      // C
      'c.addi', 'c.addiw', 'c.li', 'c.lui', 'c.addi16sp', 'c.addi4spn', 'c.slli', 'c.srli', 'c.srai', 'c.andi',
      'c.mv', 'c.add', 'c.sub', 'c.xor', 'c.or', 'c.and', 'c.subw', 'c.addw', 'c.lw', 'c.sw', 'c.ld', 'c.sd',
      'c.lwsp', 'c.swsp', 'c.ldsp', 'c.sdsp', 'c.beqz', 'c.bnez', 'c.j', 'c.jr', 'c.jalr', 'c.ebreak',
      // Zba, Zbb, Zbs, Zihintpause
      'add.uw', 'sh1add', 'sh2add', 'sh3add', 'sh1add.uw', 'sh2add.uw', 'sh3add.uw', 'slli.uw', 'andn', 'orn', 'xnor',
      'clz', 'ctz', 'cpop', 'clzw', 'ctzw', 'cpopw', 'max', 'maxu', 'min', 'minu', 'sext.b', 'sext.h', 'zext.h', 'rol',
      'ror', 'rolw', 'rorw', 'rori', 'roriw', 'orc.b', 'rev8', 'bclr', 'bext', 'binv', 'bset', 'bclri', 'bexti', 'binvi',
      'bseti', 'pause',
    ];
    const amos = ['amoswap', 'amoadd', 'amoand', 'amoor', 'amoxor', 'amomax', 'amomaxu', 'amomin', 'amominu'];
    const seen = run.mnemonics ?? new Map<string, number>();
    const has = (m: string) => [...seen.keys()].some((k) => k === m || k.startsWith(m + '.'));
    const missing = required.filter((m) => !has(m));
    for (const a of amos) for (const w of ['w', 'd']) if (!has(`${a}.${w}`)) missing.push(`${a}.${w}`);
    for (const o of ['aq', 'rl', 'aqrl']) if (![...seen.keys()].some((k) => k.endsWith('.' + o))) missing.push(`*.${o}`);
    expect(missing, `not generated in ${batchName(run.seeds)}: ${missing.join(' ')}`).toEqual([]);
  });
});

describe('difftest: hindsight against QEMU', () => {
  for (const seeds of BATCHES) {
    it(`${batchName(seeds)}: hindsight prints what QEMU prints`, async () => {
      const run = await (JOBS.get(seeds) as Promise<BatchRun>);
      const q = qemuProblems(run);
      expect(q, `QEMU side failed, nothing to compare: ${q.join('\n')}`).toEqual([]);
      // Every tier must print what QEMU prints: the default (the interpreter, then hot code compiled), the
      // interpreter alone, and the compiler taking every block.
      for (const tier of TIERS_RUN) {
        const t = Date.now();
        const hs = runElf(run.build.elf, { maxInsns: MAX_INSNS, ramSize: RAM_SIZE, tier: { tier } });
        stats.hindsightMs += Date.now() - t;
        const hconsole = guestConsole(hs.console);
        if (KEEP) await writeFile(join(KEEP, `batch-${BATCHES.indexOf(seeds)}-${seeds[0]}`, `hindsight-${tier}.txt`), hconsole);
        const report = compareWithQemu(seeds, run.split, hs, hconsole, rerun);
        expect(report, `tier ${tier}:\n${report.slice(0, 12).join('\n')}`).toEqual([]);
      }
    });
  }
});
