/**
 * Journals with sound frames and checksums but wrong values (finding 2 of the fuzz campaign, issue 14): each is a
 * coded error naming the header or the record and its file offset, never an accepted replay, a TypeError or a hang.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { encodeRecord } from './codec.js';
import { encodePreamble, frame, packr, type JournalRecord } from './format.js';
import { JournalFormatError } from './journal-error.js';
import { JournalEntry, readJournal, RecordTable } from './reader.js';
import { Replayer, replayJournal } from './replay.js';
import { MemoryJournalWriter } from './writer.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli', 'main.js');

function recorded(): { header: Record<string, unknown>; records: JournalRecord[] } {
  let writer: MemoryJournalWriter | undefined;
  runElf(readFileSync(join(ROOT, 'guests', 'build', 'uart-irq.elf')), {
    input: Buffer.from('hi\n'), recordTo: (h) => (writer = new MemoryJournalWriter(h)),
  });
  const j = readJournal(writer!.bytes());
  return { header: j.header as unknown as Record<string, unknown>, records: j.entries.map((e) => e.record) };
}

/** A journal of these values, every frame's length and CRC right: only the decoding can refuse it. */
function journalOf(header: unknown, records: unknown[]): Uint8Array {
  return Buffer.concat([
    encodePreamble(), frame(packr.pack(header)),
    ...records.map((r) => frame(encodeRecord(r as JournalRecord))),
  ]);
}

function refusal(bytes: Uint8Array): JournalFormatError {
  try {
    readJournal(bytes);
  } catch (e) {
    if (e instanceof JournalFormatError) return e;
    throw e;
  }
  throw new Error('readJournal accepted it');
}

const { header, records } = recorded();
const firstInput = records.findIndex((r) => r.t === 'input');
const endAt = records.length - 1;

describe('journal values are checked, not trusted once the checksum passes', () => {
  it('an input the machine cannot take (register 99, memory outside RAM) is JOURNAL_BAD_RECORD at its record and offset', () => {
    expect(firstInput).toBeGreaterThan(0);
    const cases: [unknown, RegExp][] = [
      [{ t: 'input', icount: 0, input: { kind: 'set-reg', reg: 99, value: 1n } }, /'input.reg' must be an integer in \[0, 31\]/],
      [{ t: 'input', icount: 0, input: { kind: 'write-mem', addr: 0x1000, data: Uint8Array.of(1) } }, /outside RAM/],
      [{ t: 'input', icount: 0, input: { kind: 'watchpoint', addr: 0n, len: 0, read: true, write: true, add: true } }, /'input.len'/],
    ];
    for (const [bad, message] of cases) {
      const edited = records.map((r, i) => (i === firstInput ? { ...bad as object, icount: (r as { icount: number }).icount } : r));
      const bytes = journalOf(header, edited);
      const e = refusal(bytes);
      expect(e.code).toBe('JOURNAL_BAD_RECORD');
      expect(e.record).toBe(firstInput);
      expect(e.offset).toBe(readJournal(journalOf(header, records)).entries[firstInput].offset);
      expect(e.message).toMatch(message);
    }
  });

  it('header fields of the wrong type are JOURNAL_BAD_HEADER naming the field (not a TypeError)', () => {
    const machine = header.machine as Record<string, unknown>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...header, images: 5 }, /'images' must be an array/],
      [{ ...header, machine: null }, /'machine' must be a map/],
      [{ ...header, machine: { ...machine, ramSize: BigInt(machine.ramSize as number) } }, /'machine.ramSize' must be an integer/],
      [{ ...header, machine: { ...machine, ramSize: 12345 } }, /'machine.ramSize'/],
      [{ ...header, images: [] }, /'images' must hold 1..2 items/],
      [{ ...header, dtbSha256: 7 }, /'dtbSha256' must be a string/],
      [{ ...header, extra: true }, /field "extra"/],
    ];
    for (const [bad, message] of cases) {
      const e = refusal(journalOf(bad, records));
      expect(e.code).toBe('JOURNAL_BAD_HEADER');
      expect(e.record).toBeNull();
      expect(e.offset).toBe(12);
      expect(e.message).toMatch(message);
    }
  });

  it('records out of order: a skipped exit seq, an instruction count going back, a record after the end', () => {
    const exits = records.map((r, i) => [r, i] as const).filter(([r]) => r.t === 'exit').map(([, i]) => i);
    const k = exits[5];
    const exit = (records[k] as Extract<JournalRecord, { t: 'exit' }>).exit;
    const skipped = records.map((r, i) => (i === k ? { t: 'exit', exit: { ...exit, seq: exit.seq + 1 } } : r));
    expect(refusal(journalOf(header, skipped))).toMatchObject({ code: 'JOURNAL_BAD_RECORD', record: k, problem: expect.stringMatching(/seq/) });
    const back = records.map((r, i) => (i === k ? { t: 'exit', exit: { ...exit, icount: 0 } } : r));
    expect(refusal(journalOf(header, back))).toMatchObject({ code: 'JOURNAL_BAD_RECORD', record: k, problem: expect.stringMatching(/before the previous/) });
    const after = [...records, records[endAt]];
    expect(refusal(journalOf(header, after))).toMatchObject({ code: 'JOURNAL_BAD_RECORD', record: endAt + 1, problem: 'a record after the end record' });
  });

  it('an end record replaced by an exit without icount: readJournal refuses it, and replay --verify ends with a coded error', () => {
    const last = (records.filter((r) => r.t === 'exit').pop() as Extract<JournalRecord, { t: 'exit' }>).exit;
    const noIcount = { seq: last.seq + 1, pc: last.pc, reason: 'INTR', cause: 'budget' };
    const bytes = journalOf(header, [...records.slice(0, endAt), { t: 'exit', exit: noIcount }]);
    expect(refusal(bytes)).toMatchObject({ code: 'JOURNAL_BAD_RECORD', record: endAt, problem: expect.stringMatching(/'exit.icount' is missing/) });

    const dir = mkdtempSync(join(tmpdir(), 'hindsight-bad-'));
    try {
      const file = join(dir, 'bad.hsj');
      writeFileSync(file, bytes);
      const r = spawnSync(process.execPath, [CLI, 'replay', '--verify', file], { encoding: 'utf8', timeout: 30_000 });
      expect(r.error, 'replay --verify did not end').toBeUndefined();
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/record \d+ at offset \d+: .*'exit.icount' is missing \[JOURNAL_BAD_RECORD\]/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const header2 = journalOf({ ...header, images: 5 }, records);
      writeFileSync(file, header2);
      for (const command of [['replay', '--verify', file], ['inspect', file]]) {
        const h = spawnSync(process.execPath, [CLI, ...command], { encoding: 'utf8', timeout: 30_000 });
        expect(h.status, command.join(' ')).toBe(2);
        expect(h.stderr).toMatch(/header at offset 12: 'images' must be an array \[JOURNAL_BAD_HEADER\]/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the replayer checks inputs against its machine too, for journals put together by hand', () => {
    const good = readJournal(journalOf(header, records));
    const outside = encodeRecord({
      t: 'input', icount: (records[firstInput] as { icount: number }).icount, input: { kind: 'write-mem', addr: 0x8000_0000 + 512 * 1024 * 1024, data: Uint8Array.of(1) },
    });
    const entries = good.entries.map((e, i) => (i === firstInput ? new JournalEntry(e.index, e.offset, outside) : e));
    const byHand = { ...good, entries };
    expect(RecordTable.fromEntries(entries).count).toBe(entries.length);
    expect(() => replayJournal(byHand)).toThrow(/JOURNAL_BAD_RECORD: record \d+ at offset \d+: write-mem of 1 bytes at 0xa0000000 is outside RAM/);
    expect(new Replayer(good).step().kind).toBe('exit');
  });
});
