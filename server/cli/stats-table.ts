import type { StatRow } from '../../sim/index.js';

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
