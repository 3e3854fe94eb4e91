import type { VcpuExit } from '../kvm/exits.js';
import { decodeAt } from '../journal/codec.js';
import type { RecordTable } from '../journal/reader.js';
import { SimError } from '../errors.js';

/** Which past exits to list. Every field given must match. */
export interface TimelineFilter {
  reason?: string;
  /** The exit's pc. */
  pc?: bigint;
  /** An MMIO exit's guest-physical address, or a watchpoint exit's address, within [address, address + len). */
  address?: bigint;
  len?: number;
  /** Only exits with seq in [fromSeq, toSeq]. */
  fromSeq?: number;
  toSeq?: number;
  /** At most this many (default 1000); `last` takes them from the end (the exits just before a crash). */
  limit?: number;
  last?: boolean;
}

export interface TimelineEntry {
  seq: number;
  icount: number;
  reason: string;
  pc: bigint;
  exit: VcpuExit;
}

export const DEFAULT_TIMELINE_LIMIT = 1000;

/**
 * The past exits of a recording, filtered. Exits are decoded from the record table as they are looked at, and a
 * filter on reason is checked against the table's reason column first, so a long recording costs what it shows.
 */
export function timelineOf(table: RecordTable, filter: TimelineFilter): TimelineEntry[] {
  const limit = filter.limit ?? DEFAULT_TIMELINE_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) throw new SimError('TT_BAD_TARGET', `timeline limit must be a count: ${limit}`);
  const from = Math.max(0, filter.fromSeq ?? 0), to = Math.min(table.exitCount - 1, filter.toSeq ?? Infinity);
  const out: TimelineEntry[] = [];
  const end = filter.address === undefined ? 0n : filter.address + BigInt(filter.len ?? 1);
  for (let k = filter.last === true ? to : from; filter.last === true ? k >= from : k <= to; k += filter.last === true ? -1 : 1) {
    if (out.length >= limit) break;
    const seq = table.exitSeq[k];
    if (seq < from || seq > to) continue;
    const i = table.exitRecord[k];
    const rec = decodeAt(table.bytes, table.start(i), table.length(i));
    if (rec.t !== 'exit') continue;
    const exit = rec.exit;
    if (filter.reason !== undefined && exit.reason !== filter.reason) continue;
    if (filter.pc !== undefined && exit.pc !== filter.pc) continue;
    if (filter.address !== undefined && !touches(exit, filter.address, end)) continue;
    out.push({ seq: exit.seq, icount: exit.icount, reason: exit.reason, pc: exit.pc, exit });
  }
  if (filter.last === true) out.reverse();
  return out;
}

function touches(exit: VcpuExit, start: bigint, end: bigint): boolean {
  if (exit.reason === 'MMIO') {
    const a = BigInt(exit.physAddr);
    return a < end && start < a + BigInt(exit.len);
  }
  if (exit.reason === 'DEBUG' && exit.why === 'watchpoint' && exit.address !== undefined) return exit.address >= start && exit.address < end;
  return false;
}
