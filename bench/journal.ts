/**
 * Recording overhead: the same guest run plainly, recorded to a file, and replayed from it. Prints seconds,
 * overhead, exits, journal bytes per exit, and replay speed against recording speed. A benchmark, not a test.
 */
import { markdownTable, median } from './stats.js';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runElf } from '../client-sdk/index.js';
import { FileJournalWriter, readJournal, replayJournal } from '../sim/index.js';

export interface JournalBenchRow {
  workload: string;
  kind: string;
  instructions: number;
  exits: number;
  runSeconds: number;
  recordSeconds: number;
  replaySeconds: number;
  bytesPerExit: number;
}

const WORKLOADS = [
  { workload: 'bench-intloop', kind: 'compute-bound', maxInsns: undefined as number | undefined },
  { workload: 'console-flood', kind: 'exit-heavy (SBI console)', maxInsns: 30_000_000 },
  { workload: 'mmio-widths', kind: 'exit-heavy (MMIO), short', maxInsns: undefined },
];

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export function runJournalBench(opts: { guestsDir: string; repeats: number; progress?: (what: string) => void }): JournalBenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-bench-'));
  const rows: JournalBenchRow[] = [];
  try {
    for (const w of WORKLOADS) {
      const image = readFileSync(join(opts.guestsDir, `${w.workload}.elf`));
      opts.progress?.(`${w.workload}: ${opts.repeats} times run, recorded and replayed`);
      const file = join(dir, `${w.workload}.hsj`);
      const runs: number[] = [], records: number[] = [], replays: number[] = [];
      let instructions = 0, exits = 0;
      for (let i = 0; i < opts.repeats; i++) {
        runs.push(time(() => { runElf(image, { maxInsns: w.maxInsns }); }));
        records.push(time(() => {
          const r = runElf(image, { maxInsns: w.maxInsns, recordTo: (h) => new FileJournalWriter(file, h) });
          instructions = r.icount;
          exits = r.exits;
        }));
        replays.push(time(() => {
          const res = replayJournal(readJournal(readFileSync(file)));
          if (!res.ok) throw new Error(`${w.workload}: replay diverged: ${JSON.stringify(res.divergence)}`);
        }));
      }
      const journal = readJournal(readFileSync(file));
      const headerBytes = journal.entries.length ? journal.entries[0].offset : statSync(file).size;
      rows.push({
        workload: w.workload, kind: w.kind, instructions, exits,
        runSeconds: median(runs), recordSeconds: median(records), replaySeconds: median(replays),
        bytesPerExit: (statSync(file).size - headerBytes) / Math.max(1, exits),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatJournalBench(rows: JournalBenchRow[]): string {
  const header = ['workload', 'kind', 'guest insns', 'exits', 'run s', 'record s', 'overhead', 'replay s', 'replay/record speed', 'journal bytes/exit'];
  return markdownTable(header, 'llrrrrrrrr', rows.map((r) => [
    r.workload, r.kind, r.instructions, r.exits, r.runSeconds.toFixed(3), r.recordSeconds.toFixed(3),
    `${((r.recordSeconds / r.runSeconds - 1) * 100).toFixed(1)}%`, r.replaySeconds.toFixed(3), `${(r.recordSeconds / r.replaySeconds).toFixed(2)}x`,
    r.bytesPerExit.toFixed(0),
  ]));
}
