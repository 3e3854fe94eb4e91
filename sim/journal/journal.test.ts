import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { SimError } from '../errors.js';
import { decodeRecord } from './codec.js';
import { encodeFrame, encodePreamble, encodeRecordFrame, FRAME_HEADER_SIZE, JournalHeader, JournalRecord } from './format.js';
import { JournalFormatError } from './journal-error.js';
import { readJournal } from './reader.js';
import { replayJournal } from './replay.js';
import { MemoryJournalWriter } from './writer.js';

const BUILD = join(import.meta.dirname, '..', '..', 'guests', 'build');
const image = (name: string) => readFileSync(join(BUILD, `${name}.elf`));

function record(name: string, options: Parameters<typeof runElf>[1] = {}): Uint8Array {
  let writer: MemoryJournalWriter | undefined;
  runElf(image(name), { ...options, recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
  return writer!.bytes();
}

/** Re-encodes a journal from (possibly edited) records, with valid frames: what a mutation test feeds replay. */
function encode(header: JournalHeader, records: JournalRecord[]): Uint8Array {
  return Buffer.concat([encodePreamble(), encodeFrame(header), ...records.map((r) => encodeRecordFrame(r))]);
}

/** A deterministic pseudo-random sequence for choosing test positions. */
function* rng(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    yield x;
  }
}

const UART_INPUT = { input: Buffer.from('hello uart\n'), digestEveryExits: 25 };

describe('journal: record and replay', () => {
  it('replays every exit of a recording bit-exactly and matches the final digest', () => {
    for (const [name, opts] of [['hello', {}], ['uart-irq', UART_INPUT], ['breakpoints', { guestDebug: true }], ['seed-csr', {}]] as const) {
      const j = readJournal(record(name, opts));
      expect(j.closed).toBe(true);
      const r = replayJournal(j);
      expect(r.divergence, `${name}: ${JSON.stringify(r.divergence)}`).toBeUndefined();
      expect(r.exits).toBe(j.exits.length);
      expect(r.finalDigest).toBe(r.recordedDigest);
    }
  });

  it('records the same bytes twice (nothing in it depends on the host)', () => {
    expect(Buffer.compare(Buffer.from(record('uart-irq', UART_INPUT)), Buffer.from(record('uart-irq', UART_INPUT)))).toBe(0);
  });

  it('indexes exits: seq → icount → the record and its file offset', () => {
    const bytes = record('uart-irq', UART_INPUT);
    const j = readJournal(bytes);
    j.exits.forEach((e, i) => {
      expect(e.seq).toBe(i);
      const rec = j.entries[e.index].record;
      expect(rec.t === 'exit' && rec.exit.seq === e.seq && rec.exit.icount === e.icount).toBe(true);
      const view = new DataView(bytes.buffer, bytes.byteOffset + e.offset);
      const frame = decodeRecord(bytes.subarray(e.offset + FRAME_HEADER_SIZE, e.offset + FRAME_HEADER_SIZE + view.getUint32(0, true)));
      expect((frame as JournalRecord).t).toBe('exit');
    });
    expect(j.entries.some((e) => e.record.t === 'digest')).toBe(true);
    expect(j.entries.some((e) => e.record.t === 'input' && e.record.input.kind === 'irq')).toBe(true);
  });

  it('refuses another image, and a journal of another format version', () => {
    const j = readJournal(record('hello'));
    expect(() => replayJournal(j, { image: image('traps') })).toThrow(SimError);
    expect(() => replayJournal(j, { image: image('traps') })).toThrow(/JOURNAL_IMAGE_MISMATCH/);
    const bytes = record('hello');
    bytes[8] = 99;
    expect(() => readJournal(bytes)).toThrow(/JOURNAL_BAD_VERSION/);
    bytes[0] = 0;
    expect(() => readJournal(bytes)).toThrow(/JOURNAL_BAD_MAGIC/);
  });
});

describe('journal: crash safety', () => {
  const full = record('uart-irq', UART_INPUT);
  const whole = readJournal(full);
  const starts = whole.entries.map((e) => e.offset);
  const headerEnd = starts[0];

  it('a journal cut anywhere reads up to its last complete record, and that prefix replays without divergence', () => {
    const cuts = new Set<number>();
    for (const s of starts) for (const d of [-1, 0, 1, FRAME_HEADER_SIZE]) cuts.add(s + d);
    const r = rng(7);
    for (let i = 0; i < 200; i++) cuts.add(headerEnd + (r.next().value as number) % (full.length - headerEnd));
    for (const n of [...cuts].filter((c) => c >= headerEnd && c < full.length)) {
      const j = readJournal(full.subarray(0, n));
      const complete = starts.filter((s, i) => (starts[i + 1] ?? full.length) <= n).length;
      expect(j.entries.length, `cut at ${n}`).toBe(complete);
      expect(j.tornBytes).toBe(n - j.validLength);
      expect(j.closed).toBe(false);
      j.entries.forEach((e, i) => expect(e.offset).toBe(starts[i]));
    }
    for (const n of [headerEnd - 1, headerEnd - 40, 20, 11, 0]) expect(() => readJournal(full.subarray(0, n))).toThrow(/JOURNAL_TRUNCATED/);
    const prefix = readJournal(full.subarray(0, starts[Math.floor(starts.length / 2)] + 5));
    const replay = replayJournal(prefix);
    expect(replay.divergence).toBeUndefined();
    expect(replay.exits).toBe(prefix.exits.length);
  });

  it('a flipped bit anywhere is reported as corruption at the offset of its record, never misread', () => {
    const r = rng(11);
    const positions = [...starts.slice(0, 20).flatMap((s) => [s, s + 4, s + 8, s + 12]), ...Array.from({ length: 300 }, () => (r.next().value as number) % full.length)];
    for (const pos of positions) {
      const bad = Uint8Array.from(full);
      bad[pos] ^= 1 << ((r.next().value as number) % 8);
      let error: unknown;
      try {
        readJournal(bad);
      } catch (e) {
        error = e;
      }
      expect(error, `flip at ${pos}`).toBeInstanceOf(SimError);
      const code = (error as SimError).code;
      if (pos < 8) expect(code).toBe('JOURNAL_BAD_MAGIC');
      else if (pos < 12) expect(code).toBe('JOURNAL_BAD_VERSION');
      else {
        expect(code).toBe('JOURNAL_CORRUPT');
        const frame = pos < headerEnd ? 12 : starts.filter((s) => s <= pos).pop()!;
        expect((error as SimError).message).toContain(`offset ${frame}`);
      }
    }
  });
});

describe('journal: mutations are caught at the first divergent record', () => {
  const bytes = record('uart-irq', UART_INPUT);
  const j = readJournal(bytes);
  const records = j.entries.map((e) => e.record);

  const mutated = (i: number, edit: (r: JournalRecord) => JournalRecord) => {
    const copy = records.map((r, k) => (k === i ? edit(structuredClone(r)) : r));
    return replayJournal(readJournal(encode(j.header, copy)));
  };
  /** The replay's divergence, or the reader's refusal (a record that is not valid where it stands), as one shape. */
  const caught = (i: number, edit: (r: JournalRecord) => JournalRecord): { record: number; field: string } | undefined => {
    try {
      return mutated(i, edit).divergence;
    } catch (e) {
      if (!(e instanceof JournalFormatError) || e.code !== 'JOURNAL_BAD_RECORD') throw e;
      return { record: e.record!, field: e.problem };
    }
  };
  const change = (v: unknown): unknown => {
    if (typeof v === 'number') return v + 1;
    if (typeof v === 'bigint') return v + 1n;
    if (typeof v === 'boolean') return !v;
    if (v instanceof Uint8Array) { const c = Uint8Array.from(v); c[0] ^= 0xff; return c; }
    if (Array.isArray(v)) return [change(v[0]), ...v.slice(1)];
    if (v === 'MMIO') return 'RISCV_SBI';
    if (typeof v === 'string') return 'MMIO';
    return v;
  };

  it('any field of an exit: divergence at that record, naming the field', () => {
    const exitsAt = j.exits.map((e) => e.index);
    const sample = exitsAt.filter((_, k) => k % 7 === 3);
    let checked = 0;
    for (const i of sample) {
      const exit = (records[i] as Extract<JournalRecord, { t: 'exit' }>).exit as unknown as Record<string, unknown>;
      for (const key of Object.keys(exit)) {
        if (exit['reason'] === 'INTR' && key === 'cause') continue; // how a stop was requested is not compared
        const r = caught(i, (rec) => ({ ...rec, exit: { ...(rec as { exit: object }).exit, [key]: change(exit[key]) } }) as JournalRecord);
        // A divergence naming the field, or (a seq out of order, a reason without its fields, an MMIO len that
        // disagrees with its data) the reader's refusal naming it.
        expect(r, `exit record ${i}, field ${key}`).toMatchObject({ record: i, field: key === 'reason' ? expect.any(String) : expect.stringContaining(key) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('the data of any MMIO read answer: the replay diverges at that record or later', () => {
    const answers = j.entries.filter((e) => e.record.t === 'answer' && e.record.answer.reason === 'MMIO' && e.record.answer.data !== undefined);
    expect(answers.length).toBeGreaterThan(20);
    for (const { index } of answers) {
      const r = mutated(index, (rec) => {
        const a = (rec as Extract<JournalRecord, { t: 'answer' }>).answer as { data: Uint8Array };
        return { t: 'answer', answer: { ...a, data: a.data.map((b) => b ^ 0xff) } } as unknown as JournalRecord;
      });
      expect(r.divergence, `answer record ${index}`).toBeDefined();
      expect(r.divergence!.record).toBeGreaterThan(index);
    }
  });

  it('an input: its instruction count or its value', () => {
    const inputs = j.entries.filter((e) => e.record.t === 'input');
    expect(inputs.length).toBeGreaterThan(1);
    for (const { index } of inputs) {
      const moved = mutated(index, (rec) => ({ ...rec, icount: (rec as { icount: number }).icount + 1 }) as JournalRecord);
      expect(moved.divergence).toMatchObject({ record: index, field: 'input.icount' });
      const flipped = mutated(index, (rec) => {
        const i = rec as Extract<JournalRecord, { t: 'input' }>;
        return { ...i, input: i.input.kind === 'irq' ? { kind: 'irq', level: !i.input.level } : i.input };
      });
      expect(flipped.divergence, `input record ${index}`).toBeDefined();
      expect(flipped.divergence!.record).toBeGreaterThan(index);
    }
  });

  it('a state digest or the end record', () => {
    const digests = j.entries.filter((e) => e.record.t === 'digest' || e.record.t === 'end');
    expect(digests.length).toBeGreaterThan(1);
    for (const { index } of digests) {
      const r = mutated(index, (rec) => {
        const d = (rec as { digest: string }).digest;
        return { ...rec, digest: `${d[0] === '0' ? '1' : '0'}${d.slice(1)}` } as JournalRecord;
      });
      expect(r.divergence).toMatchObject({ record: index, field: 'digest' });
    }
  });
});

describe('journal: every guest', () => {
  const GUESTS = readdirSync(BUILD).filter((f) => f.endsWith('.elf')).map((f) => f.replace(/\.elf$/, ''));
  const OPTIONS: Record<string, Parameters<typeof runElf>[1]> = {
    'uart-irq': { input: Buffer.from('hello uart\n') },
    'scenario-uart-race': { input: Buffer.from('the quick brown fox\n') },
    breakpoints: { guestDebug: true },
    'console-flood': { maxInsns: 2_000_000 },
    'console-echo': { input: Buffer.from('hello\r\nquit\n') },
  };
  for (const name of GUESTS) {
    it(`${name}: record, then replay matches every exit and the final digest`, () => {
      const j = readJournal(record(name, { digestEveryExits: 500, ...OPTIONS[name] }));
      expect(j.closed).toBe(true);
      const r = replayJournal(j);
      expect(r.divergence, JSON.stringify(r.divergence)).toBeUndefined();
      expect(r.exits).toBe(j.exits.length);
      expect(r.finalDigest).toBe(r.recordedDigest);
    });
  }
});
