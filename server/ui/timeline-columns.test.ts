import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { FileJournalWriter, readJournal, replayJournal, type VcpuExit } from '../../sim/index.js';
import { ConsoleTap } from '../cli/console-tap.js';
import { extendColumns, FLAG_WRITE, REASONS, scanJournal } from './timeline-columns.js';
import { COLUMN_NAMES, encodeTimeline } from './timeline-wire.js';

const GUESTS = join(import.meta.dirname, '..', '..', 'guests', 'build');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(name: string, options: { input?: Uint8Array; maxInsns?: number } = {}): { file: string; exits: VcpuExit[] } {
  const file = join(dir, `${name}.hsj`);
  runElf(readFileSync(join(GUESTS, `${name}.elf`)), { ...options, recordTo: (h) => new FileJournalWriter(file, h) });
  const exits = readJournal(readFileSync(file)).entries.map((e) => e.record).flatMap((r) => (r.t === 'exit' ? [r.exit] : []));
  return { file, exits };
}

/** What the guest printed, as a replay reconstructs it (ConsoleTap, with the machine), up to before each exit. */
function replayedConsole(file: string): { text: Buffer; before: number[] } {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const before: number[] = [];
  const tap = new ConsoleTap((b) => { chunks.push(Uint8Array.from(b)); length += b.length; });
  replayJournal(readJournal(readFileSync(file)), { onExit: (exit, _answer, machine) => { before[exit.seq] = length; tap.exit(exit, machine); } });
  return { text: Buffer.concat(chunks), before };
}

describe('timeline columns', () => {
  it('hold every exit of the journal: seq, icount, reason, pc, MMIO address, width and direction', () => {
    const { file, exits } = record('mmio-widths');
    const cols = scanJournal(file);
    expect(cols.count).toBe(exits.length);
    exits.forEach((e, k) => {
      expect(cols.seq[k]).toBe(e.seq);
      expect(cols.icount[k]).toBe(e.icount);
      expect(REASONS[cols.reason[k]]).toBe(e.reason);
      expect((BigInt(cols.pcHi[k]) << 32n) | BigInt(cols.pcLo[k])).toBe(e.pc);
      if (e.reason === 'MMIO') {
        expect(cols.addr[k]).toBe(e.physAddr);
        expect(cols.size[k]).toBe(e.len);
        expect(cols.flags[k] & FLAG_WRITE).toBe(e.isWrite ? FLAG_WRITE : 0);
      } else expect(cols.addr[k]).toBeNaN();
    });
    expect(cols.end?.reason).toBe('finisher');
  });

  it("carry the console output before each exit, as a replay reconstructs it (SBI putchar and the UART's THR)", () => {
    for (const [name, input] of [['hello', undefined], ['uart-irq', Buffer.from('hello uart\n')]] as const) {
      const { file, exits } = record(name, { input });
      const cols = scanJournal(file);
      const replayed = replayedConsole(file);
      expect(replayed.text.length).toBeGreaterThan(10);
      for (const seq of [0, 1, Math.floor(exits.length / 2), exits.length - 1]) {
        const { bytes, total } = cols.consoleBefore(seq, 1 << 20);
        expect(total).toBe(replayed.before[seq]);
        expect(Buffer.from(bytes)).toEqual(replayed.text.subarray(0, total));
      }
      expect(Buffer.from(cols.consoleBefore(Infinity, 1 << 20).bytes)).toEqual(replayed.text);
      // Cut to the last `max` bytes.
      const cut = cols.consoleBefore(Infinity, 5);
      expect(cut.from).toBe(replayed.text.length - 5);
      expect(Buffer.from(cut.bytes)).toEqual(replayed.text.subarray(-5));
    }
  });

  it('grow with the file: a journal read part way, then extended, equals one read whole', () => {
    const { file, exits } = record('console-flood', { maxInsns: 200_000 });
    const whole = scanJournal(file);
    const growing = join(dir, 'growing.hsj');
    copyFileSync(file, growing);
    // Cut mid-way through a frame: a recorder caught in the middle of a write.
    const size = readFileSync(file).length;
    truncateSync(growing, Math.floor(size / 3) + 7);
    const cols = scanJournal(growing);
    expect(cols.count).toBeGreaterThan(0);
    expect(cols.count).toBeLessThan(exits.length);
    writeFileSync(growing, readFileSync(file));
    extendColumns(cols, growing);
    expect(cols.count).toBe(whole.count);
    expect(cols.icount.subarray(0, cols.count)).toEqual(whole.icount.subarray(0, whole.count));
    expect(cols.seq.subarray(0, cols.count)).toEqual(whole.seq.subarray(0, whole.count));
    expect(cols.consoleBefore(Infinity, 1 << 20).bytes).toEqual(whole.consoleBefore(Infinity, 1 << 20).bytes);
  });

  it('go out as HSTL: a JSON header and 8-aligned little-endian columns', () => {
    const { file, exits } = record('mmio-widths');
    const cols = scanJournal(file);
    const from = 10;
    const buf = Buffer.concat(encodeTimeline(cols, from, ['icount', 'reason', 'addr']));
    expect(buf.subarray(0, 4).toString('latin1')).toBe('HSTL');
    const len = buf.readUInt32LE(4);
    const header = JSON.parse(buf.subarray(8, 8 + len).toString()) as { count: number; dense: boolean; columns: { name: string; offset: number }[]; total: number };
    expect(header).toMatchObject({ count: exits.length - from, total: exits.length, dense: true });
    const data = (8 + len + 7) & ~7;
    const col = (name: string) => data + header.columns.find((c) => c.name === name)!.offset;
    for (const k of [0, 5, header.count - 1]) {
      const e = exits[from + k];
      expect(col('icount') % 8).toBe(0);
      expect(buf.readDoubleLE(col('icount') + 8 * k)).toBe(e.icount);
      expect(REASONS[buf[col('reason') + k]]).toBe(e.reason);
      const addr = buf.readDoubleLE(col('addr') + 8 * k);
      if (e.reason === 'MMIO') expect(addr).toBe(e.physAddr);
      else expect(addr).toBeNaN();
    }
    expect(COLUMN_NAMES).toContain('pcLo');
  });
});
