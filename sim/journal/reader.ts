import { SimError } from '../errors.js';
import { decodeRecord } from './codec.js';
import { crc32 } from './crc32.js';
import {
  FRAME_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_VERSION, JournalHeader, JournalRecord, MAX_FRAME_SIZE, packr,
  PREAMBLE_SIZE,
} from './format.js';

export interface JournalEntry {
  /** Position in the record sequence (0 = first record after the header). */
  index: number;
  /** Byte offset of the record's frame in the file. */
  offset: number;
  record: JournalRecord;
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
  const first = readFrame(bytes, view, PREAMBLE_SIZE, (p) => packr.unpack(p));
  if (first.kind !== 'ok') {
    if (first.kind === 'torn') throw new SimError('JOURNAL_TRUNCATED', 'the journal ends inside its header');
    throw new SimError('JOURNAL_CORRUPT', `header at offset ${PREAMBLE_SIZE}: ${first.why}`);
  }
  const header = first.value as JournalHeader;
  const entries: JournalEntry[] = [];
  const exits: ExitIndexEntry[] = [];
  let offset = first.next;
  let closed = false;
  while (offset < bytes.length) {
    const f = readFrame(bytes, view, offset, decodeRecord);
    if (f.kind === 'torn') break;
    if (f.kind === 'corrupt') throw new SimError('JOURNAL_CORRUPT', `record ${entries.length} at offset ${offset}: ${f.why}`);
    const record = f.value as JournalRecord;
    if (closed) throw new SimError('JOURNAL_CORRUPT', `record ${entries.length} at offset ${offset}: a record after the end record`);
    if (!isRecord(record)) throw new SimError('JOURNAL_CORRUPT', `record ${entries.length} at offset ${offset}: not a journal record`);
    if (record.t === 'exit') {
      exits.push({ seq: record.exit.seq, icount: record.exit.icount, reason: record.exit.reason, index: entries.length, offset });
    }
    if (record.t === 'end') closed = true;
    entries.push({ index: entries.length, offset, record });
    offset = f.next;
  }
  return { header, entries, exits, closed, tornBytes: bytes.length - offset, validLength: offset };
}

type FrameResult = { kind: 'ok'; value: unknown; next: number } | { kind: 'torn' } | { kind: 'corrupt'; why: string };

function readFrame(bytes: Uint8Array, view: DataView, offset: number, decode: (payload: Uint8Array) => unknown): FrameResult {
  if (offset + FRAME_HEADER_SIZE > bytes.length) return { kind: 'torn' };
  const len = view.getUint32(offset, true);
  const check = view.getUint32(offset + 4, true);
  const crc = view.getUint32(offset + 8, true);
  if ((~len >>> 0) !== check) return { kind: 'corrupt', why: 'damaged frame length' };
  if (len > MAX_FRAME_SIZE) return { kind: 'corrupt', why: `frame length ${len} is beyond any record` };
  const start = offset + FRAME_HEADER_SIZE;
  if (start + len > bytes.length) return { kind: 'torn' };
  if (crc32(bytes, start, start + len) !== crc) return { kind: 'corrupt', why: 'checksum mismatch' };
  try {
    return { kind: 'ok', value: decode(bytes.subarray(start, start + len)), next: start + len };
  } catch (e) {
    return { kind: 'corrupt', why: `undecodable payload (${e instanceof Error ? e.message : String(e)})` };
  }
}

function isRecord(r: unknown): r is JournalRecord {
  if (typeof r !== 'object' || r === null) return false;
  const t = (r as { t?: unknown }).t;
  switch (t) {
    case 'exit': return typeof (r as { exit?: { seq?: unknown } }).exit?.seq === 'number';
    case 'answer': return typeof (r as { answer?: { seq?: unknown } }).answer?.seq === 'number';
    case 'input': return typeof (r as { icount?: unknown }).icount === 'number' && typeof (r as { input?: unknown }).input === 'object';
    case 'digest': case 'end': return typeof (r as { digest?: unknown }).digest === 'string';
    default: return false;
  }
}
