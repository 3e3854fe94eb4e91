/**
 * Scratch points: the places reverse steps and reverse-continue leave between checkpoints. Going back to one rewrites
 * only the pages that differ, so these tests hold every place reached through them to the state a plain seek from a
 * checkpoint reaches (the full state digest: registers, CSRs, TLB-visible memory, every byte of RAM).
 */
import { describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { readJournal } from '../journal/reader.js';
import { MemoryJournalWriter } from '../journal/writer.js';
import { image, lcg, record, standing, symbol } from './test-helpers.js';
import { ScratchPoints, type ScratchPoint } from './scratch.js';
import { TimeTravel } from './timetravel.js';

describe('scratch points', () => {
  // traps: Sv39 with hardware A/D updates and page faults, so the TLBs and the page tables are part of each state.
  for (const name of ['traps', 'breakpoints']) {
    it(`${name}: runs of reverse steps stand where plain seeks do, and leave scratch points behind`, () => {
      const journal = record(name);
      const tt = new TimeTravel(journal, { intervalInsns: 1500, stepBackScratchInsns: 40 });
      const end = tt.runToEnd().place.icount;
      const plain = new TimeTravel(journal, { intervalInsns: 1500 });
      plain.runToEnd();
      const rnd = lcg(11);
      for (let run = 0; run < 4; run++) {
        tt.seekIcount(200 + rnd(end - 200));
        for (let i = 0; i < 60; i++) {
          const r = tt.reverseStep();
          expect(standing(tt, r)).toEqual(standing(plain, plain.seekIcount(r.place.icount)));
        }
        // Forwards from a place reached through a scratch point, too.
        const back = tt.place().icount;
        let r = tt.step();
        for (let i = 1; i < 5; i++) r = tt.step();
        expect(standing(tt, r)).toEqual(standing(plain, plain.seekIcount(back + 5)));
      }
      expect(tt.scratchStats().points).toBeGreaterThan(4);
      expect(plain.scratchStats().points).toBe(0);
    });
  }

  it('reverse-continue through scratch points finds every hit a forward run finds, latest first', () => {
    const journal = record('breakpoints');
    const watched = symbol('breakpoints', 'watched');
    const target = symbol('breakpoints', 'target');
    const forward = new TimeTravel(journal, { intervalInsns: 1500 });
    forward.addBreakpoint(target);
    forward.addWatchpoint(watched, 8, { read: true, write: true });
    const hits: number[] = [];
    for (let r = forward.continue(); r.stop.kind !== 'history-end'; r = forward.continue()) hits.push(r.place.icount);
    expect(hits).toHaveLength(3 + 4);

    const tt = new TimeTravel(journal, { intervalInsns: 1500, scanScratchInsns: 100, stepBackScratchInsns: 30, firstWindowInsns: 60 });
    tt.addBreakpoint(target);
    tt.addWatchpoint(watched, 8, { read: true, write: true });
    tt.runToEnd();
    const plain = new TimeTravel(journal);
    const back: number[] = [];
    for (let r = tt.reverseContinue(); r.stop.kind !== 'history-start'; r = tt.reverseContinue()) {
      back.push(r.place.icount);
      // Each stop is the state a plain seek there has; a reverse step and a step come back to it.
      const { digest, pc, nextSeq } = standing(tt, r);
      expect({ digest, pc, nextSeq }).toEqual((({ digest: d, pc: p, nextSeq: n }) => ({ digest: d, pc: p, nextSeq: n }))(standing(plain, plain.seekIcount(r.place.icount))));
      if (r.place.icount > 0) {
        tt.reverseStep();
        expect(tt.step().place.icount).toBe(r.place.icount);
      }
    }
    expect(back).toEqual([...hits].reverse());
    expect(tt.scratchStats().points).toBeGreaterThan(3);
    // Points a scan leaves a stretch apart share the copies of the pages that did not change between them.
    const { bytes, pageRefs } = tt.scratchStats();
    expect(pageRefs).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(pageRefs * 4096);
  });

  it('scratch points built on checkpoints that thinning drops are forgotten, and seeks stay exact', () => {
    const journal = record('traps');
    // A budget so small that every checkpoint taken past the first few thins the list.
    const tt = new TimeTravel(journal, { intervalInsns: 300, budgetBytes: 1, stepBackScratchInsns: 20 });
    const plain = new TimeTravel(journal);
    const end = journal.exits[journal.exits.length - 1].icount;
    const rnd = lcg(5);
    for (let i = 0; i < 30; i++) {
      const at = 50 + rnd(end - 50);
      // Each seek forwards may pass the frontier and take (and thin) checkpoints; each reverse step leaves a point.
      tt.seekIcount(at);
      const r = tt.reverseStep();
      expect(standing(tt, r)).toEqual(standing(plain, plain.seekIcount(at - 1)));
    }
    expect(tt.checkpointStats().dropped).toBeGreaterThan(0);
  });
});

describe('scratch points where every interval writes fresh pages', () => {
  // bench-memcpy fills a 2 MiB buffer from icount ~1.05 M on: a page it had not written before every ~2,000
  // instructions, so any two places in that stretch differ in many pages.
  let writer: MemoryJournalWriter | undefined;
  runElf(image('bench-memcpy'), { maxInsns: 2_000_000, recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
  const journal = readJournal(writer!.bytes());
  const src = symbol('bench-memcpy', 'src');

  it('going to a hit from the scan\'s last scratch point puts back the pages written after the one it restores', () => {
    const tt = new TimeTravel(journal, { intervalInsns: 500_000, scanScratchInsns: 50_000 });
    const plain = new TimeTravel(journal, { intervalInsns: 500_000 });
    tt.runToEnd();
    // A word on the buffer's 60th page, filled near icount 1.17 M: the scan of [1.0 M, 1.5 M) ends on a scratch
    // point at 1.45 M, and going to the hit restores the one at 1.15 M, 150 fresh pages earlier.
    tt.addWatchpoint(src + 60n * 4096n + 8n, 8, { read: false, write: true });
    const r = tt.reverseContinue();
    expect(r.stop.kind).toBe('watchpoint');
    expect(tt.scratchStats().points).toBeGreaterThan(5);
    // In this stretch the runtime clears the buffers, which hold zeros already: the dirty log names hundreds of
    // pages, none differs from the checkpoints, and the points copy none.
    expect(tt.scratchStats().pageRefs).toBe(0);
    const { digest, pc } = standing(tt, r);
    const there = standing(plain, plain.seekIcount(r.place.icount));
    expect({ digest, pc }).toEqual({ digest: there.digest, pc: there.pc });
    // And runs of reverse steps across the points the scan left.
    const rnd = lcg(7);
    for (let i = 0; i < 40; i++) {
      const at = 1_100_000 + rnd(390_000);
      const back = tt.seekIcount(at) && tt.reverseStep();
      expect(standing(tt, back)).toEqual(standing(plain, plain.seekIcount(at - 1)));
    }
  });
});

describe('the scratch points\' budget', () => {
  const point = (icount: number, pages: Map<number, Uint8Array>): ScratchPoint =>
    ({ base: {} as ScratchPoint['base'], icount, nextSeq: 0, position: {} as ScratchPoint['position'], vcpu: {} as ScratchPoint['vcpu'], pages });

  it('counts a copy that points share once, and frees it with the last point holding it', () => {
    const a = new Uint8Array(4096), b = new Uint8Array(4096), c = new Uint8Array(4096);
    const set = new ScratchPoints();
    set.add(point(1, new Map([[1, a], [2, b]])));
    set.add(point(2, new Map([[1, a], [2, c]])));
    expect(set.stats()).toEqual({ points: 2, bytes: 3 * 4096, pageRefs: 4 });
    for (let i = 3; set.stats().points === 2 || set.list[0].icount === 1; i++) set.add(point(i, new Map()));
    // The first point is gone: its own copy (b) with it, the shared one (a) still held by the second.
    expect(set.list.some((p) => p.icount === 2)).toBe(true);
    expect(set.stats()).toMatchObject({ bytes: 2 * 4096, pageRefs: 2 });
  });
});
