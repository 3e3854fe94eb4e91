import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeFixed, MAX_FIXED_RECORD, TAG_MSGPACK } from './codec.js';
import { crc32 } from './crc32.js';
import { encodeFrame, encodePreamble, encodeRecordFrame, FRAME_HEADER_SIZE, JournalHeader, JournalRecord, packr } from './format.js';

/** Where records go. The recorder appends; flush() makes what was appended durable against a crash of the process. */
export interface RecordSink {
  append(record: JournalRecord): void;
  flush(): void;
  close(): void;
}

/** Records are written in batches of this many bytes (or at flush/close). */
const BATCH_BYTES = 256 * 1024;

/**
 * Appends a journal to a file. Records are framed straight into one reusable batch buffer (no allocation per
 * record: recording stays cheap for exit-heavy guests) and written with one write() per batch, so a process
 * killed at any moment leaves whole frames followed by at most one torn frame, which the reader cuts.
 */
export class FileJournalWriter implements RecordSink {
  private readonly fd: number;
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private closed = false;

  constructor(path: string, header: JournalHeader) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, encodePreamble());
    writeSync(this.fd, encodeFrame(header));
  }

  append(record: JournalRecord): void {
    if (this.used + FRAME_HEADER_SIZE + MAX_FIXED_RECORD > BATCH_BYTES) this.flush();
    const b = this.batch, at = this.used, body = at + FRAME_HEADER_SIZE;
    let len = encodeFixed(b, body, record);
    if (len === 0) {
      // pack() returns a view of the packer's own buffer, valid until its next call: copy it at once.
      const payload = packr.pack(record);
      len = 1 + payload.length;
      if (FRAME_HEADER_SIZE + len > BATCH_BYTES - this.used) {
        this.flush();
        if (FRAME_HEADER_SIZE + len > BATCH_BYTES) {
          writeSync(this.fd, encodeRecordFrame(record));
          return;
        }
        return this.append(record);
      }
      b[body] = TAG_MSGPACK;
      b.set(payload, body + 1);
    }
    b.writeUInt32LE(len, at);
    b.writeUInt32LE(~len >>> 0, at + 4);
    b.writeUInt32LE(crc32(b, body, body + len), at + 8);
    this.used += FRAME_HEADER_SIZE + len;
  }

  flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, this.batch, 0, this.used);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}

/** A journal in memory (tests, the server's live history). */
export class MemoryJournalWriter implements RecordSink {
  private readonly chunks: Uint8Array[];

  constructor(header: JournalHeader) {
    this.chunks = [encodePreamble(), encodeFrame(header)];
  }

  append(record: JournalRecord): void {
    this.chunks.push(encodeRecordFrame(record));
  }

  flush(): void {}
  close(): void {}

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
