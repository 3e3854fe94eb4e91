import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import {
  encodeFixed, encodeStaged, encodeVcpuExit, MAX_FIXED_RECORD, STAGE_NUMS, STAGE_WORDS, stageAnswer, stageVcpuExit, TAG_MSGPACK, viewOf,
} from './codec.js';
import { crc32 } from './crc32.js';
import { encodeFrame, encodePreamble, FRAME_HEADER_SIZE, frame, JournalHeader, JournalRecord, packr } from './format.js';

/** Where records go. The recorder appends; flush() makes what was appended durable against a crash of the process. */
export interface RecordSink {
  append(record: JournalRecord): void;
  flush(): void;
  close(): void;
  /**
   * Optional fast paths the recorder uses when present: the same as append({ t: 'exit', exit }) for an exit exactly
   * as the vCPU returned it (with, when given, its 64-bit fields as Vcpu.exitWordsOf gives them), and
   * append({ t: 'answer', answer }), without building the record.
   */
  appendExit?(exit: VcpuExit, words?: Int32Array | null): void;
  appendAnswer?(answer: ExitAnswer): void;
}

/**
 * Records are written in batches of this many bytes (or at flush/close). The first batches are smaller (16 KiB,
 * doubling with each write): the start of a recording becomes durable early, then writes settle at full size.
 */
const BATCH_BYTES = 256 * 1024;
const FIRST_BATCH_BYTES = 16 * 1024;

/** Hot records staged (as raw fields) before they are encoded into the batch. */
const STAGE_RECORDS = 512;

/**
 * Frames records into one batch buffer (no allocation per record: recording stays cheap for exit-heavy guests)
 * and hands over whole batches, so that output only ever holds whole frames (and, should the process die in the
 * middle of a write, at most one frame cut short, which the reader cuts).
 *
 * Exits and answers, millions of them, are not even encoded as they happen: their fields are copied into typed
 * arrays (a few stores) and encoded, framed and checksummed in one pass, STAGE_RECORDS at a time. Done in bulk,
 * away from the guest's run, the same work costs less than a record at a time in the middle of it (the emulator
 * keeps the caches for itself). Nothing leaves the process before the batch is written either way, so what a
 * crash leaves is the same.
 */
abstract class BatchingSink implements RecordSink {
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES);
  private readonly view = viewOf(this.batch);
  private used = 0;
  /** Write the batch once it holds this many bytes (grows to BATCH_BYTES). */
  private limit = FIRST_BATCH_BYTES;
  private readonly stageTags = new Uint8Array(STAGE_RECORDS);
  private readonly stageNums = new Float64Array(STAGE_RECORDS * STAGE_NUMS);
  private readonly stageWords = new Int32Array(STAGE_RECORDS * STAGE_WORDS);
  private staged = 0;

  /** Takes `length` bytes of whole frames; `bytes` is reused afterwards (copy to keep). */
  protected abstract write(bytes: Uint8Array, length: number): void;

  append(record: JournalRecord): void {
    this.unstage();
    this.reserve();
    const len = encodeFixed(this.batch, this.used + FRAME_HEADER_SIZE, record);
    if (len > 0) this.seal(len);
    else this.appendPacked(record);
  }

  appendExit(exit: VcpuExit, words: Int32Array | null = null): void {
    if (words !== null) {
      if (this.staged === STAGE_RECORDS) this.unstage();
      if (stageVcpuExit(this.stageTags, this.stageNums, this.stageWords, this.staged, exit, words)) {
        this.staged++;
        return;
      }
    }
    this.unstage();
    this.reserve();
    const len = encodeVcpuExit(this.batch, this.used + FRAME_HEADER_SIZE, exit, words);
    if (len > 0) this.seal(len);
    else this.appendPacked({ t: 'exit', exit });
  }

  appendAnswer(answer: ExitAnswer): void {
    if (this.staged === STAGE_RECORDS) this.unstage();
    if (stageAnswer(this.stageTags, this.stageNums, this.stageWords, this.staged, answer)) {
      this.staged++;
      return;
    }
    this.unstage();
    this.reserve();
    this.appendPacked({ t: 'answer', answer });
  }

  flush(): void {
    this.unstage();
    this.writeBatch();
  }

  abstract close(): void;

  /** Encodes the staged records into the batch, in order. */
  private unstage(): void {
    const n = this.staged;
    if (n === 0) return;
    this.staged = 0;
    const tags = this.stageTags, nums = this.stageNums, words = this.stageWords;
    for (let i = 0; i < n; i++) {
      this.reserve();
      this.seal(encodeStaged(this.batch, this.used + FRAME_HEADER_SIZE, tags, nums, words, i));
    }
  }

  /** Writes the batch first if a record of up to MAX_FIXED_RECORD bytes would not fit. */
  private reserve(): void {
    if (this.used + FRAME_HEADER_SIZE + MAX_FIXED_RECORD > this.limit) this.writeBatch();
  }

  private writeBatch(): void {
    if (this.used === 0) return;
    this.checksum();
    this.write(this.batch, this.used);
    this.used = 0;
    if (this.limit < BATCH_BYTES) this.limit *= 2;
  }

  /**
   * Completes the frame whose payload of `len` bytes has been written after a frame header's room. Its CRC is
   * filled in by checksum(), in one pass over the batch just before it is written.
   */
  private seal(len: number): void {
    const at = this.used, v = this.view;
    v.setUint32(at, len, true);
    v.setUint32(at + 4, ~len >>> 0, true);
    this.used = at + FRAME_HEADER_SIZE + len;
  }

  /** Fills in the CRC of every frame in the batch. */
  private checksum(): void {
    const b = this.batch, v = this.view, end = this.used;
    for (let at = 0; at < end;) {
      const body = at + FRAME_HEADER_SIZE, next = body + v.getUint32(at, true);
      v.setUint32(at + 8, crc32(b, body, next), true);
      at = next;
    }
  }

  private appendPacked(record: JournalRecord): void {
    // pack() returns a view of the packer's own buffer, valid until its next call: copy it at once.
    const payload = packr.pack(record);
    const len = 1 + payload.length;
    if (FRAME_HEADER_SIZE + len > BATCH_BYTES - this.used) {
      this.writeBatch();
      if (FRAME_HEADER_SIZE + len > BATCH_BYTES) {
        const whole = new Uint8Array(len);
        whole[0] = TAG_MSGPACK;
        whole.set(payload, 1);
        const f = frame(whole);
        this.write(f, f.length);
        return;
      }
    }
    const body = this.used + FRAME_HEADER_SIZE;
    this.batch[body] = TAG_MSGPACK;
    this.batch.set(payload, body + 1);
    this.seal(len);
  }
}

/**
 * Appends a journal to a file, one write() per batch: a process killed at any moment leaves whole frames followed
 * by at most one torn frame, which the reader cuts.
 */
export class FileJournalWriter extends BatchingSink {
  private readonly fd: number;
  private readonly fsync: boolean;
  private closed = false;

  /**
   * `fsync`: every write is followed by fdatasync(), so what was written survives a power loss too, not only the
   * death of the process (docs/journal.md, "Durability"). Either way, closing syncs the file once.
   */
  constructor(path: string, header: JournalHeader, options: { fsync?: boolean } = {}) {
    super();
    this.fsync = options.fsync ?? false;
    this.fd = openSync(path, 'w');
    writeSync(this.fd, encodePreamble());
    writeSync(this.fd, encodeFrame(header));
    if (this.fsync) fdatasyncSync(this.fd);
  }

  protected write(bytes: Uint8Array, length: number): void {
    writeSync(this.fd, bytes, 0, length);
    if (this.fsync) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    // A closed recording is on the disk, not only in the page cache: one sync per recording.
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
  }
}

/** A journal in memory (tests, the server's live history). */
export class MemoryJournalWriter extends BatchingSink {
  private readonly chunks: Uint8Array[];

  constructor(header: JournalHeader) {
    super();
    this.chunks = [encodePreamble(), encodeFrame(header)];
  }

  protected write(bytes: Uint8Array, length: number): void {
    // A copy (Buffer's own slice() would be a view of the reused batch).
    this.chunks.push(Uint8Array.prototype.slice.call(bytes, 0, length));
  }

  close(): void {
    this.flush();
  }

  bytes(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}
