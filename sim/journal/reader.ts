import { SimError } from '../errors.js';
import { decodeRecord, scanRecord } from './codec.js';
import { crc32 } from './crc32.js';
import {
  FRAME_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_VERSION, JournalHeader, JournalRecord, MAX_FRAME_SIZE, packr,
  PREAMBLE_SIZE,
} from './format.js';

/**
 * One record of a journal. The record itself is decoded when asked for and not kept: a long recording holds
 * millions of them, and keeping them all alive would make replay mostly garbage collection.
 */
export class JournalEntry {
  /** Position in the record sequence (0 = first record after the header). */
  readonly index: number;
  /** Byte offset of the record's frame in the file. */
  readonly offset: number;
  private readonly payload: Uint8Array;

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
 * Reads a journal. A torn tail (a frame cut short, as a killed recorder leaves it) is cut and reported in
 * `tornBytes`; a complete frame that fails its CRC or does not decode is corruption: JOURNAL_CORRUPT naming the
 * offset, never a misread record.
 */
export function readJournal(bytes: Uint8Array): ParsedJournal {
  if (bytes.length < PREAMBLE_SIZE) throw new SimError('JOURNAL_TRUNCATED', `${bytes.length} bytes: too short for a journal`);
  for (let i = 0; i < JOURNAL_MAGIC.length; i++) {
    if (bytes[i] !== JOURNAL_MAGIC[i]) throw new SimError('JOURNAL_BAD_MAGIC', 'not a hindsight journal (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== JOURNAL_VERSION) {
    throw new SimError('JOURNAL_BAD_VERSION', `journal format version ${version}, this hindsight reads version ${JOURNAL_VERSION}`);
  }
  const first = readFrame(bytes, view, PREAMBLE_SIZE);
  if (first.kind !== 'ok') {
    if (first.kind === 'torn') throw new SimError('JOURNAL_TRUNCATED', 'the journal ends inside its header');
    throw new SimError('JOURNAL_CORRUPT', `header at offset ${PREAMBLE_SIZE}: ${first.why}`);
  }
  let header: JournalHeader;
  try {
    header = packr.unpack(first.payload) as JournalHeader;
  } catch (e) {
    throw new SimError('JOURNAL_CORRUPT', `header at offset ${PREAMBLE_SIZE}: undecodable (${e instanceof Error ? e.message : String(e)})`);
  }
  const entries: JournalEntry[] = [];
  const exits: ExitIndexEntry[] = [];
  let offset = first.next;
  let closed = false;
  while (offset < bytes.length) {
    const f = readFrame(bytes, view, offset);
    if (f.kind === 'torn') break;
    const where = `record ${entries.length} at offset ${offset}`;
    if (f.kind === 'corrupt') throw new SimError('JOURNAL_CORRUPT', `${where}: ${f.why}`);
    if (closed) throw new SimError('JOURNAL_CORRUPT', `${where}: a record after the end record`);
    let scanned;
    try {
      scanned = scanRecord(f.payload);
    } catch (e) {
      throw new SimError('JOURNAL_CORRUPT', `${where}: undecodable payload (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!RECORD_TYPES.has(scanned.t)) throw new SimError('JOURNAL_CORRUPT', `${where}: not a journal record`);
    if ('seq' in scanned) exits.push({ seq: scanned.seq, icount: scanned.icount, reason: scanned.reason, index: entries.length, offset });
    if (scanned.t === 'end') closed = true;
    entries.push(new JournalEntry(entries.length, offset, f.payload));
    offset = f.next;
  }
  return { header, entries, exits, closed, tornBytes: bytes.length - offset, validLength: offset };
}

type FrameResult = { kind: 'ok'; payload: Uint8Array; next: number } | { kind: 'torn' } | { kind: 'corrupt'; why: string };

const RECORD_TYPES = new Set(['exit', 'answer', 'input', 'digest', 'end']);

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
