/**
 * Split a difftest console into per-seed sections and compare them line by line.
 */

import { END_MARKER, START_MARKER } from './runtime.js';

export interface SplitConsole {
  /** seed → its section: the "seed N" line and everything up to the next seed line (or the end marker) */
  cases: Map<number, string>;
  /** seeds in the order they were printed */
  order: number[];
  started: boolean;
  ended: boolean;
  /** lines outside any case (other than the markers): should be empty */
  stray: string[];
}

export function splitBySeed(console: string): SplitConsole {
  const cases = new Map<number, string>();
  const order: number[] = [];
  const stray: string[] = [];
  let started = false;
  let ended = false;
  let current: number | null = null;
  let buf: string[] = [];
  const flush = () => {
    if (current !== null) cases.set(current, buf.join('\n') + '\n');
    current = null;
    buf = [];
  };
  const lines = console.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line === START_MARKER) {
      started = true;
      continue;
    }
    if (line === END_MARKER) {
      flush();
      ended = true;
      continue;
    }
    const m = /^seed (\d+)$/.exec(line);
    if (m) {
      flush();
      current = Number(m[1]);
      order.push(current);
      buf.push(line);
      continue;
    }
    if (current === null) stray.push(line);
    else buf.push(line);
  }
  flush();
  return { cases, order, started, ended, stray };
}

export interface LineDiff {
  /** 1-based line within the seed's section */
  line: number;
  expected: string;
  actual: string;
}

/** First differing line of two sections (a missing line reads as "<missing>"), or null when equal. */
export function firstDifference(expected: string, actual: string): LineDiff | null {
  if (expected === actual) return null;
  const a = expected.split('\n');
  const b = actual.split('\n');
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { line: i + 1, expected: a[i] ?? '<missing>', actual: b[i] ?? '<missing>' };
  }
  return null;
}

/** What runElf returns (sim/index.ts), as far as the comparison needs it. */
export interface HindsightOutcome {
  console: string;
  exitCode: number;
  stop: string;
  message?: string;
}

/**
 * Compare hindsight's run of a batch with QEMU's per-seed sections. Returns one line per problem (empty when
 * everything matches): the seed, the first differing line, and the command that re-runs that seed alone.
 */
export function compareWithQemu(
  seeds: readonly number[],
  qemu: SplitConsole,
  hindsight: HindsightOutcome,
  hindsightConsole: string,
  rerun: (seed: number) => string,
): string[] {
  const split = splitBySeed(hindsightConsole);
  const report: string[] = [];
  for (const s of seeds) {
    const d = firstDifference(qemu.cases.get(s) ?? '', split.cases.get(s) ?? '<seed missing>');
    if (d) {
      report.push(
        `seed ${s}: first difference at line ${d.line}: QEMU "${d.expected}" / hindsight "${d.actual}" (re-run: ${rerun(s)})`,
      );
    }
  }
  if (!split.ended) report.push('hindsight never printed the end marker');
  if (hindsight.stop !== 'finisher' || hindsight.exitCode !== 0) {
    report.push(
      `hindsight stopped with ${hindsight.stop}, exit ${hindsight.exitCode}` +
        `${hindsight.message ? `: ${hindsight.message}` : ''} (QEMU: test finisher, exit 0)`,
    );
  }
  return report;
}
