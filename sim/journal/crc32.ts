import * as zlib from 'node:zlib';

/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Guards every journal frame. */
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32Js(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** zlib's native crc32 (Node >= 20.15) when present: the same function, several times faster. */
const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

/** Below this length the table loop beats a call into zlib (and the subarray it needs). */
const NATIVE_FROM = 512;

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (native !== undefined && end - start >= NATIVE_FROM) {
    return native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
  }
  return crc32Js(bytes, start, end);
}

