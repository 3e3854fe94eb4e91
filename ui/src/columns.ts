/**
 * A recording's exits as typed-array columns, in seq order: what the server's binary timeline gives (HSTL, see
 * server/ui/timeline-wire.ts), plus the exits a live VM streams, appended as they come. A million exits are a few
 * arrays, never a million objects.
 */
import type { Value } from './msgpack.js';

export const FLAG_WRITE = 1;

export interface WireHeader {
  from: number;
  count: number;
  total: number;
  /** Exit k's seq is k (then the seq column may be left out). */
  dense: boolean;
  reasons: string[];
  closed: boolean;
  end: { icount: number; reason: string } | null;
  /** False while the server is still building the recording's index: the exits so far; more come with ?fromSeq=. */
  complete: boolean;
  progress: Progress | null;
  columns: { name: string; type: 'f64' | 'u32' | 'u8'; offset: number }[];
}

type ArrayOf = { f64: Float64Array; u32: Uint32Array; u8: Uint8Array };
const ARRAYS = { f64: Float64Array, u32: Uint32Array, u8: Uint8Array } as const;

/** Decodes an HSTL response: its header, and each column as a typed array over the response's bytes (no copy). */
export function decodeWire(buf: ArrayBuffer): { header: WireHeader; columns: Map<string, Float64Array | Uint32Array | Uint8Array> } {
  const bytes = new Uint8Array(buf);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'HSTL') throw new Error('not a timeline response');
  const len = new DataView(buf).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as WireHeader;
  const data = (8 + len + 7) & ~7;
  const columns = new Map<string, Float64Array | Uint32Array | Uint8Array>();
  for (const c of header.columns) columns.set(c.name, new ARRAYS[c.type](buf, data + c.offset, header.count));
  return { header, columns };
}

const NAMES = ['seq', 'icount', 'reason', 'pcLo', 'pcHi', 'addr', 'size', 'flags'] as const;
type Name = (typeof NAMES)[number];
const TYPES = { seq: 'f64', icount: 'f64', reason: 'u8', pcLo: 'u32', pcHi: 'u32', addr: 'f64', size: 'u8', flags: 'u8' } as const satisfies Record<Name, keyof ArrayOf>;

/** How far the server's index of a recording has got: exits (of the count the end record gives) or bytes of the file. */
export interface Progress {
  done: number;
  of: number;
  unit: 'exits' | 'bytes';
}

export interface Filter {
  reason?: string;
  pc?: bigint;
  /** MMIO accesses overlapping [address, address + len), and watchpoint hits inside it (the protocol's timeline query). */
  address?: bigint;
  len?: number;
}

export class ExitColumns {
  count = 0;
  reasons: string[] = [];
  /** Exit k's seq is k. */
  dense = true;
  closed = false;
  end: WireHeader['end'] = null;
  /** Whether these are all of the recording's exits (the server had walked all of it). */
  complete = true;
  progress: Progress | null = null;
  private cols: { [K in Name]: ArrayOf[(typeof TYPES)[K]] };

  constructor(reasons: string[]) {
    this.reasons = reasons;
    this.cols = Object.fromEntries(NAMES.map((n) => [n, new ARRAYS[TYPES[n]](1024)])) as ExitColumns['cols'];
  }

  get seq(): Float64Array { return this.cols.seq; }
  get icount(): Float64Array { return this.cols.icount; }
  get reason(): Uint8Array { return this.cols.reason; }
  get pcLo(): Uint32Array { return this.cols.pcLo; }
  get pcHi(): Uint32Array { return this.cols.pcHi; }
  get addr(): Float64Array { return this.cols.addr; }
  get size(): Uint8Array { return this.cols.size; }
  get flags(): Uint8Array { return this.cols.flags; }

  /** Columns from a server response: its arrays are used as they are, with room added only when exits come. */
  static fromWire(buf: ArrayBuffer): ExitColumns {
    const { header, columns } = decodeWire(buf);
    const c = new ExitColumns(header.reasons);
    c.count = header.count;
    c.dense = header.dense;
    c.closed = header.closed;
    c.end = header.end;
    c.complete = header.complete !== false;
    c.progress = header.progress ?? null;
    for (const n of NAMES) {
      const a = columns.get(n);
      (c.cols as Record<Name, unknown>)[n] = a ?? new ARRAYS[TYPES[n]](header.count).fill(n === 'addr' ? NaN : 0);
    }
    if (!columns.has('seq')) {
      if (!header.dense) throw new Error('the timeline left out the seq column of exits whose seqs are not their positions');
      for (let k = 0; k < header.count; k++) c.cols.seq[k] = header.from + k;
    }
    return c;
  }

  /** Takes more columns of the same exits from a server response (the details fetched after the first paint). */
  addWire(buf: ArrayBuffer): void {
    const { header, columns } = decodeWire(buf);
    if (header.from !== 0 || header.count < this.count) throw new Error('the columns are not those of these exits');
    for (const [key, array] of columns) {
      if (!(NAMES as readonly string[]).includes(key)) continue;
      const name = key as Name;
      const mine = this.cols[name];
      let taken = array;
      if (array.length < mine.length) {
        taken = new ARRAYS[TYPES[name]](mine.length);
        taken.set(array.subarray(0, this.count) as never);
      }
      (this.cols as Record<Name, unknown>)[name] = taken;
    }
  }

  private reserve(n: number): void {
    if (this.cols.seq.length >= n) return;
    const size = Math.max(n, this.cols.seq.length * 2, 1024);
    for (const name of NAMES) {
      const old = this.cols[name];
      const grown = new ARRAYS[TYPES[name]](size);
      grown.set(old.subarray(0, this.count) as never);
      (this.cols as Record<Name, unknown>)[name] = grown;
    }
  }

  /**
   * Adds columns from the server for exits after the last one held (a live recording's growth, or the next part of
   * an index the server is still building).
   */
  appendWire(buf: ArrayBuffer): number {
    const { header, columns } = decodeWire(buf);
    const last = this.count === 0 ? -1 : this.cols.seq[this.count - 1];
    let seq = columns.get('seq') as Float64Array | undefined;
    if (seq === undefined) {
      if (!header.dense) throw new Error('the timeline left out the seq column of exits whose seqs are not their positions');
      seq = Float64Array.from({ length: header.count }, (_, i) => header.from + i);
      columns.set('seq', seq);
    }
    // Seqs rise: the rows after the last held are a tail of the response, taken column by column.
    let i0 = 0;
    while (i0 < header.count && seq[i0] <= last) i0++;
    const added = header.count - i0;
    this.reserve(this.count + added);
    for (const n of NAMES) {
      const from = columns.get(n);
      if (from !== undefined) this.cols[n].set(from.subarray(i0) as never, this.count);
      else this.cols[n].fill(n === 'addr' ? NaN : 0, this.count, this.count + added);
    }
    this.count += added;
    this.dense &&= header.dense;
    this.closed = header.closed;
    this.end = header.end;
    this.complete = header.complete !== false;
    this.progress = header.progress ?? null;
    return added;
  }

  /** Puts exits the server had on file into a gap before the streamed ones (seq order is kept). */
  fillGap(buf: ArrayBuffer): number {
    const { header, columns } = decodeWire(buf);
    const seq = columns.get('seq') as Float64Array;
    const have = new Set<number>();
    for (let i = 0; i < this.count; i++) have.add(this.cols.seq[i]);
    const rows: number[] = [];
    for (let i = 0; i < header.count; i++) if (!have.has(seq[i])) rows.push(i);
    if (rows.length === 0) return 0;
    const merged = new ExitColumns(this.reasons);
    merged.reserve(this.count + rows.length);
    let a = 0, b = 0;
    while (a < this.count || b < rows.length) {
      const takeOld = b >= rows.length || (a < this.count && this.cols.seq[a] < seq[rows[b]]);
      for (const n of NAMES) {
        merged.cols[n][merged.count] = takeOld ? this.cols[n][a] : (columns.get(n) ?? [n === 'addr' ? NaN : 0])[columns.has(n) ? rows[b] : 0];
      }
      merged.count++;
      if (takeOld) a++;
      else b++;
    }
    this.cols = merged.cols;
    this.count = merged.count;
    return rows.length;
  }

  /** An exit as the channel sends it (a live VM's, as it happens). */
  appendExit(exit: { [key: string]: Value }): boolean {
    const seq = Number(exit.seq);
    if (this.count > 0 && seq <= this.cols.seq[this.count - 1]) return false;
    this.reserve(this.count + 1);
    const k = this.count++;
    const pc = BigInt.asUintN(64, BigInt(exit.pc as bigint | number));
    let code = this.reasons.indexOf(String(exit.reason));
    if (code < 0) code = this.reasons.push(String(exit.reason)) - 1;
    this.cols.seq[k] = seq;
    this.cols.icount[k] = Number(exit.icount);
    this.cols.reason[k] = code;
    this.cols.pcLo[k] = Number(pc & 0xffff_ffffn);
    this.cols.pcHi[k] = Number(pc >> 32n);
    this.cols.addr[k] = exit.reason === 'MMIO' ? Number(exit.physAddr) : exit.reason === 'DEBUG' && exit.address !== undefined ? Number(exit.address) : NaN;
    this.cols.size[k] = exit.reason === 'MMIO' ? Number(exit.len) : 0;
    this.cols.flags[k] = exit.isWrite === true ? FLAG_WRITE : 0;
    return true;
  }

  pc(k: number): bigint {
    return (BigInt(this.cols.pcHi[k]) << 32n) | BigInt(this.cols.pcLo[k]);
  }

  /** The first exit at or after instruction count `t`. */
  indexAtIcount(t: number): number {
    const ic = this.cols.icount;
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ic[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  indexOfSeq(seq: number): number {
    const s = this.cols.seq;
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && s[lo] === seq ? lo : -1;
  }

  /** Which exits match (1) a filter, every field given must match; null when nothing filters. */
  match(f: Filter): Uint8Array | null {
    if (f.reason === undefined && f.pc === undefined && f.address === undefined) return null;
    const out = new Uint8Array(this.count);
    const reason = f.reason === undefined ? -1 : this.reasons.indexOf(f.reason);
    const pcLo = f.pc === undefined ? 0 : Number(f.pc & 0xffff_ffffn), pcHi = f.pc === undefined ? 0 : Number(f.pc >> 32n);
    const start = f.address === undefined ? 0 : Number(f.address), stop = start + (f.len ?? 1);
    const watch = this.reasons.indexOf('DEBUG');
    const { reason: r, pcLo: lo, pcHi: hi, addr, size } = this.cols;
    for (let k = 0; k < this.count; k++) {
      if (f.reason !== undefined && r[k] !== reason) continue;
      if (f.pc !== undefined && (lo[k] !== pcLo || hi[k] !== pcHi)) continue;
      if (f.address !== undefined) {
        const a = addr[k];
        if (Number.isNaN(a)) continue;
        const inside = r[k] === watch ? a >= start && a < stop : a < stop && start < a + size[k];
        if (!inside) continue;
      }
      out[k] = 1;
    }
    return out;
  }

  /** Exits per reason. */
  counts(): number[] {
    const out = this.reasons.map(() => 0);
    const r = this.cols.reason;
    for (let k = 0; k < this.count; k++) out[r[k]]++;
    return out;
  }
}
