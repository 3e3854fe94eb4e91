/**
 * CPU benchmark: guest workloads from guests/build under hindsight and, when it is installed, under
 * qemu-system-riscv64 -icount shift=0 (QEMU's deterministic mode). Prints instructions, seconds and MIPS.
 * A benchmark, not a test: it asserts nothing about speed, it measures.
 */
import { markdownTable, median } from './stats.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runElf } from '../client-sdk/index.js';

export const CPU_WORKLOADS = ['intloop', 'memcpy', 'sort', 'sha256', 'paging'];

export interface CpuBenchRow {
  workload: string;
  instructions: number;
  seconds: number;
  mips: number;
  qemuSeconds: number | null;
  qemuMips: number | null;
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

export function runCpuBench(opts: { guestsDir: string; repeats: number; qemu: boolean; only?: string[]; progress?: (what: string) => void }): CpuBenchRow[] {
  const rows: CpuBenchRow[] = [];
  const useQemu = opts.qemu && qemuAvailable();
  for (const w of opts.only ?? CPU_WORKLOADS) {
    const elf = join(opts.guestsDir, `bench-${w}.elf`);
    if (!existsSync(elf)) throw new Error(`missing ${elf}: run make -C guests`);
    const image = readFileSync(elf);
    opts.progress?.(`bench-${w}: ${opts.repeats} runs under hindsight${useQemu ? ', then under QEMU' : ''}`);
    const times: number[] = [];
    let instructions = 0;
    for (let i = 0; i < opts.repeats; i++) {
      const t0 = performance.now();
      const r = runElf(image);
      times.push((performance.now() - t0) / 1000);
      if (r.exitCode !== 0) throw new Error(`bench-${w} failed under hindsight: ${r.stop} ${r.message ?? ''}`);
      instructions = r.icount;
    }
    const seconds = median(times);
    let qemuSeconds: number | null = null;
    if (useQemu) qemuSeconds = median(Array.from({ length: opts.repeats }, () => timeQemu(elf)));
    rows.push({
      workload: w, instructions, seconds, mips: instructions / seconds / 1e6,
      qemuSeconds, qemuMips: qemuSeconds === null ? null : instructions / qemuSeconds / 1e6,
    });
  }
  return rows;
}

export function formatCpuBench(rows: CpuBenchRow[]): string {
  const header = ['workload', 'guest insns', 'hindsight s', 'hindsight MIPS', 'qemu -icount shift=0 s', 'qemu MIPS', 'hindsight/qemu'];
  return markdownTable(header, 'lrrrrrr', rows.map((r) => {
    const q = r.qemuSeconds === null ? ['n/a', 'n/a', 'n/a'] : [r.qemuSeconds.toFixed(2), r.qemuMips!.toFixed(0), (r.mips / r.qemuMips!).toFixed(2)];
    return [r.workload, r.instructions, r.seconds.toFixed(2), r.mips.toFixed(0), ...q];
  }));
}
