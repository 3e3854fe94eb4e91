import type { Hart, StatRow } from '../../sim/index.js';

/** The exit table `--stats` prints, in the shape of `perf kvm stat report`. */
export function formatStats(rows: StatRow[], icount: number): string {
  const lines = [
    `Analyze events for the guest (${icount} instructions):`,
    '',
    '                   VM-EXIT   where     Samples  Samples%   Avg insns since previous',
  ];
  for (const r of rows) {
    lines.push(`${r.event.padStart(26)}   ${(r.kind === 'exit' ? 'user' : 'kernel').padEnd(6)} ${String(r.count).padStart(10)}  ${(r.share * 100).toFixed(2).padStart(7)}%   ${r.avgInsnsBetween.toFixed(0).padStart(12)}`);
  }
  const total = rows.reduce((n, r) => n + r.count, 0);
  lines.push('', `Total Samples: ${total}`);
  return lines.join('\n');
}

/** The execution tiers' share of the run, for --stats: how much ran compiled, and what the compiled code costs. */
export function formatTierStats(hart: Hart): string {
  const { insns, calls } = hart.compiledStats;
  const share = hart.icount === 0 ? 0 : (100 * insns) / hart.icount;
  const jit = hart.jit;
  if (jit === null) return `Tiers: interpreter only; ${hart.code.decoded} instructions decoded, ${hart.code.pages} pages of decoded code`;
  const s = jit.stats;
  return `Tiers: ${insns} instructions (${share.toFixed(1)}%) ran compiled, in ${calls} calls; ` +
    `${s.regions} regions (${s.compiledInsns} instructions, ${s.entries} entry points) in ${s.modules} modules, ` +
    `${(s.codeBytes / 1024).toFixed(0)} KiB of WebAssembly live, ${s.flushes} flushes; ` +
    `${hart.code.decoded} instructions decoded, ${hart.code.pages} pages of decoded code`;
}
