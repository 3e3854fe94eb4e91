import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SimError } from '../errors.js';
import { crc32 } from './crc32.js';
import { RecordError, scanRecord } from './codec.js';
import { FRAME_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_VERSION, type JournalHeader, MAX_FRAME_SIZE, PREAMBLE_SIZE } from './format.js';
import { JournalFormatError } from './journal-error.js';
import { parseHeader, RecordOrder } from './reader.js';

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
  readonly header: JournalHeader;
  /** Set once records() has run to its end. */
  end: StreamEnd | null = null;
  private buf: Uint8Array = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  /** The file offset of buf[0], and how many bytes of buf hold file data. */
  private base = 0;
  private filled = 0;
  private readonly size: number;
  /** Where the next frame starts (a file offset). */
  private next = 0;
  private closed = false;

  private constructor(private readonly fd: number) {
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
    const first = this.frameAt(PREAMBLE_SIZE);
    if (first === 'torn') throw new SimError('JOURNAL_TRUNCATED', 'the journal ends inside its header');
    if (typeof first === 'string') throw new JournalFormatError('JOURNAL_CORRUPT', null, PREAMBLE_SIZE, first);
    // A copy: the header outlives the chunk buffer (its images are views into what it was decoded from).
    this.header = parseHeader(this.buf.slice(first.start, first.start + first.length));
    this.next = this.base + first.start + first.length;
  }

  static open(path: string): JournalStream {
    const fd = openSync(path, 'r');
    try {
      return new JournalStream(fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }

  /** The records after the header, in order. Each yielded record's bytes are reused for the next one. */
  *records(): Generator<StreamedRecord> {
    const out: StreamedRecord = { index: 0, offset: 0, bytes: this.buf, start: 0, length: 0 };
    const order = new RecordOrder(this.header.machine.ramSize);
    let index = 0;
    for (;;) {
      const at = this.next;
      if (at + FRAME_HEADER_SIZE > this.size) break;
      const f = this.frameAt(at);
      if (f === 'torn') break;
      if (typeof f === 'string') throw new JournalFormatError('JOURNAL_CORRUPT', index, at, f);
      // Checked as readJournal checks it: a valid record, in the journal's order.
      let problem: string | null;
      try {
        const scanned = scanRecord(this.buf, f.start, f.length);
        problem = order.check(scanned, scanned.record);
      } catch (e) {
        if (!(e instanceof RecordError)) throw e;
        problem = e.message;
      }
      if (problem !== null) throw new JournalFormatError('JOURNAL_BAD_RECORD', index, at, problem);
      out.index = index++;
      out.offset = at;
      out.bytes = this.buf;
      out.start = f.start;
      out.length = f.length;
      this.next = at + FRAME_HEADER_SIZE + f.length;
      yield out;
    }
    this.end = { records: index, tornBytes: this.size - this.next };
  }

  /**
   * The frame at file offset `at`, its payload brought into the buffer (`start` indexes the buffer), or why it is
   * not one: 'torn' (it runs past the end of the file) or a corruption message.
   */
  private frameAt(at: number): { start: number; length: number } | string {
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
    return { start, length: len };
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
