import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { encodeFrame, encodePreamble, encodeRecordFrame } from './format.js';
import { readJournal } from './reader.js';
import { FileJournalWriter, MemoryJournalWriter } from './writer.js';

const BUILD = join(import.meta.dirname, '..', '..', 'guests', 'build');
const image = (name: string) => readFileSync(join(BUILD, `${name}.elf`));

const GUESTS: [string, Parameters<typeof runElf>[1]][] = [
  ['uart-irq', { input: Buffer.from('hello uart\n'), digestEveryExits: 25 }],
  ['console-flood', { maxInsns: 400_000, digestEveryExits: 3000 }],
  ['breakpoints', { guestDebug: true }],
  ['seed-csr', {}],
  ['mmio-widths', {}],
];

describe('journal writers', () => {
  for (const [name, options] of GUESTS) {
    it(`${name}: staged records come out as the record-at-a-time encoding writes them, in a file as in memory`, () => {
      let memory: MemoryJournalWriter | undefined;
      runElf(image(name), { ...options, recordTo: (h) => (memory = new MemoryJournalWriter(h)) });
      const bytes = memory!.bytes();
      const j = readJournal(bytes);
      expect(j.closed).toBe(true);
      const again = Buffer.concat([encodePreamble(), encodeFrame(j.header), ...j.entries.map((e) => encodeRecordFrame(e.record))]);
      expect(Buffer.compare(Buffer.from(bytes), again)).toBe(0);

      const dir = mkdtempSync(join(tmpdir(), 'hindsight-writer-'));
      try {
        const file = join(dir, 'run.hsj');
        runElf(image(name), { ...options, recordTo: (h) => new FileJournalWriter(file, h) });
        expect(Buffer.compare(readFileSync(file), Buffer.from(bytes))).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('keeps records in order across the staged and the msgpack paths, and across batches', () => {
    const j = readJournal(((): Uint8Array => {
      let memory: MemoryJournalWriter | undefined;
      runElf(image('uart-irq'), { input: Buffer.from('hello uart\n'), digestEveryExits: 3, recordTo: (h) => (memory = new MemoryJournalWriter(h)) });
      return memory!.bytes();
    })());
    let seq = 0, waiting = -1;
    for (const { record } of j.entries) {
      if (record.t === 'exit') {
        expect(record.exit.seq).toBe(seq++);
        waiting = record.exit.reason === 'INTR' || record.exit.reason === 'SYSTEM_EVENT' ? -1 : record.exit.seq;
      } else if (record.t === 'answer') {
        expect(record.answer.seq).toBe(waiting);
        waiting = -1;
      } else if (record.t === 'digest') {
        expect(record.seq).toBe(seq - 1);
      }
    }
    expect(seq).toBe(j.exits.length);
  });
});
