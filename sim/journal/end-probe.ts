import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeAt } from './codec.js';
import { crc32 } from './crc32.js';
import { FRAME_HEADER_SIZE, PREAMBLE_SIZE } from './format.js';

/** The end record is a small msgpack map: it lies in the file's last few hundred bytes. */
const TAIL = 4096;

export interface ProbedEnd {
  icount: number;
  exits: number;
  reason: string;
}

/**
 * The end record of a closed journal, read from the file's tail without walking the records before it: the last
 * frame whose length words agree, whose CRC holds and which ends exactly at the end of the file, if it decodes as an
 * end record; else null (a journal still being written, or cut short). It says how long the run was and how many
 * exits it took, before a walk of a big journal has got there: a hint to show while the walk runs, which the walk
 * confirms or refutes (its order checks are not run here).
 */
export function probeEnd(path: string): ProbedEnd | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(PREAMBLE_SIZE, size - TAIL);
    if (size - from < FRAME_HEADER_SIZE) return null;
    const buf = new Uint8Array(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) return null;
      got += n;
    }
    const view = new DataView(buf.buffer);
    // From the nearest candidate back: the frame must end at the end of the file.
    for (let h = buf.length - FRAME_HEADER_SIZE - 1; h >= 0; h--) {
      const len = view.getUint32(h, true);
      if (h + FRAME_HEADER_SIZE + len !== buf.length || (~len >>> 0) !== view.getUint32(h + 4, true)) continue;
      const start = h + FRAME_HEADER_SIZE;
      if (crc32(buf, start, start + len) !== view.getUint32(h + 8, true)) continue;
      try {
        const rec = decodeAt(buf, start, len);
        return rec.t === 'end' ? { icount: rec.icount, exits: rec.exits, reason: rec.reason } : null;
      } catch {
        return null;
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
