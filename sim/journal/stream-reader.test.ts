import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { readJournal } from './reader.js';
import { JournalStream } from './stream-reader.js';
import { FileJournalWriter } from './writer.js';

const GUESTS = join(import.meta.dirname, '..', '..', 'guests', 'build');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(name: string, maxInsns?: number): string {
  const file = join(dir, `${name}.hsj`);
  runElf(readFileSync(join(GUESTS, `${name}.elf`)), { maxInsns, recordTo: (h) => new FileJournalWriter(file, h) });
  return file;
}

/** Every record the stream yields, copied, with its offset. */
function streamed(file: string): { stream: JournalStream; records: { offset: number; payload: Uint8Array }[] } {
  const stream = JournalStream.open(file);
  const records = [];
  try {
    for (const r of stream.records()) records.push({ offset: r.offset, payload: r.bytes.slice(r.start, r.start + r.length) });
  } finally {
    stream.close();
  }
  return { stream, records };
}

describe('JournalStream: a journal read record by record from its file', () => {
  it('yields exactly the records readJournal finds, at the same offsets, across many 1 MiB chunks', () => {
    const file = record('console-flood', 3_000_000);
    const whole = readJournal(readFileSync(file));
    const { stream, records } = streamed(file);
    expect(whole.entries.length).toBeGreaterThan(100_000);
    expect(records.length).toBe(whole.entries.length);
    for (let i = 0; i < records.length; i += 997) {
      expect(records[i].offset).toBe(whole.entries[i].offset);
      expect(records[i].payload).toEqual(new Uint8Array(whole.entries[i].payload));
    }
    expect(records.at(-1)!.payload).toEqual(new Uint8Array(whole.entries.at(-1)!.payload));
    expect(new Uint8Array(stream.header!.images[0].bytes)).toEqual(new Uint8Array(whole.header.images[0].bytes));
    expect(stream.end).toEqual({ records: whole.entries.length, tornBytes: 0 });
  });

  it('cuts a torn tail as readJournal does and reports it', () => {
    const file = record('hello');
    const bytes = readFileSync(file);
    truncateSync(file, bytes.length - 5);
    const whole = readJournal(readFileSync(file));
    const { stream, records } = streamed(file);
    expect(records.length).toBe(whole.entries.length);
    expect(stream.end!.tornBytes).toBe(whole.tornBytes);
    expect(whole.tornBytes).toBeGreaterThan(0);
  });

  it('reports a damaged record as JOURNAL_CORRUPT with its number and offset, like readJournal', () => {
    const file = record('hello');
    const bytes = readFileSync(file);
    const victim = readJournal(bytes).entries[40];
    bytes[victim.offset + 12] ^= 0xff;
    writeFileSync(file, bytes);
    const expected = (() => { try { readJournal(bytes); } catch (e) { return e; } })() as Error & { code: string };
    expect(expected.code).toBe('JOURNAL_CORRUPT');
    expect(() => streamed(file)).toThrow(expected.message);
  });

  it('refuses what is not a journal with readJournal\'s codes', () => {
    const file = join(dir, 'not-a-journal.hsj');
    writeFileSync(file, 'this is not a journal at all');
    expect(() => JournalStream.open(file)).toThrow(expect.objectContaining({ code: 'JOURNAL_BAD_MAGIC' }));
    writeFileSync(file, 'HSJ');
    expect(() => JournalStream.open(file)).toThrow(expect.objectContaining({ code: 'JOURNAL_TRUNCATED' }));
  });
});
