import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeFrame, encodePreamble, JournalHeader, JournalRecord } from './format.js';

/** Where records go. The recorder appends; flush() makes what was appended durable against a crash of the process. */
export interface RecordSink {
  append(record: JournalRecord): void;
  flush(): void;
  close(): void;
}

/** Records are written in batches of this many bytes (or at flush/close). */
const BATCH_BYTES = 256 * 1024;

/**
 * Appends a journal to a file. Frames are buffered and written with one write() per batch, so a process killed
 * at any moment leaves whole frames followed by at most one torn frame, which the reader cuts.
 */
export class FileJournalWriter implements RecordSink {
  private readonly fd: number;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private closed = false;

  constructor(path: string, header: JournalHeader) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, encodePreamble());
    writeSync(this.fd, encodeFrame(header));
  }

  append(record: JournalRecord): void {
    const frame = encodeFrame(record);
    this.batch.push(frame);
    this.batchBytes += frame.length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    writeSync(this.fd, Buffer.concat(this.batch));
    this.batch = [];
    this.batchBytes = 0;
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
    this.chunks.push(encodeFrame(record));
  }

  flush(): void {}
  close(): void {}

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
