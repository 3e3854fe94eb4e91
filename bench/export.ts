/**
 * `hindsight export`: time and peak memory to write console-flood recordings as traces. Two recordings, a tenth of
 * the guest's run and all of it (1.09 million exits), so that the memory column shows whether it grows with the
 * recording (it must not: the export streams). Each export runs in a fresh Node process, whose peak resident
 * memory (getrusage's maxrss) is its own. A benchmark, not a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { markdownTable, median } from './stats.js';

export interface ExportBenchRow {
  exits: number;
  journalBytes: number;
  format: string;
  seconds: number[];
  maxRssMiB: number[];
  traceBytes: number;
}

/** Records console-flood (all of it when maxInsns is undefined) with the CLI; returns the journal's path. */
export function recordFlood(cli: string, guestsDir: string, out: string, maxInsns?: number): string {
  const args = [cli, 'record', join(guestsDir, 'console-flood.elf'), '-o', out, '--quiet', ...(maxInsns === undefined ? [] : ['--max-insns', String(maxInsns)])];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 && !statSync(out, { throwIfNoEntry: false })) throw new Error(`recording console-flood failed: ${r.stderr}`);
  return out;
}

/** One export in its own process: seconds, peak RSS, and what the exporter said. */
function exportOnce(distDir: string, journal: string, format: string, out: string): { seconds: number; maxRssKiB: number; exits: number; bytes: number } {
  const module = pathToFileURL(join(distDir, 'server/export/export-trace.js')).href;
  const script = `
    import { createWriteStream } from 'node:fs';
    const { exportTrace } = await import(${JSON.stringify(module)});
    const t0 = performance.now();
    const s = await exportTrace(${JSON.stringify(journal)}, ${JSON.stringify(format)}, createWriteStream(${JSON.stringify(out)}), true);
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS, exits: s.exits, bytes: s.bytes }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`export failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function runExportBench(opts: { cli: string; distDir: string; guestsDir: string; repeats: number; progress: (what: string) => void }): ExportBenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-bench-export-'));
  const rows: ExportBenchRow[] = [];
  try {
    for (const maxInsns of [3_700_000, undefined]) {
      opts.progress(`recording console-flood${maxInsns === undefined ? '' : ` (--max-insns ${maxInsns})`}`);
      const journal = recordFlood(opts.cli, opts.guestsDir, join(dir, `flood-${maxInsns ?? 'all'}.hsj`), maxInsns);
      for (const format of ['perfetto', 'chrome-json']) {
        const row: ExportBenchRow = { exits: 0, journalBytes: statSync(journal).size, format, seconds: [], maxRssMiB: [], traceBytes: 0 };
        for (let i = 0; i < opts.repeats; i++) {
          opts.progress(`export ${format}, ${i + 1}/${opts.repeats}`);
          const out = join(dir, `trace.${format}`);
          const r = exportOnce(opts.distDir, journal, format, out);
          row.exits = r.exits;
          row.traceBytes = r.bytes;
          row.seconds.push(r.seconds);
          row.maxRssMiB.push(r.maxRssKiB / 1024);
          rmSync(out);
        }
        rows.push(row);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatExportBench(rows: ExportBenchRow[]): string {
  const range = (xs: number[], digits: number) => {
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
  };
  return markdownTable(
    ['exits', 'journal MB', 'format', 'seconds (median)', 'range', 'exits/s', 'peak RSS MiB', 'trace MB', 'trace bytes/exit'],
    'rrlrrrrrr',
    rows.map((r) => [
      r.exits.toLocaleString('en-US'), (r.journalBytes / 1e6).toFixed(1), r.format, median(r.seconds).toFixed(2), range(r.seconds, 2),
      Math.round(r.exits / median(r.seconds)).toLocaleString('en-US'), range(r.maxRssMiB, 0), (r.traceBytes / 1e6).toFixed(1),
      Math.round(r.traceBytes / r.exits),
    ]),
  );
}
