import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalVmm } from '../../client-sdk/index.js';
import { readJournal } from '../journal/reader.js';
import { MemoryJournalWriter } from '../journal/writer.js';
import { expectSimError } from '../test-helpers.js';
import { expectSeeksMatchStraightReplay, image, lcg, record, standing, symbol, type SeekTarget } from './test-helpers.js';
import type { VcpuExit } from '../kvm/exits.js';
import { TimeTravel } from './timetravel.js';

describe('seeks land on the state a straight replay had there', () => {
  it('console-flood: random exits and instruction counts in an exit-heavy recording', () => {
    const journal = record('console-flood');
    const last = journal.exits[journal.exits.length - 1];
    expect(journal.exits.length).toBeGreaterThan(500_000);
    const rnd = lcg(7);
    const targets: SeekTarget[] = [];
    for (let i = 0; i < 12; i++) targets.push({ exit: rnd(journal.exits.length) }, { icount: rnd(last.icount) });
    targets.push({ exit: 0 }, { exit: journal.exits.length - 1 }, { icount: 0 });
    expectSeeksMatchStraightReplay(journal, targets, { intervalInsns: 2_000_000, intervalExits: 40_000 });
  }, 120_000);

  it('bench-paging: random instruction counts with paging on (the TLBs are part of a checkpoint)', () => {
    const journal = record('bench-paging');
    const last = journal.exits[journal.exits.length - 1];
    const rnd = lcg(11);
    const targets: SeekTarget[] = [];
    for (let i = 0; i < 10; i++) targets.push({ icount: rnd(last.icount) });
    for (let i = 0; i < 4; i++) targets.push({ exit: rnd(journal.exits.length) });
    expectSeeksMatchStraightReplay(journal, targets, { intervalInsns: 10_000_000 });
  }, 120_000);
});

describe('reverse execution', () => {
  const journal = record('breakpoints');
  const small = { intervalInsns: 400 };

  /** Every place a forward run stops with these triggers set, from the start to the end. */
  function forwardHits(tt: TimeTravel): number[] {
    tt.seekIcount(0);
    const hits: number[] = [];
    for (;;) {
      const r = tt.continue();
      if (r.stop.kind === 'history-end') return hits;
      expect(['breakpoint', 'watchpoint']).toContain(r.stop.kind);
      hits.push(r.place.icount);
    }
  }

  it('reverse-continue stops at the hits a forward scan finds, latest first, then says history-start', () => {
    const tt = new TimeTravel(journal, small);
    const target = symbol('breakpoints', 'target');
    tt.addBreakpoint(target);
    const hits = forwardHits(tt);
    expect(hits).toHaveLength(3);
    expect(tt.checkpointStats().count).toBeGreaterThan(3);
    expect(tt.place().icount).toBeGreaterThan(hits[2]);
    const back: number[] = [];
    for (let r = tt.reverseContinue(); r.stop.kind === 'breakpoint'; r = tt.reverseContinue()) {
      expect(r.place.pc).toBe(target);
      back.push(r.place.icount);
    }
    expect(back).toEqual([...hits].reverse());
    expect(tt.place().icount).toBe(0);
    expect(tt.reverseContinue().stop.kind).toBe('history-start');
  });

  it('reverse-continue uses the breakpoints set now: one set after the run was recorded, removed again', () => {
    const tt = new TimeTravel(journal, small);
    tt.runToEnd();
    expect(tt.reverseContinue().stop.kind).toBe('history-start');
    tt.runToEnd();
    tt.addBreakpoint(symbol('breakpoints', 'target'));
    expect(tt.reverseContinue().stop.kind).toBe('breakpoint');
    tt.removeBreakpoint(symbol('breakpoints', 'target'));
    expect(tt.reverseContinue().stop.kind).toBe('history-start');
  });

  it('reverse-continue to watchpoints: writes only, then reads and writes', () => {
    // `watched` is written three times (the runtime zeroing .bss, then main twice) and read once.
    const watched = symbol('breakpoints', 'watched');
    const writes = new TimeTravel(journal, small);
    writes.addWatchpoint(watched, 8, { read: false, write: true });
    const writeHits = forwardHits(writes);
    expect(writeHits).toHaveLength(3);
    const r = writes.reverseContinue();
    expect(r.stop).toMatchObject({ kind: 'watchpoint', address: watched, isWrite: true });
    expect(r.place.icount).toBe(writeHits[2]);

    const all = new TimeTravel(journal, small);
    all.addWatchpoint(watched, 8, { read: true, write: true });
    const allHits = forwardHits(all);
    expect(allHits).toHaveLength(4);
    const back: number[] = [];
    for (let s = all.reverseContinue(); s.stop.kind === 'watchpoint'; s = all.reverseContinue()) back.push(s.place.icount);
    expect(back).toEqual([...allHits].reverse());
  });

  it('a watchpoint set after the checkpoints were taken still sees every write: their TLBs may map its page', () => {
    // Before the fix, a restored checkpoint's write-TLB entry for the page took the stores past the watchpoint check:
    // reverse-continue found only the write from checkpoint 0 (empty TLBs), and forward continues missed writes.
    const watched = symbol('breakpoints', 'watched');
    const tt = new TimeTravel(journal, small);
    tt.runToEnd();
    tt.addWatchpoint(watched, 8, { read: false, write: true });
    const back: number[] = [];
    for (let r = tt.reverseContinue(); r.stop.kind === 'watchpoint'; r = tt.reverseContinue()) back.push(r.place.icount);
    const fresh = new TimeTravel(journal, small);
    fresh.addWatchpoint(watched, 8, { read: false, write: true });
    const hits = forwardHits(fresh);
    expect(back).toEqual([...hits].reverse());
    // Forwards too, from a checkpoint taken before the watchpoint.
    tt.seekIcount(hits[0] + 1);
    expect(tt.continue().place.icount).toBe(hits[1]);
  });

  it('observer triggers never change the run: a replay stopping at every hit still matches to the end', () => {
    const tt = new TimeTravel(journal, small);
    tt.addBreakpoint(symbol('breakpoints', 'target'));
    tt.addWatchpoint(symbol('breakpoints', 'watched'), 8, { read: true, write: true });
    let stops = 0, r = tt.continue();
    for (; r.stop.kind === 'breakpoint' || r.stop.kind === 'watchpoint'; r = tt.continue()) stops++;
    expect(stops).toBe(3 + 4);
    expect(r.stop).toEqual({ kind: 'history-end', closed: true });
    const plain = new TimeTravel(journal);
    plain.runToEnd();
    expect(tt.replayer.stateDigest()).toBe(plain.replayer.stateDigest());
  });

  it('a plain forward stream (stepForward, a replay session\'s) lays the checkpoints a travel to the end lays', () => {
    const travelled = new TimeTravel(journal, small);
    const end = travelled.runToEnd().place.icount;
    const streamed = new TimeTravel(journal, small);
    let steps = 0;
    for (let s = streamed.stepForward(1000); s.kind !== 'done'; s = streamed.stepForward(1000)) steps++;
    expect(steps).toBeGreaterThan(10);
    expect(streamed.checkpointStats().count).toBeGreaterThan(3);
    expect(streamed.checkpointStats()).toEqual(travelled.checkpointStats());
    // A seek after the stream stands where one after the travel does.
    for (const icount of [Math.floor(end / 3), Math.floor(end / 2), end - 7]) {
      expect(standing(streamed, streamed.seekIcount(icount))).toEqual(standing(travelled, travelled.seekIcount(icount)));
    }
  });

  it('reverse-step then step returns to the same state, anywhere; reverse-step at the start says so', () => {
    const tt = new TimeTravel(journal, small);
    const end = tt.runToEnd().place.icount;
    const rnd = lcg(3);
    for (let i = 0; i < 12; i++) {
      const here = standing(tt, tt.seekIcount(1 + rnd(end - 1)));
      const back = tt.reverseStep();
      expect(back.place.icount).toBe(here.icount - 1);
      expect(standing(tt, tt.step())).toEqual(here);
    }
    // From an exit, too: one step back and forward again stands at the same registers and memory.
    const atExit = tt.seekExit(20);
    const digest = tt.replayer.stateDigest();
    tt.reverseStep();
    const again = tt.step();
    expect(again.place.icount).toBe(atExit.place.icount);
    expect(tt.replayer.stateDigest()).toBe(digest);
    tt.seekIcount(0);
    expect(tt.reverseStep()).toMatchObject({ stop: { kind: 'history-start' }, place: { icount: 0 } });
  });
});

describe('diversions', () => {
  const journal = record('breakpoints');
  const target = symbol('breakpoints', 'target');
  /** Device models of the simplest kind: loads read zeros, SBI calls succeed, debug stops go on. */
  const answer = (exit: VcpuExit) => {
    switch (exit.reason) {
      case 'MMIO': return exit.isWrite && exit.physAddr === 0x100000 ? { end: 'finisher' } : { seq: exit.seq, reason: 'MMIO' as const, ...(exit.isWrite ? {} : { data: new Uint8Array(exit.len) }) };
      case 'RISCV_SBI': return { seq: exit.seq, reason: 'RISCV_SBI' as const, ret: [0n, 0n] as [bigint, bigint] };
      case 'DEBUG': return { seq: exit.seq, reason: 'DEBUG' as const, action: 'resume' as const };
      default: return { end: exit.reason };
    }
  };

  it('leave the recorded run to write and run the guest, refuse travels meanwhile, and come back unchanged', () => {
    const tt = new TimeTravel(journal, { intervalInsns: 400 });
    tt.addBreakpoint(target);
    const first = tt.continue();
    const here = standing(tt, first);
    expectSimError(() => tt.setRegister(10, 5n), 'TT_NOT_DIVERTED');
    tt.divert(answer);
    expect(tt.diverted).toBe(true);
    // target(i): run it again with i = 41 from a register write; it stops at the breakpoint's next hit.
    tt.setRegister(10, 41n);
    tt.writeMemory(Number(symbol('breakpoints', 'watched')), Uint8Array.of(7, 7, 7, 7, 7, 7, 7, 7));
    expect(tt.machine.hart.getReg(10)).toBe(41n);
    const again = tt.continue();
    expect(again.stop.kind).toBe('breakpoint');
    expect(tt.step().place.icount).toBe(again.place.icount + 1);
    for (const move of [() => tt.reverseStep(), () => tt.reverseContinue(), () => tt.seekIcount(3), () => tt.seekExit(1), () => tt.runToEnd()]) {
      expectSimError(move, 'TT_DIVERTED');
    }
    // Its own run ends at the finisher: the diversion says so.
    tt.removeBreakpoint(target);
    expect(tt.continue().stop).toEqual({ kind: 'diversion-end', reason: 'finisher' });
    const back = tt.undivert();
    expect(standing(tt, back)).toEqual({ ...here, stop: 'arrived' });
    expect(tt.diverted).toBe(false);
    // And the recording goes on as recorded.
    expect(tt.runToEnd().stop).toEqual({ kind: 'history-end', closed: true });
  });
});

describe('recordings with their own debugger stops', () => {
  const target = symbol('breakpoints', 'target');
  // The session's debugger sets a breakpoint after the first exit and removes it after its second stop.
  let debugStops = 0;
  const journal = record('breakpoints', (vmm, exits) => {
    if (exits === 1) vmm.session.input({ kind: 'breakpoint', pc: target, add: true });
    const last = vmm.machine.vcpu.stats.count('DEBUG');
    if (last === 2 && debugStops < 2) {
      debugStops = 2;
      vmm.session.input({ kind: 'breakpoint', pc: target, add: false });
    }
  });
  const debugExits = journal.exits.filter((e) => e.reason === 'DEBUG').map((e) => e.seq);

  it('seeks back and forth across the moments the breakpoint was set and removed replay without diverging', () => {
    expect(debugExits).toHaveLength(2);
    const tt = new TimeTravel(journal, { intervalInsns: 400 });
    expect(tt.runToEnd().stop).toEqual({ kind: 'history-end', closed: true });
    for (const seq of [debugExits[1], 0, debugExits[0], journal.exits.length - 1, debugExits[1] + 1, 1]) {
      const r = tt.seekExit(seq);
      expect(r.stop.kind).toBe('arrived');
      expect(r.place.atExit?.seq).toBe(seq);
    }
    expect(tt.runToEnd().stop).toEqual({ kind: 'history-end', closed: true });
  });

  it('an observer breakpoint at the recorded one stops at the recorded stops and at the unrecorded third call', () => {
    const tt = new TimeTravel(journal, { intervalInsns: 400 });
    tt.runToEnd();
    tt.addBreakpoint(target);
    const seqs: (number | undefined)[] = [];
    for (let r = tt.reverseContinue(); r.stop.kind === 'breakpoint'; r = tt.reverseContinue()) seqs.push(r.place.atExit?.seq);
    expect(seqs).toEqual([undefined, debugExits[1], debugExits[0]]);
  });
});

describe('observer breakpoints where the recording has its own watchpoint hits', () => {
  // The session's debugger watches writes to `watched` from the start: the recording holds its DEBUG exits.
  const watched = symbol('breakpoints', 'watched');
  const journal = record('breakpoints', (vmm, exits) => {
    if (exits > 0) return;
    vmm.session.input({ kind: 'guest-debug', enabled: true, singleStep: false });
    vmm.session.input({ kind: 'watchpoint', addr: watched, len: 8, read: false, write: true, add: true });
  });
  const recordedHits = journal.exits.filter((e) => e.reason === 'DEBUG')
    .map((e) => (journal.entries[e.index].record as { t: 'exit'; exit: VcpuExit }).exit)
    .filter((exit) => exit.reason === 'DEBUG' && exit.why === 'watchpoint');

  it('stop before the storing instruction, then continue past it: the recorded hit still happens, nothing diverges', () => {
    expect(recordedHits.length).toBeGreaterThanOrEqual(2);
    const storePc = recordedHits[1].pc;
    const tt = new TimeTravel(journal, { intervalInsns: 400 });
    tt.addBreakpoint(storePc);
    const stops: number[] = [];
    let r = tt.continue();
    for (; r.stop.kind === 'breakpoint'; r = tt.continue()) {
      expect(r.place.pc).toBe(storePc);
      // Standing on the observer breakpoint, before the store: the recorded watchpoint exit comes next.
      expect(r.place.nextSeq).toBeLessThanOrEqual(recordedHits[stops.length + 1].seq);
      stops.push(r.place.icount);
    }
    expect(r.stop).toEqual({ kind: 'history-end', closed: true });
    expect(stops.length).toBeGreaterThanOrEqual(1);
    expect(new Set(stops).size).toBe(stops.length);
    const plain = new TimeTravel(journal);
    plain.runToEnd();
    expect(tt.replayer.stateDigest()).toBe(plain.replayer.stateDigest());

    // A seek to the breakpoint's place and a continue from there go on, too; so does a step, by one instruction.
    tt.seekIcount(stops[0]);
    const next = tt.continue();
    expect(next.place.icount).toBeGreaterThan(stops[0]);
    expect(['breakpoint', 'history-end']).toContain(next.stop.kind);
    tt.seekIcount(stops[0]);
    expect(tt.step()).toMatchObject({ stop: { kind: 'arrived' }, place: { icount: stops[0] + 1 } });
  });
});

describe('damaged and bounded', () => {
  it('a torn tail: seeks work up to the last complete record, and no further', () => {
    const full = record('breakpoints');
    let writer: MemoryJournalWriter | undefined;
    new LocalVmm(image('breakpoints'), { recordTo: (h) => (writer = new MemoryJournalWriter(h)) }).run();
    const bytes = writer!.bytes();
    // Cut inside a record two thirds of the way through, as a recorder killed mid-write leaves it.
    const torn = readJournal(bytes.subarray(0, full.entries[Math.floor((full.entries.length * 2) / 3)].offset + 5));
    expect(torn.tornBytes).toBeGreaterThan(0);
    const n = torn.exits.length;
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(full.exits.length);
    const tt = new TimeTravel(torn, { intervalInsns: 400 });
    const whole = new TimeTravel(full, { intervalInsns: 400 });
    for (const seq of [n - 1, 3, Math.floor(n / 2)]) {
      expect(standing(tt, tt.seekExit(seq))).toEqual(standing(whole, whole.seekExit(seq)));
    }
    expectSimError(() => tt.seekExit(n), 'TT_NO_SUCH_EXIT');
    expect(tt.runToEnd().stop).toEqual({ kind: 'history-end', closed: false });
  });

  it('a small memory budget drops checkpoints (and says so) and seeks stay exact', () => {
    const journal = record('bench-memcpy');
    const last = journal.exits[journal.exits.length - 1].icount;
    const budgetBytes = 2 * 1024 * 1024;
    const tt = new TimeTravel(journal, { intervalInsns: 200_000, budgetBytes });
    tt.runToEnd();
    const stats = tt.checkpointStats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.intervalInsns).toBeGreaterThan(200_000);
    expect(stats.pageBytes + stats.stateBytes > budgetBytes).toBe(stats.overBudget);
    const straight = new TimeTravel(journal, { intervalInsns: Infinity, intervalExits: Infinity });
    const rnd = lcg(5);
    const targets = Array.from({ length: 6 }, () => rnd(last)).sort((a, b) => a - b);
    const seen = new Map(targets.map((k) => [k, standing(straight, straight.seekIcount(k))]));
    for (const k of [...targets].reverse()) expect(standing(tt, tt.seekIcount(k))).toEqual(seen.get(k));
  }, 60_000);

  it('coded errors for places that do not exist', () => {
    const tt = new TimeTravel(record('hello'));
    expectSimError(() => tt.seekExit(-1), 'TT_NO_SUCH_EXIT');
    expectSimError(() => tt.seekExit(1.5), 'TT_NO_SUCH_EXIT');
    expectSimError(() => tt.seekExit(tt.exitCount), 'TT_NO_SUCH_EXIT');
    expectSimError(() => tt.seekIcount(-3), 'TT_BAD_TARGET');
    expect(tt.seekIcount(1e12).stop).toEqual({ kind: 'history-end', closed: true });
  });
});

describe('the timeline', () => {
  const journal = record('breakpoints');
  const tt = new TimeTravel(journal);

  it('lists past exits in order, filtered by reason, pc, address and range, from either end', () => {
    const all = tt.timeline({ limit: 1e9 });
    expect(all.map((e) => e.seq)).toEqual(journal.exits.map((e) => e.seq));
    expect(all.map((e) => e.icount)).toEqual(journal.exits.map((e) => e.icount));
    const sbi = tt.timeline({ reason: 'RISCV_SBI', limit: 1e9 });
    expect(sbi.length).toBe(journal.exits.filter((e) => e.reason === 'RISCV_SBI').length);
    expect(sbi.every((e) => e.reason === 'RISCV_SBI')).toBe(true);
    const pc = all[5].pc;
    expect(tt.timeline({ pc, limit: 1e9 }).every((e) => e.pc === pc)).toBe(true);
    expect(tt.timeline({ pc, limit: 1e9 }).length).toBeGreaterThan(0);
    expect(tt.timeline({ fromSeq: 10, toSeq: 14 }).map((e) => e.seq)).toEqual([10, 11, 12, 13, 14]);
    expect(tt.timeline({ last: true, limit: 3 }).map((e) => e.seq)).toEqual(all.slice(-3).map((e) => e.seq));
    expect(tt.timeline({ limit: 2 })).toHaveLength(2);
  });

  it('filters MMIO exits by the address they touched', () => {
    const uart = readJournal(readFileSync(join(import.meta.dirname, '..', '..', 'recordings', 'uart-race.hsj')));
    const t = new TimeTravel(uart).timeline({ address: 0x1000_0005n, len: 1, limit: 1e9 });
    expect(t.length).toBeGreaterThan(0);
    expect(t.every((e) => e.exit.reason === 'MMIO' && e.exit.physAddr === 0x1000_0005)).toBe(true);
  });
});
