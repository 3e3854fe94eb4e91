/**
 * CPU benchmark: guest workloads from guests/build under hindsight and, when it is installed, under
 * qemu-system-riscv64 -icount shift=0 (QEMU's deterministic mode). Prints instructions, seconds and MIPS.
 * A benchmark, not a test: it asserts nothing about speed, it measures.
 */
import { markdownTable, median } from './stats.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalVmm } from '../client-sdk/index.js';
import type { Tier } from '../sim/index.js';

export const CPU_WORKLOADS = ['intloop', 'memcpy', 'sort', 'sha256', 'paging', 'nbody'];

export interface CpuBenchRow {
  workload: string;
  instructions: number;
  seconds: number;
  mips: number;
  qemuSeconds: number | null;
  qemuMips: number | null;
  /** Share of the instructions retired in compiled code, and the compiled WebAssembly kept (bytes). */
  compiledShare: number;
  codeBytes: number;
}

function qemuAvailable(): boolean {
  return spawnSync('qemu-system-riscv64', ['--version'], { stdio: 'ignore' }).status === 0;
}

function timeQemu(elf: string): number {
  const t0 = performance.now();
  const r = spawnSync('qemu-system-riscv64', [
    '-machine', 'virt', '-nographic', '-bios', 'default', '-m', '128M', '-monitor', 'none',
    '-icount', 'shift=0', '-kernel', elf,
  ], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
  const dt = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qemu failed on ${elf} (status ${r.status})`);
  return dt;
}

export function runCpuBench(opts: { guestsDir: string; repeats: number; qemu: boolean; only?: string[]; tier?: Tier; progress?: (what: string) => void }): CpuBenchRow[] {
  const rows: CpuBenchRow[] = [];
  const useQemu = opts.qemu && qemuAvailable();
  for (const w of opts.only ?? CPU_WORKLOADS) {
    const elf = join(opts.guestsDir, `bench-${w}.elf`);
    if (!existsSync(elf)) throw new Error(`missing ${elf}: run make -C guests`);
    const image = readFileSync(elf);
    opts.progress?.(`bench-${w}: ${opts.repeats} runs under hindsight${useQemu ? ' and QEMU, alternating' : ''}`);
    const times: number[] = [], qemuTimes: number[] = [];
    let instructions = 0, compiledShare = 0, codeBytes = 0;
    // hindsight and QEMU alternate, so that both see the same moments of a noisy machine.
    for (let i = 0; i < opts.repeats; i++) {
      const t0 = performance.now();
      const vmm = new LocalVmm(image, { tier: opts.tier === undefined ? undefined : { tier: opts.tier } });
      const r = vmm.run();
      times.push((performance.now() - t0) / 1000);
      if (r.exitCode !== 0) throw new Error(`bench-${w} failed under hindsight: ${r.stop} ${r.message ?? ''}`);
      instructions = r.icount;
      const hart = vmm.machine.hart;
      compiledShare = hart.compiledStats.insns / hart.icount;
      codeBytes = hart.jit?.stats.codeBytes ?? 0;
      if (useQemu) qemuTimes.push(timeQemu(elf));
    }
    const seconds = median(times);
    const qemuSeconds = useQemu ? median(qemuTimes) : null;
    rows.push({
      workload: w, instructions, seconds, mips: instructions / seconds / 1e6,
      qemuSeconds, qemuMips: qemuSeconds === null ? null : instructions / qemuSeconds / 1e6, compiledShare, codeBytes,
    });
  }
  return rows;
}

export function formatCpuBench(rows: CpuBenchRow[]): string {
  const header = ['workload', 'guest insns', 'hindsight s', 'hindsight MIPS', 'qemu -icount shift=0 s', 'qemu MIPS', 'hindsight/qemu', 'compiled', 'code KiB'];
  const table = markdownTable(header, 'lrrrrrrrr', rows.map((r) => {
    const q = r.qemuSeconds === null ? ['n/a', 'n/a', 'n/a'] : [r.qemuSeconds.toFixed(2), r.qemuMips!.toFixed(0), (r.mips / r.qemuMips!).toFixed(2)];
    return [r.workload, r.instructions, r.seconds.toFixed(2), r.mips.toFixed(0), ...q, `${(100 * r.compiledShare).toFixed(1)}%`, (r.codeBytes / 1024).toFixed(0)];
  }));
  const ratios = rows.filter((r) => r.qemuMips !== null).map((r) => r.mips / r.qemuMips!);
  const geomean = ratios.length === 0 ? null : Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  return geomean === null ? table : `${table}\n\nhindsight/qemu geometric mean: ${geomean.toFixed(2)}`;
}
