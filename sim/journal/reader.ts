import { SimError } from '../errors.js';
import { SchemaError } from '../schema/schema.js';
import {
  decodeRecord, encodeRecord, FIXED_EXIT_REASON, FIXED_PROBLEMS, fixedLayoutCheck, RecordError, scannedIcount, scannedSeq, scanRecord,
  TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO, viewOf, type ScannedRecord,
} from './codec.js';
import { crc32 } from './crc32.js';
import {
  frame, FRAME_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_VERSION, JournalHeader, JournalRecord, MAX_FRAME_SIZE, packr, PREAMBLE_SIZE,
} from './format.js';
import { JournalFormatError } from './journal-error.js';
import { headerSchema, inputMisfit } from './schema.js';

/**
 * One record of a journal. The record itself is decoded when asked for and not kept: a long recording holds
 * millions of them, and keeping them all alive would make replay mostly garbage collection.
 */
export class JournalEntry {
  /** Position in the record sequence (0 = first record after the header). */
  readonly index: number;
  /** Byte offset of the record's frame in the file. */
  readonly offset: number;
  /** The record's payload as stored (a tag byte, then the record). */
  readonly payload: Uint8Array;

  constructor(index: number, offset: number, payload: Uint8Array) {
    this.index = index;
    this.offset = offset;
    this.payload = payload;
  }

  get record(): JournalRecord {
    return decodeRecord(this.payload);
  }
}

/** The exit index: exit seq → instruction count → record and file offset. */
export interface ExitIndexEntry {
  seq: number;
  icount: number;
  reason: string;
  index: number;
  offset: number;
}

export interface ParsedJournal {
  header: JournalHeader;
  entries: JournalEntry[];
  exits: ExitIndexEntry[];
  /** The recording ended with an end record (the recorder closed it). */
  closed: boolean;
  /** Bytes after the last complete record that were cut (a torn tail from a crash), 0 when none. */
  tornBytes: number;
  /** Offset just past the last complete record: where an append would continue. */
  validLength: number;
}

/**
 * Where each record is, in typed arrays (no object per record): what replay walks. readJournal builds one as it
 * scans; `entries` and `exits` are built from it only when someone reads them.
 */
export class RecordTable {
  /** The frames: `frames[i]` is where record i's frame (length, complement, CRC, payload) starts in `bytes`. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  count = 0;
  frames: Float64Array;
  /** Per record: its frame's offset in the file (the same as `frames` for a table read from a file). */
  offsets: Float64Array;
  exitCount = 0;
  /** Per exit: seq, icount, reason (a code: FIXED_EXIT_REASON's index, or 0 with the name in otherReasons), its record. */
  exitSeq: Float64Array;
  exitIcount: Float64Array;
  exitRecord: Uint32Array;
  exitReason: Uint8Array;
  readonly otherReasons = new Map<number, string>();

  /** `capacity`: the expected number of records (a guess; the arrays grow as needed). */
  constructor(bytes: Uint8Array, capacity = 1024, separateOffsets = false) {
    this.bytes = bytes;
    this.view = viewOf(bytes);
    const n = Math.max(16, capacity);
    this.frames = new Float64Array(n);
    this.offsets = separateOffsets ? new Float64Array(n) : this.frames;
    const e = Math.max(16, n >>> 1);
    this.exitSeq = new Float64Array(e);
    this.exitIcount = new Float64Array(e);
    this.exitRecord = new Uint32Array(e);
    this.exitReason = new Uint8Array(e);
  }

  /** Payload start and length of record i. */
  start(i: number): number {
    return this.frames[i] + FRAME_HEADER_SIZE;
  }

  length(i: number): number {
    return this.view.getUint32(this.frames[i], true);
  }

  add(frame: number, offset: number): void {
    const i = this.count;
    if (i === this.frames.length) {
      const separate = this.offsets !== this.frames;
      this.frames = grow(this.frames);
      this.offsets = separate ? grow(this.offsets) : this.frames;
    }
    this.frames[i] = frame;
    this.offsets[i] = offset;
    this.count = i + 1;
  }

  /** Registers the record about to be added (number `count`) as an exit; `code` 0 takes the reason's name. */
  addExit(seq: number, icount: number, code: number, reason?: string): void {
    const k = this.exitCount;
    if (k === this.exitSeq.length) {
      this.exitSeq = grow(this.exitSeq);
      this.exitIcount = grow(this.exitIcount);
      this.exitRecord = grow(this.exitRecord);
      this.exitReason = grow(this.exitReason);
    }
    this.exitSeq[k] = seq;
    this.exitIcount[k] = icount;
    this.exitRecord[k] = this.count;
    this.exitReason[k] = code;
    if (code === 0) this.otherReasons.set(k, reason ?? '');
    this.exitCount = k + 1;
  }

  entries(): JournalEntry[] {
    const out = new Array<JournalEntry>(this.count);
    for (let i = 0; i < this.count; i++) {
      const start = this.start(i);
      out[i] = new JournalEntry(i, this.offsets[i], this.bytes.subarray(start, start + this.length(i)));
    }
    return out;
  }

  exits(): ExitIndexEntry[] {
    const out = new Array<ExitIndexEntry>(this.exitCount);
    for (let k = 0; k < this.exitCount; k++) {
      const index = this.exitRecord[k], code = this.exitReason[k];
      const reason = code === 0 ? this.otherReasons.get(k)! : FIXED_EXIT_REASON[code];
      out[k] = { seq: this.exitSeq[k], icount: this.exitIcount[k], reason, index, offset: this.offsets[index] };
    }
    return out;
  }

  /** A table over records given as entries (a journal put together by hand rather than read from bytes). */
  static fromEntries(entries: readonly JournalEntry[]): RecordTable {
    const payloads = entries.map((e) => (e instanceof JournalEntry ? e.payload : encodeRecord((e as { record: JournalRecord }).record)));
    const frames = payloads.map((p) => frame(p));
    const t = new RecordTable(Buffer.concat(frames), entries.length, true);
    let at = 0;
    entries.forEach((e, i) => {
      let scanned: ScannedRecord;
      try {
        scanned = scanRecord(payloads[i], 0, payloads[i].length);
      } catch (err) {
        throw err instanceof RecordError ? new JournalFormatError('JOURNAL_BAD_RECORD', e.index, e.offset, err.message) : err;
      }
      if (scanned.t === 'exit') t.addExit(scanned.seq, scanned.icount, 0, scanned.reason);
      t.add(at, e.offset);
      at += frames[i].length;
    });
    return t;
  }
}

function grow<T extends Float64Array | Uint32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** The record tables of the journals readJournal returned (replay walks these, not `entries`). */
const TABLES = new WeakMap<ParsedJournal, RecordTable>();

/** The record table behind a parsed journal: the one readJournal built, or one made from its entries. */
export function recordTable(journal: ParsedJournal): RecordTable {
  return TABLES.get(journal) ?? RecordTable.fromEntries(journal.entries);
}

/** The header's payload decoded and checked against its schema. */
export function parseHeader(payload: Uint8Array): JournalHeader {
  let value: unknown;
  try {
    value = packr.unpack(payload);
  } catch (e) {
    throw new JournalFormatError('JOURNAL_BAD_HEADER', null, PREAMBLE_SIZE, `undecodable (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return headerSchema.parse(value);
  } catch (e) {
    if (e instanceof SchemaError) throw new JournalFormatError('JOURNAL_BAD_HEADER', null, PREAMBLE_SIZE, e.message);
    throw e;
  }
}

/**
 * The order every journal's records keep, whatever they hold: exits numbered from 0 without gaps, instruction counts
 * that never go back, inputs the machine can take, nothing after the end record. A record that breaks it is
 * JOURNAL_BAD_RECORD where it stands, rather than a replay that runs on towards a count it can never reach.
 */
/** What RecordOrder knows of the records it has checked. */
export interface RecordOrderState {
  nextSeq: number;
  icount: number;
  ended: boolean;
}

export class RecordOrder {
  private nextSeq = 0;
  private icount = 0;
  private ended = false;

  constructor(private readonly ramSize: number) {}

  /** Where the checks stand, to go on from there (JournalStream resuming a walk once the file has grown). */
  get state(): RecordOrderState {
    return { nextSeq: this.nextSeq, icount: this.icount, ended: this.ended };
  }

  static resume(ramSize: number, state: RecordOrderState): RecordOrder {
    const order = new RecordOrder(ramSize);
    order.nextSeq = state.nextSeq;
    order.icount = state.icount;
    order.ended = state.ended;
    return order;
  }

  /** The problem with the next record being this exit, or null (the hot path: nothing allocated). */
  exit(seq: number, icount: number): string | null {
    if (this.ended) return 'a record after the end record';
    if (seq !== this.nextSeq) return `exit seq ${seq} where ${this.nextSeq} comes next`;
    if (icount < this.icount) return `exit ${seq} at instruction ${icount}, before the previous exit's ${this.icount}`;
    this.nextSeq = seq + 1;
    this.icount = icount;
    return null;
  }

  /** The problem with the next record, or null. `record` is the decoded record of a msgpack payload (or null). */
  check(scanned: ScannedRecord, record: JournalRecord | null): string | null {
    if (this.ended) return 'a record after the end record';
    switch (scanned.t) {
      case 'exit':
        return this.exit(scanned.seq, scanned.icount);
      case 'input': {
        const r = record as Extract<JournalRecord, { t: 'input' }>;
        if (r.icount < this.icount) return `input at instruction ${r.icount}, before the previous exit's ${this.icount}`;
        return inputMisfit(r.input, this.ramSize);
      }
      case 'end': {
        const r = record as Extract<JournalRecord, { t: 'end' }>;
        this.ended = true;
        if (r.icount < this.icount) return `end at instruction ${r.icount}, before the last exit's ${this.icount}`;
        if (r.exits < this.nextSeq) return `end says ${r.exits} exits, the journal holds ${this.nextSeq}`;
        return null;
      }
      default:
        return null;
    }
  }

  get closed(): boolean {
    return this.ended;
  }
}

/**
 * Reads a journal. A torn tail (a frame cut short, as a killed recorder leaves it) is cut and reported in
 * `tornBytes`; a complete frame that fails its CRC is corruption (JOURNAL_CORRUPT), and one whose payload is not a
 * valid record, or breaks the journal's order, JOURNAL_BAD_RECORD; the header is checked the same way
 * (JOURNAL_BAD_HEADER). Each names the record and its offset (a JournalFormatError); nothing after it is returned.
 */
export function readJournal(bytes: Uint8Array): ParsedJournal {
  if (bytes.length < PREAMBLE_SIZE) throw new SimError('JOURNAL_TRUNCATED', `${bytes.length} bytes: too short for a journal`);
  for (let i = 0; i < JOURNAL_MAGIC.length; i++) {
    if (bytes[i] !== JOURNAL_MAGIC[i]) throw new SimError('JOURNAL_BAD_MAGIC', 'not a hindsight journal (bad magic)');
  }
  const view = viewOf(bytes);
  const version = view.getUint32(8, true);
  if (version !== JOURNAL_VERSION) {
    throw new SimError('JOURNAL_BAD_VERSION', `journal format version ${version}, this hindsight reads version ${JOURNAL_VERSION}`);
  }
  const first = readFrame(bytes, view, PREAMBLE_SIZE);
  if (first.kind !== 'ok') {
    if (first.kind === 'torn') throw new SimError('JOURNAL_TRUNCATED', 'the journal ends inside its header');
    throw new JournalFormatError('JOURNAL_CORRUPT', null, PREAMBLE_SIZE, first.why);
  }
  const header = parseHeader(first.payload);
  const order = new RecordOrder(header.machine.ramSize);
  const size = bytes.length;
  // Hot exit records take ~20-30 bytes with their frames: a capacity that rarely needs to grow (capped, for a
  // journal of a few large records).
  const table = new RecordTable(bytes, Math.min(Math.ceil((size - first.next) / 24), 1 << 21));
  let offset = first.next;
  // Frame by frame, as readFrame does, inline: millions of records, and nothing allocated for the usual ones.
  while (offset + FRAME_HEADER_SIZE <= size) {
    const len = view.getUint32(offset, true);
    if ((~len >>> 0) !== view.getUint32(offset + 4, true)) throw corruptRecord(table.count, offset, 'damaged frame length');
    if (len > MAX_FRAME_SIZE) throw corruptRecord(table.count, offset, `frame length ${len} is beyond any record`);
    const start = offset + FRAME_HEADER_SIZE;
    if (start + len > size) break;
    if (crc32(bytes, start, start + len) !== view.getUint32(offset + 8, true)) throw corruptRecord(table.count, offset, 'checksum mismatch');
    const tag = len === 0 ? -1 : bytes[start];
    let problem: string | null;
    if (tag >= TAG_EXIT_MMIO && tag <= TAG_ANSWER_SBI) {
      const bad = fixedLayoutCheck(bytes, start, len);
      if (bad !== 0) throw badRecord(table.count, offset, `a malformed fixed-layout record (tag ${tag}): ${FIXED_PROBLEMS[bad]}`);
      if (tag <= TAG_EXIT_INTR) {
        problem = order.exit(scannedSeq, scannedIcount);
        if (problem === null) table.addExit(scannedSeq, scannedIcount, tag);
      } else {
        problem = order.closed ? 'a record after the end record' : null;
      }
    } else {
      let scanned: ScannedRecord;
      try {
        scanned = scanRecord(bytes, start, len);
      } catch (e) {
        if (e instanceof RecordError) throw badRecord(table.count, offset, e.message);
        throw e;
      }
      problem = order.check(scanned, scanned.record);
      if (problem === null && scanned.t === 'exit') table.addExit(scanned.seq, scanned.icount, 0, scanned.reason);
    }
    if (problem !== null) throw badRecord(table.count, offset, problem);
    table.add(offset, offset);
    offset = start + len;
  }
  const journal = lazyJournal(header, table, order.closed, size - offset, offset);
  TABLES.set(journal, table);
  return journal;
}

function corruptRecord(index: number, offset: number, why: string): SimError {
  return new JournalFormatError('JOURNAL_CORRUPT', index, offset, why);
}

function badRecord(index: number, offset: number, why: string): SimError {
  return new JournalFormatError('JOURNAL_BAD_RECORD', index, offset, why);
}

/** A ParsedJournal whose `entries` and `exits` arrays are built on first use (replay does not need them). */
function lazyJournal(header: JournalHeader, table: RecordTable, closed: boolean, tornBytes: number, validLength: number): ParsedJournal {
  const journal = { header, closed, tornBytes, validLength } as ParsedJournal;
  const lazy = <K extends 'entries' | 'exits'>(key: K, build: () => ParsedJournal[K]) => {
    Object.defineProperty(journal, key, {
      enumerable: true,
      configurable: true,
      get: () => {
        const value = build();
        Object.defineProperty(journal, key, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
      set: (value: ParsedJournal[K]) => Object.defineProperty(journal, key, { value, enumerable: true, configurable: true, writable: true }),
    });
  };
  lazy('entries', () => table.entries());
  lazy('exits', () => table.exits());
  return journal;
}

type FrameResult = { kind: 'ok'; payload: Uint8Array; next: number } | { kind: 'torn' } | { kind: 'corrupt'; why: string };

function readFrame(bytes: Uint8Array, view: DataView, offset: number): FrameResult {
  if (offset + FRAME_HEADER_SIZE > bytes.length) return { kind: 'torn' };
  const len = view.getUint32(offset, true);
  const check = view.getUint32(offset + 4, true);
  const crc = view.getUint32(offset + 8, true);
  if ((~len >>> 0) !== check) return { kind: 'corrupt', why: 'damaged frame length' };
  if (len > MAX_FRAME_SIZE) return { kind: 'corrupt', why: `frame length ${len} is beyond any record` };
  const start = offset + FRAME_HEADER_SIZE;
  if (start + len > bytes.length) return { kind: 'torn' };
  if (crc32(bytes, start, start + len) !== crc) return { kind: 'corrupt', why: 'checksum mismatch' };
  return { kind: 'ok', payload: bytes.subarray(start, start + len), next: start + len };
}
