/**
 * A recording's exits as columns (typed arrays, one entry per exit), for the web UI's timeline: what a canvas needs
 * to draw a million exits and filter them (reason, pc, address) without an object per exit, plus the console
 * output they carry. Built by one walk over the journal (JournalStream) and extended from where it stopped when
 * the file grows (a live VM's recording).
 *
 * The hot records (MMIO, SBI and INTR exits) are read straight from their compact layouts (docs/journal.md); the
 * others are decoded.
 */
import { statSync } from 'node:fs';
// The journal's modules only, not the whole simulator: a walk's worker starts sooner.
import type { VcpuExit } from '../../sim/kvm/exits.js';
import { decodeAt } from '../../sim/journal/codec.js';
import { JournalStream, type StreamPosition } from '../../sim/journal/stream-reader.js';
// The compact layouts' varints, read in place (the stream has checked every record before it yields it).
import { readVar, varHi, varLo, varNum } from '../../sim/journal/codec.js';

/** Reason codes, in this order: a column holds the index. */
export const REASONS = ['MMIO', 'RISCV_SBI', 'INTR', 'SYSTEM_EVENT', 'DEBUG', 'RISCV_CSR', 'INTERNAL_ERROR'] as const;
const REASON_CODE = new Map<string, number>(REASONS.map((r, i) => [r, i]));
const MMIO = 0, SBI = 1, INTR = 2;

/** Record tags of the compact layouts (sim/journal/codec.ts). */
const TAG_EXIT_MMIO = 1, TAG_EXIT_SBI = 2, TAG_EXIT_INTR = 3, TAG_ANSWER_SBI = 5, TAG_ANSWER_MMIO = 4;
const SBI_LEGACY_PUTCHAR = 0x01, SBI_DBCN = 0x4442434e;
const UART_THR = 0x1000_0000, UART_LCR = 0x1000_0003, LCR_DLAB = 0x80;

/** Flags column bits. */
export const FLAG_WRITE = 1;

const TWO_32 = 4294967296;

/** The per-exit columns. */
const EXIT_COLUMNS = ['seq', 'icount', 'reason', 'pcLo', 'pcHi', 'addr', 'size', 'flags', 'offset', 'record'] as const;

/** Exits and console output added by a stretch of a walk (TimelineColumns.batchFrom). */
export type ColumnsBatch = { [K in (typeof EXIT_COLUMNS)[number]]: TimelineColumns[K] } & {
  console: Uint8Array;
  consoleSeq: Float64Array;
  consoleEnd: Float64Array;
};

export interface WalkState {
  end: TimelineColumns['end'];
  position: StreamPosition | null;
  uartDlab: boolean;
}

export class TimelineColumns {
  count = 0;
  seq = new Float64Array(1024);
  icount = new Float64Array(1024);
  reason = new Uint8Array(1024);
  pcLo = new Uint32Array(1024);
  pcHi = new Uint32Array(1024);
  /** MMIO: the guest-physical address; DEBUG watchpoint: the address; else NaN. */
  addr = new Float64Array(1024);
  /** MMIO: the access width. */
  size = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  /** Where each exit's record is in the file, and its record number (for reading exits back). */
  offset = new Float64Array(1024);
  record = new Uint32Array(1024);
  /** What the guest wrote to its console, and after which exit each part was written. */
  console = new Uint8Array(4096);
  consoleLength = 0;
  consoleSeq = new Float64Array(1024);
  consoleEnd = new Float64Array(1024);
  consoleParts = 0;
  /** The recording's end record, once read: its icount and reason. */
  end: { icount: number; reason: string } | null = null;
  /** Where the walk stopped (the next record), and the file's size and mtime then. */
  position: StreamPosition | null = null;
  fileSize = 0;
  fileMtime = 0;
  /** The guest image's name and bytes (from the journal header), and the RAM size. */
  image: { name: string; bytes: Uint8Array } | null = null;
  ramSize = 0;
  private uartDlab = false;

  /** Room for about `n` exits (a guess from the journal's size: the arrays still grow past it). */
  reserve(n: number): void {
    if (n > this.seq.length) this.grow(n);
  }

  private grow(atLeast = 0): void {
    const n = Math.max(this.seq.length * 2, atLeast);
    const g = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.seq = g(this.seq);
    this.icount = g(this.icount);
    this.reason = g(this.reason);
    this.pcLo = g(this.pcLo);
    this.pcHi = g(this.pcHi);
    this.addr = g(this.addr);
    this.size = g(this.size);
    this.flags = g(this.flags);
    this.offset = g(this.offset);
    this.record = g(this.record);
  }

  private add(seq: number, icount: number, reason: number, pcLo: number, pcHi: number, addr: number, size: number, flags: number, offset: number, record: number): void {
    if (this.count === this.seq.length) this.grow();
    const k = this.count++;
    this.seq[k] = seq;
    this.icount[k] = icount;
    this.reason[k] = reason;
    this.pcLo[k] = pcLo;
    this.pcHi[k] = pcHi;
    this.addr[k] = addr;
    this.size[k] = size;
    this.flags[k] = flags;
    this.offset[k] = offset;
    this.record[k] = record;
  }

  private output(seq: number, bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.outputByte(seq, bytes[i]);
  }

  private outputByte(seq: number, byte: number): void {
    if (this.consoleLength === this.console.length) {
      const b = new Uint8Array(this.console.length * 2);
      b.set(this.console);
      this.console = b;
    }
    this.console[this.consoleLength++] = byte;
    const k = this.consoleParts;
    if (k === this.consoleSeq.length) {
      const s = new Float64Array(k * 2), e = new Float64Array(k * 2);
      s.set(this.consoleSeq);
      e.set(this.consoleEnd);
      this.consoleSeq = s;
      this.consoleEnd = e;
    }
    if (k > 0 && this.consoleSeq[k - 1] === seq) {
      this.consoleEnd[k - 1] = this.consoleLength;
    } else {
      this.consoleSeq[k] = seq;
      this.consoleEnd[k] = this.consoleLength;
      this.consoleParts = k + 1;
    }
  }

  /** The console output written by the exits before exit `seq` (bytes, and where they start if cut to `max`). */
  consoleBefore(seq: number, max: number): { bytes: Uint8Array; from: number; total: number } {
    let lo = 0, hi = this.consoleParts;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.consoleSeq[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    const total = lo === 0 ? 0 : this.consoleEnd[lo - 1];
    const from = Math.max(0, total - max);
    return { bytes: this.console.subarray(from, total), from, total };
  }

  /**
   * Walks the records from `stream`'s position on, adding every exit; `every()` is called after every `period`
   * records (to hand out what is built so far while a big journal is walked). With `limit`, stops after that many
   * records. Whether it got to the end of the file.
   */
  scan(stream: JournalStream, period = 0, every?: () => void, limit = Infinity): boolean {
    let n = 0, left = limit;
    for (const r of stream.records()) {
      if (every !== undefined && ++n === period) {
        n = 0;
        every();
      }
      const b = r.bytes, at = r.start, end = at + r.length, tag = b[at];
      if (tag === TAG_EXIT_MMIO || tag === TAG_EXIT_SBI || tag === TAG_EXIT_INTR) this.fixedExit(b, at, end, tag, r.offset, r.index);
      else if (tag !== TAG_ANSWER_SBI && tag !== TAG_ANSWER_MMIO) {
        const rec = decodeAt(b, at, r.length);
        if (rec.t === 'exit') this.decodedExit(rec.exit, r.offset, r.index);
        else if (rec.t === 'end') this.end = { icount: rec.icount, reason: rec.reason };
      }
      if (--left === 0) {
        this.position = stream.position;
        return false;
      }
    }
    this.position = stream.position;
    return true;
  }

  private fixedExit(b: Uint8Array, p: number, end: number, tag: number, offset: number, record: number): void {
    p = readVar(b, p + 1, end);
    const seq = varNum();
    p = readVar(b, p, end);
    const icount = varNum();
    p = readVar(b, p, end);
    const pcLo = varLo, pcHi = varHi;
    if (tag === TAG_EXIT_MMIO) {
      p = readVar(b, p, end);
      const addr = varNum(), len = b[p], write = b[p + 1] === 1;
      this.add(seq, icount, MMIO, pcLo, pcHi, addr, len, write ? FLAG_WRITE : 0, offset, record);
      if (write) this.uart(seq, addr, b[p + 2]);
    } else if (tag === TAG_EXIT_SBI) {
      p = readVar(b, p, end);
      const eid = varNum();
      p = readVar(b, p, end);
      const fid = varNum();
      p = readVar(b, p, end);
      const a0 = varNum();
      let addr = 0;
      if (eid === SBI_DBCN && fid === 0) {
        p = readVar(b, p, end);
        const a1 = varNum();
        readVar(b, p, end);
        addr = a1 + varNum() * TWO_32;
      }
      this.add(seq, icount, SBI, pcLo, pcHi, NaN, 0, 0, offset, record);
      this.sbi(seq, eid, fid, a0 % 256, a0, addr);
    } else {
      this.add(seq, icount, INTR, pcLo, pcHi, NaN, 0, 0, offset, record);
    }
  }

  private decodedExit(e: VcpuExit, offset: number, record: number): void {
    const pc = BigInt.asUintN(64, e.pc);
    const lo = Number(pc & 0xffff_ffffn), hi = Number(pc >> 32n);
    const code = REASON_CODE.get(e.reason) ?? REASON_CODE.get('INTERNAL_ERROR')!;
    let addr = NaN, size = 0, flags = 0;
    if (e.reason === 'MMIO') {
      addr = e.physAddr;
      size = e.len;
      flags = e.isWrite ? FLAG_WRITE : 0;
      if (e.isWrite) this.uart(e.seq, e.physAddr, e.data[0]);
    } else if (e.reason === 'DEBUG' && e.address !== undefined) {
      addr = Number(e.address);
      size = 1;
      flags = e.isWrite ? FLAG_WRITE : 0;
    }
    this.add(e.seq, e.icount, code, lo, hi, addr, size, flags, offset, record);
    if (e.reason === 'RISCV_SBI') this.sbi(e.seq, e.extensionId, e.functionId, Number(e.args[0] & 0xffn), Number(e.args[0]), Number(e.args[1] + (e.args[2] << 32n)));
  }

  /**
   * Console output an SBI call carries, as server/cli/console-tap.ts reconstructs it during a replay: legacy
   * putchar and DBCN write_byte hold their byte. A DBCN write passes guest memory, which only a replay has: it is
   * shown as a note of what was written where.
   */
  private sbi(seq: number, eid: number, fid: number, byte: number, a0: number, addr: number): void {
    if (eid === SBI_LEGACY_PUTCHAR || (eid === SBI_DBCN && fid === 2)) this.outputByte(seq, byte);
    else if (eid === SBI_DBCN && fid === 0) this.output(seq, new TextEncoder().encode(`⟨DBCN write: ${a0} bytes at 0x${addr.toString(16)}⟩`));
  }

  /** A write to the UART's transmit register (with the divisor latch closed) is a console byte. */
  private uart(seq: number, addr: number, value: number): void {
    if (addr === UART_LCR) this.uartDlab = (value & LCR_DLAB) !== 0;
    else if (addr === UART_THR && !this.uartDlab) this.outputByte(seq, value);
  }

  /**
   * Takes out what was added so far (copies, to post to another thread) and starts empty again, the walk's place
   * kept: a walk hands out its exits this way as it goes. A console part is complete when it is handed out: the
   * output an exit carries comes with its record, and the next part belongs to a later exit.
   */
  drain(): ColumnsBatch {
    const n = this.count;
    const batch = {
      seq: this.seq.slice(0, n), icount: this.icount.slice(0, n), reason: this.reason.slice(0, n), pcLo: this.pcLo.slice(0, n),
      pcHi: this.pcHi.slice(0, n), addr: this.addr.slice(0, n), size: this.size.slice(0, n), flags: this.flags.slice(0, n),
      offset: this.offset.slice(0, n), record: this.record.slice(0, n), console: this.console.slice(0, this.consoleLength),
      consoleSeq: this.consoleSeq.slice(0, this.consoleParts), consoleEnd: this.consoleEnd.slice(0, this.consoleParts),
    };
    this.count = 0;
    this.consoleLength = 0;
    this.consoleParts = 0;
    return batch;
  }

  /** Adds a batch another thread's walk handed out (the next exits and console output, in order). */
  addBatch(b: ColumnsBatch): void {
    const n = b.seq.length;
    if (this.count + n > this.seq.length) this.grow(this.count + n);
    for (const name of EXIT_COLUMNS) (this[name] as Float64Array).set(b[name] as Float64Array, this.count);
    this.count += n;
    while (this.consoleLength + b.console.length > this.console.length) {
      const grown = new Uint8Array(this.console.length * 2);
      grown.set(this.console.subarray(0, this.consoleLength));
      this.console = grown;
    }
    this.console.set(b.console, this.consoleLength);
    // A batch counts its console bytes from its own start.
    const base = this.consoleLength;
    this.consoleLength += b.console.length;
    const parts = b.consoleSeq.length;
    if (this.consoleParts + parts > this.consoleSeq.length) {
      const size = Math.max(this.consoleSeq.length * 2, this.consoleParts + parts);
      const s = new Float64Array(size), e = new Float64Array(size);
      s.set(this.consoleSeq.subarray(0, this.consoleParts));
      e.set(this.consoleEnd.subarray(0, this.consoleParts));
      this.consoleSeq = s;
      this.consoleEnd = e;
    }
    this.consoleSeq.set(b.consoleSeq, this.consoleParts);
    for (let i = 0; i < parts; i++) this.consoleEnd[this.consoleParts + i] = base + b.consoleEnd[i];
    this.consoleParts += parts;
  }

  /** Where a walk stopped, to carry on from there later (the file grows) on another thread. */
  get walkState(): WalkState {
    return { end: this.end, position: this.position, uartDlab: this.uartDlab };
  }

  set walkState(w: WalkState) {
    this.end = w.end;
    this.position = w.position;
    this.uartDlab = w.uartDlab;
  }

  /** The index of the first exit with seq >= `seq` (exits are in seq order). */
  indexOfSeq(seq: number): number {
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seq[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Room for the exits of a journal of `bytes` (an exit and its answer take some 50 bytes in an exit-heavy recording). */
export function exitsGuess(bytes: number): number {
  return Math.min(Math.ceil(bytes / 48), 1 << 24);
}

/** The columns of a journal's header (image, RAM size), and the stream after it. */
function openWalk(path: string): { cols: TimelineColumns; stream: JournalStream } {
  const cols = new TimelineColumns();
  const stream = JournalStream.open(path);
  const kernel = stream.header!.images.find((i) => i.role === 'kernel');
  cols.image = kernel === undefined ? null : { name: kernel.name, bytes: kernel.bytes };
  cols.ramSize = stream.header!.machine.ramSize;
  return { cols, stream };
}

/** Builds the columns of a journal file from its start. */
export function scanJournal(path: string): TimelineColumns {
  const { cols, stream } = openWalk(path);
  try {
    cols.reserve(exitsGuess(statSync(path).size));
    cols.scan(stream);
  } finally {
    stream.close();
  }
  return cols;
}

/**
 * The columns of a journal's first `records` records (what a page can draw at once while the rest is walked from
 * `position` on), and whether that was all of it.
 */
export function scanHead(path: string, records: number): { cols: TimelineColumns; whole: boolean } {
  const { cols, stream } = openWalk(path);
  try {
    return { cols, whole: cols.scan(stream, 0, undefined, records) };
  } finally {
    stream.close();
  }
}

/** The buffers of a batch, to transfer them to another thread rather than copy them. */
export function transferables(b: ColumnsBatch): ArrayBuffer[] {
  return [...EXIT_COLUMNS.map((n) => b[n]), b.console, b.consoleSeq, b.consoleEnd].map((a) => a.buffer as ArrayBuffer);
}

/**
 * Adds what a journal file gained since `cols` was built from it (or walks on from where a walk of it stopped),
 * calling `every` after every `period` records.
 */
export function extendColumns(cols: TimelineColumns, path: string, period = 0, every?: () => void): void {
  const stream = JournalStream.open(path, cols.position!);
  try {
    cols.scan(stream, period, every);
  } finally {
    stream.close();
  }
}
