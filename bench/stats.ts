/** What every benchmark here needs to summarise its samples and print them as a Markdown table. */

/** The median (the upper one of an even count): robust to the odd slow run a noisy machine gives. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Nearest-rank percentile (p in 0..1) of samples sorted ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** A Markdown table: `align` has one letter per column, l (left) or r (right, for figures). */
export function markdownTable(header: string[], align: string, rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line([...align].map((a) => (a === 'r' ? '---:' : '---'))).replace(/ /g, ''), ...rows.map(line)].join('\n');
}
