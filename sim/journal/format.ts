import { Packr } from 'msgpackr';
import { encodeRecord } from './codec.js';
import { crc32 } from './crc32.js';

/**
 * The journal file (see docs/journal.md):
 *
 *   0   8 bytes  magic "HSJRNL\r\n" (the CR LF catches text-mode transfers, as PNG's signature does)
 *   8   u32 LE   format version
 *  12   frame    the header
 *  ..   frame*   records, appended in order
 *
 * A frame is u32 LE payload length, u32 LE its bitwise complement, u32 LE CRC-32 of the payload, then the payload:
 * one msgpack value. The complement tells a damaged length (corruption) from a frame that runs past the end of the
 * file because the recorder was killed while writing it (a torn tail: cut, never misread). A complete frame whose
 * CRC does not match is corruption, reported with its offset.
 */
export const JOURNAL_MAGIC = Uint8Array.from([0x48, 0x53, 0x4a, 0x52, 0x4e, 0x4c, 0x0d, 0x0a]);
export const JOURNAL_VERSION = 2;
export const PREAMBLE_SIZE = 12;
export const FRAME_HEADER_SIZE = 12;
/** No single frame is larger than this (an image can be big: a Linux kernel is tens of MiB). */
export const MAX_FRAME_SIZE = 512 * 1024 * 1024;

/** The header, the records and the inputs: their types come from their schemas (schema.ts). */
export type { JournalHeader, JournalInput, JournalRecord } from './schema.js';
import type { JournalRecord } from './schema.js';

/** One codec for every frame: bigints stay bigints, byte arrays stay byte arrays, maps stay maps. */
export const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

/** A frame around a payload. */
export function frame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, ~payload.length >>> 0, true);
  view.setUint32(8, crc32(payload), true);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

/** The header's frame: its payload is plain msgpack. */
export function encodeFrame(value: unknown): Uint8Array {
  return frame(packr.pack(value));
}

/** A record's frame: its payload is a tagged record (codec.ts). */
export function encodeRecordFrame(record: JournalRecord): Uint8Array {
  return frame(encodeRecord(record));
}

export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PREAMBLE_SIZE);
  out.set(JOURNAL_MAGIC, 0);
  new DataView(out.buffer).setUint32(8, JOURNAL_VERSION, true);
  return out;
}
