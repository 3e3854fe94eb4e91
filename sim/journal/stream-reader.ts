import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SimError } from '../errors.js';
import { crc32 } from './crc32.js';
import {
  FIXED_PROBLEMS, fixedLayoutCheck, RecordError, scannedIcount, scannedSeq, scanRecord, TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO,
} from './codec.js';
import { FRAME_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_VERSION, type JournalHeader, MAX_FRAME_SIZE, PREAMBLE_SIZE } from './format.js';
import { JournalFormatError } from './journal-error.js';
import { parseHeader, RecordOrder, type RecordOrderState } from './reader.js';

/** One record as the stream holds it: its payload is `bytes[start, start + length)`, valid until the next record. */
export interface StreamedRecord {
  /** Position in the record sequence (0 = the first record after the header). */
  index: number;
  /** Byte offset of the record's frame in the file. */
  offset: number;
  bytes: Uint8Array;
  start: number;
  length: number;
}

/**
 * A place in a journal's record sequence, to walk on from once the file has grown: a frame's file offset, its
 * record number, and what the order checks need to know of the records before it.
 */
export interface StreamPosition {
  offset: number;
  index: number;
  ramSize: number;
  order: RecordOrderState;
}

/** How the stream ended: a torn tail is cut (as readJournal cuts it) and reported. */
export interface StreamEnd {
  records: number;
  tornBytes: number;
}

const CHUNK = 1 << 20;

/**
 * A journal read record by record from a file, in chunks: memory stays at the header (which embeds the images) and
 * one chunk, whatever the number of records, where readJournal holds the whole file and an index of it. For tools
 * that walk a recording once from the start (trace export, the web UI's timeline columns). Frames are checked as
 * readJournal checks them: a damaged length or a CRC mismatch is JOURNAL_CORRUPT naming the record and offset, a
 * frame cut short at the end of the file is a torn tail.
 *
 *   const journal = JournalStream.open(path);
 *   for (const r of journal.records()) ... decodeAt(r.bytes, r.start, r.length) ...
 *   journal.close();
 */
export class JournalStream {
  /** The header (null on a stream opened to resume a walk). */
  readonly header: JournalHeader | null;
  /** Set once records() has run to its end: the records walked, from the start (resumed walks included). */
  end: StreamEnd | null = null;
  private buf: Uint8Array = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  /** The file offset of buf[0], and how many bytes of buf hold file data. */
  private base = 0;
  private filled = 0;
  private readonly size: number;
  /** Where the next frame starts (a file offset), and its record number. */
  private next = 0;
  private index = 0;
  private readonly order: RecordOrder;
  private readonly ramSize: number;
  private closed = false;
  /** The payload of the frame frameAt() last read: where it starts in the buffer, and its length. */
  private frameStart = 0;
  private frameLength = 0;

  private constructor(private readonly fd: number, resume?: StreamPosition) {
    this.size = fstatSync(fd).size;
    if (this.size < PREAMBLE_SIZE) throw new SimError('JOURNAL_TRUNCATED', `${this.size} bytes: too short for a journal`);
    this.fill(0, PREAMBLE_SIZE);
    for (let i = 0; i < JOURNAL_MAGIC.length; i++) {
      if (this.buf[i] !== JOURNAL_MAGIC[i]) throw new SimError('JOURNAL_BAD_MAGIC', 'not a hindsight journal (bad magic)');
    }
    const version = this.view.getUint32(8, true);
    if (version !== JOURNAL_VERSION) {
      throw new SimError('JOURNAL_BAD_VERSION', `journal format version ${version}, this hindsight reads version ${JOURNAL_VERSION}`);
    }
    if (resume !== undefined) {
      // Where an earlier walk of the same file stopped: the header it read then still holds (a journal is only appended to).
      this.header = null;
      this.next = resume.offset;
      this.index = resume.index;
      this.ramSize = resume.ramSize;
      this.order = RecordOrder.resume(resume.ramSize, resume.order);
      return;
    }
    const first = this.frameAt(PREAMBLE_SIZE);
    if (first === 'torn') throw new SimError('JOURNAL_TRUNCATED', 'the journal ends inside its header');
    if (first !== null) throw new JournalFormatError('JOURNAL_CORRUPT', null, PREAMBLE_SIZE, first);
    // A copy: the header outlives the chunk buffer (its images are views into what it was decoded from).
    this.header = parseHeader(this.buf.slice(this.frameStart, this.frameStart + this.frameLength));
    this.next = this.base + this.frameStart + this.frameLength;
    this.ramSize = this.header.machine.ramSize;
    this.order = new RecordOrder(this.ramSize);
  }

  /**
   * Opens a journal and reads its header. With `resume` (a `position` an earlier walk of the same file ended at),
   * the walk continues from there and the header is not read again (`header` is then null).
   */
  static open(path: string, resume?: StreamPosition): JournalStream {
    const fd = openSync(path, 'r');
    try {
      return new JournalStream(fd, resume);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }

  /** Where the walk stands: the next record's place (to resume from, once the file has grown). */
  get position(): StreamPosition {
    return { offset: this.next, index: this.index, ramSize: this.ramSize, order: this.order.state };
  }

  /** The records after the header (or after the resume position), in order. Each yielded record's bytes are reused for the next one. */
  *records(): Generator<StreamedRecord> {
    const out: StreamedRecord = { index: 0, offset: 0, bytes: this.buf, start: 0, length: 0 };
    const order = this.order;
    for (;;) {
      const at = this.next;
      if (at + FRAME_HEADER_SIZE > this.size) break;
      const f = this.frameAt(at);
      if (f === 'torn') break;
      const index = this.index;
      if (f !== null) throw new JournalFormatError('JOURNAL_CORRUPT', index, at, f);
      const start = this.frameStart, length = this.frameLength;
      // Checked as readJournal checks it: a valid record, in the journal's order; the compact layouts (millions of
      // them) without an object each.
      let problem: string | null;
      const tag = this.buf[start];
      if (tag >= TAG_EXIT_MMIO && tag <= TAG_ANSWER_SBI) {
        const bad = fixedLayoutCheck(this.buf, start, length);
        if (bad !== 0) problem = `a malformed fixed-layout record (tag ${tag}): ${FIXED_PROBLEMS[bad]}`;
        else problem = tag <= TAG_EXIT_INTR ? order.exit(scannedSeq, scannedIcount) : order.closed ? 'a record after the end record' : null;
      } else {
        try {
          const scanned = scanRecord(this.buf, start, length);
          problem = order.check(scanned, scanned.record);
        } catch (e) {
          if (!(e instanceof RecordError)) throw e;
          problem = e.message;
        }
      }
      if (problem !== null) throw new JournalFormatError('JOURNAL_BAD_RECORD', index, at, problem);
      out.index = this.index++;
      out.offset = at;
      out.bytes = this.buf;
      out.start = start;
      out.length = length;
      this.next = at + FRAME_HEADER_SIZE + length;
      yield out;
    }
    this.end = { records: this.index, tornBytes: this.size - this.next };
  }

  /**
   * Reads the frame at file offset `at`, its payload brought into the buffer (frameStart, frameLength; no object
   * per frame): null, or why it is not a frame: 'torn' (it runs past the end of the file) or a corruption message.
   */
  private frameAt(at: number): string | null {
    this.fill(at, FRAME_HEADER_SIZE);
    const h = at - this.base;
    const view = this.view;
    const len = view.getUint32(h, true);
    if ((~len >>> 0) !== view.getUint32(h + 4, true)) return 'damaged frame length';
    if (len > MAX_FRAME_SIZE) return `frame length ${len} is beyond any record`;
    if (at + FRAME_HEADER_SIZE + len > this.size) return 'torn';
    const crc = view.getUint32(h + 8, true);
    this.fill(at, FRAME_HEADER_SIZE + len);
    const start = at - this.base + FRAME_HEADER_SIZE;
    if (crc32(this.buf, start, start + len) !== crc) return 'checksum mismatch';
    this.frameStart = start;
    this.frameLength = len;
    return null;
  }

  /** Makes file bytes [at, at + n) present in the buffer (moving what is left to its front, growing it if needed). */
  private fill(at: number, n: number): void {
    if (at >= this.base && at + n <= this.base + this.filled) return;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
      this.base = at;
      this.filled = 0;
    } else if (at >= this.base && at <= this.base + this.filled) {
      // Keep the bytes already read from `at` on: move them to the front.
      this.buf.copyWithin(0, at - this.base, this.filled);
      this.filled -= at - this.base;
      this.base = at;
    } else {
      this.base = at;
      this.filled = 0;
    }
    while (this.filled < this.buf.length && this.base + this.filled < this.size) {
      const got = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, this.base + this.filled);
      if (got === 0) break;
      this.filled += got;
    }
    if (this.filled < n) throw new SimError('JOURNAL_TRUNCATED', `the file ended at offset ${this.base + this.filled}, inside a frame`);
  }
}
