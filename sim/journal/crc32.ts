import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Guards every journal frame.
 *
 * Journal frames are small (an exit is ~80 bytes) and there are millions of them, so the JavaScript version is the
 * one that matters: slicing-by-8 (eight tables, eight bytes per step), several times faster than the byte-at-a-time
 * loop, and much cheaper than a call into zlib per frame.
 */
const T = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

function crc32Js(b: Uint8Array, start: number, end: number): number {
  const t = T;
  let c = -1;
  let i = start;
  for (const last = end - 8; i <= last; i += 8) {
    const a = c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + b[i + 4]] ^ t[512 + b[i + 5]] ^ t[256 + b[i + 6]] ^ t[b[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** zlib's native crc32 (Node >= 20.15) when present: the same function, faster on long inputs. */
const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

/** Below this length the table loop beats a call into zlib (and the subarray it needs). */
const NATIVE_FROM = 2048;

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (native !== undefined && end - start >= NATIVE_FROM) {
    return native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
  }
  return crc32Js(bytes, start, end);
}
