import { expect } from 'vitest';
import type { ParsedJournal } from '../journal/reader.js';
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
