/**
 * Time travel on a long recording: guests/build/tt-long.elf (1.1e9 instructions, ~4800 exits, a 48 MiB buffer
 * rewritten over the run, 128 MiB of RAM) is recorded in memory, then opened with TimeTravel once per checkpoint
 * setting: run to the end (taking the checkpoints), seek to random exits and instruction counts, reverse-continue
 * to a breakpoint on probe_device (called once a round, ~1 million instructions apart), reverse-step, and what the
 * checkpoints hold. A benchmark, not a test: it prints figures.
 */
import { markdownTable, percentile } from './stats.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runElf } from '../client-sdk/index.js';
import {
  DEFAULT_BUDGET_BYTES, DEFAULT_INTERVAL_EXITS, DEFAULT_INTERVAL_INSNS, MemoryJournalWriter, parseElf, readJournal, TimeTravel,
  type CheckpointStats, type ParsedJournal, type TimeTravelOptions,
} from '../sim/index.js';

const GUEST = 'tt-long';
const BREAK_AT = 'probe_device';
const MIB = 1024 * 1024;

export interface TimeTravelSetting {
  name: string;
  options: TimeTravelOptions;
}

/**
 * The defaults (5 M instructions apart, 512 MiB), and sparser checkpoints (what a seek costs against what the
 * checkpoints hold). Not a tight budget: tt-long rewrites a different part of its buffer in every interval, so dropping every
 * other checkpoint saves little and a 256 MiB budget thins them to 4 (seeks of seconds; minutes for this bench).
 */
export const SETTINGS: TimeTravelSetting[] = [
  { name: 'defaults', options: {} },
  { name: '10M insns', options: { intervalInsns: 10_000_000 } },
  { name: '20M insns', options: { intervalInsns: 20_000_000 } },
];

export interface Latencies {
  p50: number;
  p99: number;
  max: number;
}

export interface TimeTravelBenchRow {
  setting: string;
  runToEndSeconds: number;
  stats: CheckpointStats;
  seekExit: Latencies;
  seekIcount: Latencies;
  reverseContinue: Latencies;
  reverseStep: Latencies;
}

export interface TimeTravelBenchReport {
  instructions: number;
  exits: number;
  journalBytes: number;
  recordSeconds: number;
  rows: TimeTravelBenchRow[];
}

/** mulberry32: the same random places on every run, so settings and runs compare. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentiles, in seconds. */
function latencies(seconds: number[]): Latencies {
  const s = [...seconds].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] };
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, (performance.now() - t0) / 1000];
}

function fail(what: string): never {
  throw new Error(`bench timetravel: ${what}`);
}

function record(image: Uint8Array): { journal: ParsedJournal; seconds: number; bytes: number; icount: number } {
  let writer: MemoryJournalWriter | undefined;
  const [result, seconds] = timed(() => runElf(image, { recordTo: (h) => (writer = new MemoryJournalWriter(h)) }));
  if (result.exitCode !== 0) fail(`${GUEST} ended ${result.stop} (${result.exitCode}): ${result.console.slice(-200)}`);
  const bytes = writer!.bytes();
  return { journal: readJournal(bytes), seconds, bytes: bytes.length, icount: result.icount };
}

function measure(journal: ParsedJournal, setting: TimeTravelSetting, breakAt: bigint, samples: number): TimeTravelBenchRow {
  const tt = new TimeTravel(journal, setting.options);
  const [end, runToEndSeconds] = timed(() => tt.runToEnd());
  if (end.stop.kind !== 'history-end') fail(`run to end stopped: ${end.stop.kind}`);
  const lastIcount = end.place.icount;
  const stats = tt.checkpointStats();
  const rnd = random(0x7717);
  const place = (n: number) => Math.floor(rnd() * n);

  const seekExit = Array.from({ length: samples }, () => {
    const seq = place(tt.exitCount);
    const [r, s] = timed(() => tt.seekExit(seq));
    if (r.stop.kind !== 'arrived' || r.place.nextSeq !== seq + 1) fail(`seek to exit ${seq}: ${r.stop.kind}`);
    return s;
  });
  const seekIcount = Array.from({ length: samples }, () => {
    const icount = place(lastIcount);
    const [r, s] = timed(() => tt.seekIcount(icount));
    if (r.place.icount !== icount) fail(`seek to icount ${icount} arrived at ${r.place.icount}`);
    return s;
  });
  // From random places (past the first round) back to the latest call of the breakpoint's function before each.
  tt.addBreakpoint(breakAt);
  const reverseContinue = Array.from({ length: Math.max(1, samples / 5) }, () => {
    tt.seekIcount(Math.floor(lastIcount / 10) + place(lastIcount * 0.9));
    const [r, s] = timed(() => tt.reverseContinue());
    if (r.stop.kind !== 'breakpoint' || r.place.pc !== breakAt) fail(`reverse-continue stopped: ${r.stop.kind} at 0x${r.place.pc.toString(16)}`);
    return s;
  });
  tt.removeBreakpoint(breakAt);
  const reverseStep = Array.from({ length: samples }, () => {
    const from = tt.seekIcount(1 + place(lastIcount - 1)).place.icount;
    const [r, s] = timed(() => tt.reverseStep());
    if (r.place.icount !== from - 1) fail(`reverse-step from ${from} arrived at ${r.place.icount}`);
    return s;
  });
  return {
    setting: setting.name, runToEndSeconds, stats, seekExit: latencies(seekExit), seekIcount: latencies(seekIcount),
    reverseContinue: latencies(reverseContinue), reverseStep: latencies(reverseStep),
  };
}

export function runTimeTravelBench(opts: {
  guestsDir: string; samples: number; settings?: TimeTravelSetting[]; progress?: (what: string) => void;
}): TimeTravelBenchReport {
  const image = readFileSync(join(opts.guestsDir, `${GUEST}.elf`));
  const sym = parseElf(image).symbols.get(BREAK_AT) ?? fail(`${GUEST}.elf has no symbol ${BREAK_AT}`);
  opts.progress?.(`recording ${GUEST}`);
  const { journal, seconds, bytes, icount } = record(image);
  const rows = (opts.settings ?? SETTINGS).map((s) => {
    opts.progress?.(`measuring ${s.name}`);
    return measure(journal, s, BigInt(sym), opts.samples);
  });
  return { instructions: icount, exits: journal.exits.length, journalBytes: bytes, recordSeconds: seconds, rows };
}

const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 2 : 0);

export function formatTimeTravelBench(r: TimeTravelBenchReport): string {
  const lines = [
    `${GUEST}: ${r.instructions} instructions, ${r.exits} exits, journal ${(r.journalBytes / 1024).toFixed(0)} KiB, recorded in ${r.recordSeconds.toFixed(1)} s`,
    `(defaults: checkpoints every ${DEFAULT_INTERVAL_INSNS / 1e6}M instructions or ${DEFAULT_INTERVAL_EXITS} exits, budget ${DEFAULT_BUDGET_BYTES / MIB} MiB)`,
    '',
  ];
  const header = [
    'setting', 'run to end s', 'checkpoints (dropped)', 'interval now', 'checkpoint MiB', 'seek exit p50 / p99 / max ms',
    'seek icount p50 / p99 / max ms', 'reverse-continue p50 / max ms', 'reverse-step p50 / max ms',
  ];
  const l = (x: Latencies) => `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}`;
  const table = markdownTable(header, 'lrrrrrrrr', r.rows.map((row) => {
    const s = row.stats;
    return [
      row.setting, row.runToEndSeconds.toFixed(1), `${s.count} (${s.dropped})`, `${s.intervalInsns / 1e6}M`, ((s.pageBytes + s.stateBytes) / MIB).toFixed(0),
      l(row.seekExit), l(row.seekIcount), `${ms(row.reverseContinue.p50)} / ${ms(row.reverseContinue.max)}`, `${ms(row.reverseStep.p50)} / ${ms(row.reverseStep.max)}`,
    ];
  }));
  return [...lines, table].join('\n');
}
