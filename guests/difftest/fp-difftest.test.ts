/**
 * Differential test of F and D: cases of FP operations on special operands (fp-cases.ts) run under QEMU 7.2
 * (softfloat, the reference) and under hindsight; every operation's result bits and fflags must match, under the
 * interpreter and with every block compiled.
 *
 * Environment:
 *   FP_DIFFTEST_SEEDS=K   number of cases (default 500), from FP_DIFFTEST_FIRST (default 1)
 *   FP_DIFFTEST_SEED=N    only case N (re-run a failure)
 */
import { describe, expect, it } from 'vitest';
import { buildElf, missingTools, removeDir } from './build.js';
import { compareWithQemu, splitBySeed } from './compare.js';
import { programFromCases } from './generator.js';
import { fpCase, FP_DIFF_OPS, FP_OPS_PER_CASE } from './fp-cases.js';
import { guestConsole, runQemu } from './qemu.js';
import { LAYOUT } from './runtime.js';
import { runElf } from '../../client-sdk/index.js';
import type { Tier } from '../../sim/index.js';

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};
const SINGLE = process.env['FP_DIFFTEST_SEED'];
const FIRST = env('FP_DIFFTEST_FIRST', 1);
const COUNT = env('FP_DIFFTEST_SEEDS', 500);
const BATCH = Math.min(100, LAYOUT.caseSlots);
const SEEDS = SINGLE ? [Number(SINGLE)] : Array.from({ length: COUNT }, (_, i) => FIRST + i);
const BATCHES: number[][] = [];
for (let i = 0; i < SEEDS.length; i += BATCH) BATCHES.push(SEEDS.slice(i, i + BATCH));
const TIERS: readonly Tier[] = ['interp', 'jit'];
const TOOLS = missingTools();

describe('FP cases', () => {
  it('are deterministic, cover every F/D operation and every rounding mode', () => {
    expect(fpCase(7).text).toBe(fpCase(7).text);
    const text = Array.from({ length: 40 }, (_, i) => fpCase(i + 1).text).join('\n');
    const missing = FP_DIFF_OPS.filter((op) => !new RegExp(`^\\s*${op.name.replace(/\./g, '\\.')} `, 'm').test(text)).map((op) => op.name);
    expect(missing).toEqual([]);
    for (const rm of ['rne', 'rtz', 'rdn', 'rup', 'rmm']) expect(text).toContain(`, ${rm}\n`);
    expect(text).toMatch(/fsrmi [5-7]\n/);
  });
});

describe('F and D against QEMU', () => {
  it('has the toolchain and QEMU', () => {
    expect(TOOLS, TOOLS.join('\n')).toEqual([]);
  });

  for (const seeds of BATCHES) {
    it(`cases ${seeds[0]}..${seeds[seeds.length - 1]} (${FP_OPS_PER_CASE} operations each): hindsight prints what QEMU prints`, async () => {
      const program = programFromCases(seeds.map((s) => fpCase(s)));
      const build = await buildElf(program, { name: 'fp-difftest' });
      try {
        const qemu = await runQemu(build.elfPath, { timeoutMs: 120_000 });
        expect(qemu.timedOut).toBe(false);
        const split = splitBySeed(qemu.console);
        expect(split.ended, qemu.console.slice(-2000)).toBe(true);
        expect(split.order).toEqual(seeds);
        for (const tier of TIERS) {
          const hs = runElf(build.elf, { maxInsns: 400_000 * seeds.length, ramSize: 128 << 20, tier: { tier } });
          const report = compareWithQemu(seeds, split, hs, guestConsole(hs.console), (s) => `FP_DIFFTEST_SEED=${s} npx vitest run guests/difftest/fp-difftest`);
          expect(report, `tier ${tier}:\n${report.slice(0, 12).join('\n')}`).toEqual([]);
        }
      } finally {
        await removeDir(build.dir);
      }
    }, 600_000);
  }
});
