import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalVmm, runElf } from '../../client-sdk/index.js';
import { needsAnswer, type ExitAnswer, type VcpuExit } from '../kvm/exits.js';
import { encodeFrame, encodePreamble, encodeRecordFrame, type JournalHeader, type JournalRecord } from './format.js';
import { readJournal, type ParsedJournal } from './reader.js';
import { Replayer, replayJournal, type ReplayResult } from './replay.js';
import { MemoryJournalWriter } from './writer.js';

const BUILD = join(import.meta.dirname, '..', '..', 'guests', 'build');
const image = (name: string) => readFileSync(join(BUILD, `${name}.elf`));

function record(name: string, options: Parameters<typeof runElf>[1] = {}): ParsedJournal {
  let writer: MemoryJournalWriter | undefined;
  runElf(image(name), { ...options, recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
  return readJournal(writer!.bytes());
}

function encode(header: JournalHeader, records: JournalRecord[]): Uint8Array {
  return Buffer.concat([encodePreamble(), encodeFrame(header), ...records.map((r) => encodeRecordFrame(r))]);
}

/** What a replay reports, without the machine (compared between the two ways of replaying). */
const summary = (r: ReplayResult) => ({
  ok: r.ok, divergence: r.divergence, exits: r.exits, icount: r.icount, closed: r.closed, recordedDigest: r.recordedDigest, finalDigest: r.finalDigest,
});

type Seen = { seq: number; reason: string; answer: ExitAnswer | undefined };

/** Steps a replayer to the end with at most `slice` instructions a step; returns what it saw and the result. */
function stepThrough(journal: ParsedJournal, slice = Infinity) {
  const r = new Replayer(journal);
  const seen: Seen[] = [];
  let budgets = 0;
  for (;;) {
    const before = r.record;
    const s = r.step(slice);
    if (s.kind === 'done') {
      expect(r.done).toBe(true);
      expect(r.step(slice)).toEqual(s);
      return { seen, budgets, result: s.result, replayer: r };
    }
    if (s.kind === 'budget') {
      budgets++;
      // Inputs and digests before the exit may have been replayed; the exit has not.
      expect(r.record).toBeGreaterThanOrEqual(before);
      expect(journal.entries[r.record].record.t).toBe('exit');
      continue;
    }
    expect(r.record).toBeGreaterThan(before);
    seen.push({ seq: s.exit.seq, reason: s.exit.reason, answer: s.answer });
  }
}

/** What replayJournal hands its onExit callback. */
function onExitSequence(journal: ParsedJournal) {
  const seen: Seen[] = [];
  const result = replayJournal(journal, { onExit: (exit, answer) => seen.push({ seq: exit.seq, reason: exit.reason, answer }) });
  return { seen, result };
}

const UART = { input: Buffer.from('hello uart\n'), digestEveryExits: 25 };
const GUESTS: [string, Parameters<typeof runElf>[1], number][] = [
  ['uart-irq', UART, 3],
  ['console-flood', { maxInsns: 300_000, digestEveryExits: 1000 }, 9],
  ['breakpoints', { guestDebug: true }, 5],
  ['seed-csr', {}, 11],
  ['wfi-idle', {}, 2],
];

describe('Replayer: step by step', () => {
  for (const [name, options, slice] of GUESTS) {
    it(`${name}: exit by exit, and in ${slice}-instruction slices, ends where replayJournal ends`, () => {
      const journal = record(name, options);
      const whole = onExitSequence(journal);
      expect(whole.result.ok).toBe(true);
      expect(whole.result.finalDigest).toBe(whole.result.recordedDigest);

      const stepped = stepThrough(journal);
      expect(summary(stepped.result)).toEqual(summary(whole.result));
      expect(stepped.budgets).toBe(0);
      expect(stepped.seen).toEqual(whole.seen);
      expect(stepped.replayer.exits).toBe(journal.exits.length);
      expect(stepped.replayer.record).toBe(journal.entries.length);
      for (const s of stepped.seen) {
        if (needsAnswer({ reason: s.reason } as VcpuExit)) expect(s.answer?.seq).toBe(s.seq);
        else expect(s.answer).toBeUndefined();
      }

      const sliced = stepThrough(journal, slice);
      expect(summary(sliced.result)).toEqual(summary(whole.result));
      expect(sliced.seen).toEqual(whole.seen);
      expect(sliced.budgets).toBeGreaterThan(0);
    });
  }

  it('result() before the end: where the replay stands, as replayJournal with stopAfterSeq reports it', () => {
    const journal = record('uart-irq', UART);
    const stopAt = journal.exits[Math.floor(journal.exits.length / 2)].seq;
    const stopped = replayJournal(journal, { stopAfterSeq: stopAt });
    const r = new Replayer(journal);
    for (;;) {
      const s = r.step(50);
      if (s.kind === 'exit' && s.exit.seq === stopAt) break;
      expect(s.kind).not.toBe('done');
    }
    expect(r.done).toBe(false);
    expect(summary(r.result())).toEqual(summary(stopped));
    expect(r.result().icount).toBe(r.machine.hart.icount);
  });

  it('a journal put together by hand (no table from readJournal) replays the same', () => {
    const journal = record('uart-irq', UART);
    const copy: ParsedJournal = { ...journal };
    expect(summary(stepThrough(copy, 7).result)).toEqual(summary(replayJournal(journal)));
  });

  it('a journal cut short: the last exit comes without its answer, then the end', () => {
    const journal = record('uart-irq', UART);
    const bytes = encode(journal.header, journal.entries.map((e) => e.record));
    const cutAfter = journal.entries.findIndex((e, i) => i > 100 && e.record.t === 'exit' && needsAnswer(e.record.exit));
    const cut = readJournal(bytes.subarray(0, journal.entries[cutAfter + 1].offset));
    const stepped = stepThrough(cut, 13);
    const last = stepped.seen[stepped.seen.length - 1];
    expect(last.answer).toBeUndefined();
    expect(stepped.result.ok).toBe(true);
    expect(stepped.result.closed).toBe(false);
    // replayJournal never reports the unanswered exit, and counts it.
    const whole = onExitSequence(cut);
    expect(whole.seen).toEqual(stepped.seen.slice(0, -1));
    expect(summary(stepped.result)).toEqual(summary(whole.result));
  });
});

describe('Replayer: divergence', () => {
  const journal = record('uart-irq', UART);
  const records = journal.entries.map((e) => e.record);
  const mutated = (i: number, edit: (r: JournalRecord) => JournalRecord) =>
    readJournal(encode(journal.header, records.map((r, k) => (k === i ? edit(structuredClone(r)) : r))));

  it('is reported identically, stepping exit by exit or in slices', () => {
    const exitsAt = journal.exits.map((e) => e.index);
    const cases: ParsedJournal[] = [];
    for (const i of exitsAt.filter((_, k) => k % 40 === 7)) {
      // (A changed seq or reason makes a record readJournal refuses: journal.test.ts checks those.)
      for (const key of ['icount', 'pc', 'physAddr', 'data']) {
        const exit = (records[i] as Extract<JournalRecord, { t: 'exit' }>).exit as unknown as Record<string, unknown>;
        if (!(key in exit)) continue;
        const change = (v: unknown): unknown => typeof v === 'number' ? v + 1 : typeof v === 'bigint' ? v + 4n
          : v instanceof Uint8Array ? v.map((b) => b ^ 1) : v === 'MMIO' ? 'RISCV_SBI' : 'MMIO';
        cases.push(mutated(i, (r) => ({ ...r, exit: { ...(r as { exit: object }).exit, [key]: change(exit[key]) } }) as JournalRecord));
      }
    }
    const digestAt = journal.entries.findIndex((e) => e.record.t === 'digest');
    cases.push(mutated(digestAt, (r) => ({ ...r, digest: '0'.repeat(64) }) as JournalRecord));
    const answerAt = journal.entries.findIndex((e) => e.record.t === 'answer' && e.record.answer.reason === 'MMIO' && e.record.answer.data !== undefined);
    cases.push(mutated(answerAt, (r) => ({ t: 'answer', answer: { ...(r as { answer: object }).answer, seq: 999_999 } }) as JournalRecord));
    expect(cases.length).toBeGreaterThan(10);
    for (const [n, j] of cases.entries()) {
      const whole = replayJournal(j);
      expect(whole.divergence, `case ${n}`).toBeDefined();
      for (const slice of [Infinity, 3]) {
        const stepped = stepThrough(j, slice);
        expect(summary(stepped.result)).toEqual(summary(whole));
      }
    }
  });
});

describe('VcpuSession.resume', () => {
  it('time slices leave no trace in the journal: it replays like a run() recording', () => {
    let writer: MemoryJournalWriter | undefined;
    const vmm = new LocalVmm(image('uart-irq'), { ...UART, recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
    let slices = 0;
    for (;;) {
      const exit = vmm.session.resume(37);
      if (exit === null) {
        slices++;
        continue;
      }
      const end = vmm.answerExit(exit);
      if (end !== null) {
        vmm.result(end.stop, end.exitCode, end.message);
        break;
      }
    }
    expect(slices).toBeGreaterThan(10);
    const journal = readJournal(writer!.bytes());
    expect(journal.exits.some((e) => e.reason === 'INTR')).toBe(false);
    const plain = record('uart-irq', UART);
    expect(journal.exits.map((e) => [e.seq, e.icount, e.reason])).toEqual(plain.exits.map((e) => [e.seq, e.icount, e.reason]));
    const r = replayJournal(journal);
    expect(r.ok).toBe(true);
    expect(r.finalDigest).toBe(r.recordedDigest);
    expect(r.finalDigest).toBe(replayJournal(plain).finalDigest);
  });
});
