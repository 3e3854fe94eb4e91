import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LocalVmm } from '../../client-sdk/index.js';
import { parseElf } from '../elf.js';
import { readJournal, type ParsedJournal } from '../journal/reader.js';
import { MemoryJournalWriter } from '../journal/writer.js';
import { TimeTravel, type TimeTravelOptions, type TravelResult } from './timetravel.js';

/** Where a travel stands, with the full state digest: what two ways of getting somewhere must agree on. */
export function standing(tt: TimeTravel, r: TravelResult) {
  return { stop: r.stop.kind, icount: r.place.icount, nextSeq: r.place.nextSeq, pc: r.place.pc, atExit: r.place.atExit?.seq, digest: tt.replayer.stateDigest() };
}

export type SeekTarget = { exit: number } | { icount: number };
export const seek = (tt: TimeTravel, t: SeekTarget) => ('exit' in t ? tt.seekExit(t.exit) : tt.seekIcount(t.icount));

/**
 * Visits the targets twice: with checkpoints, in the given order (after a run to the end, so each seek restores
 * one), and with none at all, straight from the start in increasing order (each seek only goes forward). Both
 * must stand at the same state every time.
 */
export function expectSeeksMatchStraightReplay(journal: ParsedJournal, targets: SeekTarget[], options: TimeTravelOptions): void {
  const tt = new TimeTravel(journal, options);
  expect(tt.runToEnd().stop.kind).toBe('history-end');
  expect(tt.checkpointStats().count).toBeGreaterThan(5);
  const travelled = new Map<SeekTarget, ReturnType<typeof standing>>();
  for (const t of targets) travelled.set(t, standing(tt, seek(tt, t)));
  const straight = new TimeTravel(journal, { intervalInsns: Infinity, intervalExits: Infinity });
  const key = (t: SeekTarget) => ('exit' in t ? journal.exits[t.exit].icount : t.icount);
  for (const t of [...targets].sort((a, b) => key(a) - key(b))) {
    expect(travelled.get(t), JSON.stringify(t)).toEqual(standing(straight, seek(straight, t)));
  }
  expect(straight.checkpointStats().count).toBe(1);
}

const BUILD = join(import.meta.dirname, '..', '..', 'guests', 'build');
export const image = (name: string) => readFileSync(join(BUILD, `${name}.elf`));
export const symbol = (name: string, sym: string) => BigInt(parseElf(image(name)).symbols.get(sym)!);

/** Records a guest with the built-in userspace; `drive` may feed inputs between exits (a debugger's). */
export function record(name: string, drive?: (vmm: LocalVmm, exits: number) => void): ParsedJournal {
  let writer: MemoryJournalWriter | undefined;
  const vmm = new LocalVmm(image(name), { recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
  if (drive === undefined) vmm.run();
  else {
    for (let exits = 0; ; exits++) {
      drive(vmm, exits);
      const end = vmm.answerExit(vmm.session.run());
      if (end !== null) { vmm.result(end.stop, end.exitCode); break; }
    }
  }
  return readJournal(writer!.bytes());
}

/** A fixed-seed generator: the same targets on every run. */
export function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

