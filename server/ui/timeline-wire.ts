/**
 * The timeline's binary form (GET /v1/ui/recordings/:name/timeline): columns a browser maps onto typed arrays with
 * no parsing, where a million exits as JSON objects would take seconds to build and parse.
 *
 *   0   4 bytes  "HSTL"
 *   4   u32 LE   H, the length of the JSON header
 *   8   H bytes  header: {from, count, total, dense, reasons, closed, end, complete, progress,
 *                columns: [{name, type, offset}]}
 *                (dense: exit k's seq is k, so the seq column may be left out; complete: false while a big
 *                recording's index is still being built: `total` exits are known so far, the next come with
 *                ?fromSeq=; progress: {done, of, unit: 'exits' | 'bytes'}; end: the end record, possibly read from
 *                the file's tail before the walk got there)
 *   ..  zero padding to a multiple of 8
 *   ..  the columns named in the header, each `count` values of its type (f64, u32, u8, little-endian), each
 *       starting at a multiple of 8 (`offset` counts from the end of the padding)
 */
import { REASONS, type TimelineColumns } from './timeline-columns.js';

export const COLUMN_TYPES = {
  seq: 'f64', icount: 'f64', reason: 'u8', pcLo: 'u32', pcHi: 'u32', addr: 'f64', size: 'u8', flags: 'u8',
} as const;
export type ColumnName = keyof typeof COLUMN_TYPES;
export const COLUMN_NAMES = Object.keys(COLUMN_TYPES) as ColumnName[];

const WIDTH = { f64: 8, u32: 4, u8: 1 } as const;
const pad8 = (n: number) => (n + 7) & ~7;

export interface TimelineState {
  /** At most this many exits. */
  limit?: number;
  complete: boolean;
  progress: { done: number; of: number; unit: 'exits' | 'bytes' };
  end: { icount: number; reason: string } | null;
}

/** The chunks of the response for exits [from, from + count) of `cols`, with the columns asked for. */
export function encodeTimeline(cols: TimelineColumns, from: number, names: readonly ColumnName[], state?: TimelineState): Buffer[] {
  const count = Math.min(Math.max(0, cols.count - from), state?.limit ?? Number.MAX_SAFE_INTEGER);
  const columns: { name: ColumnName; type: string; offset: number }[] = [];
  let offset = 0;
  for (const name of names) {
    columns.push({ name, type: COLUMN_TYPES[name], offset });
    offset += pad8(count * WIDTH[COLUMN_TYPES[name]]);
  }
  // Seqs are usually the exits' positions (from 0, no gaps: docs/protocol.md): then a client can leave them out.
  const dense = count === 0 || (cols.seq[from] === from && cols.seq[from + count - 1] === from + count - 1);
  const header = Buffer.from(JSON.stringify({
    from, count, total: cols.count, dense, reasons: REASONS, closed: cols.end !== null, end: state?.end ?? cols.end,
    complete: state?.complete ?? true, progress: state?.progress ?? null, columns,
  }));
  const head = Buffer.alloc(pad8(8 + header.length));
  head.write('HSTL', 0, 'latin1');
  head.writeUInt32LE(header.length, 4);
  header.copy(head, 8);
  const out = [head];
  for (const { name, type } of columns) {
    const array = cols[name];
    const bytes = count * WIDTH[type as keyof typeof WIDTH];
    out.push(Buffer.from(array.buffer, array.byteOffset + from * array.BYTES_PER_ELEMENT, bytes));
    if (pad8(bytes) > bytes) out.push(Buffer.alloc(pad8(bytes) - bytes));
  }
  return out;
}
