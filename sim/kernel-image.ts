/**
 * The RISC-V Linux kernel `Image` format (Documentation/riscv/boot-image-header.rst): a flat binary whose first
 * 64 bytes are a header, loaded at RAM start + text_offset and entered at its first byte with a0 = hart id and
 * a1 = the device tree, exactly as OpenSBI (or QEMU's -kernel) hands it over.
 *
 *   0x00 code0/code1   u32 x2   executable code (a jump over the header)
 *   0x08 text_offset   u64      where in RAM to load it (0x200000 on rv64)
 *   0x10 image_size    u64      bytes the kernel occupies once running, bss included
 *   0x18 flags         u64      bit 0: endianness (0 = little)
 *   0x20 version       u32      header version (major << 16 | minor), 0.2 on Linux 5.x/6.x
 *   0x24 res1          u32
 *   0x28 res2          u64
 *   0x30 magic         u64      "RISCV\0\0\0" (deprecated, still written)
 *   0x38 magic2        u32      "RSC\x05"
 *   0x3c res3          u32
 */
import { SimError } from './errors.js';

export const IMAGE_HEADER_SIZE = 64;
const MAGIC2 = 0x0543_5352; // "RSC\x05" little-endian

export interface LinuxImage {
  /** Offset from the start of RAM the image must be loaded at. */
  readonly textOffset: number;
  /** Bytes the kernel occupies once running (its bss included): nothing else may be placed there. */
  readonly imageSize: number;
  readonly version: { readonly major: number; readonly minor: number };
}

/** Whether these bytes start with a RISC-V Linux Image header (magic2 at 0x38). */
export function isLinuxImage(bytes: Uint8Array): boolean {
  if (bytes.length < IMAGE_HEADER_SIZE) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0x38, true) === MAGIC2;
}

/** Parses the header of an Image; throws IMAGE_BAD_HEADER naming the field that is wrong. */
export function parseLinuxImage(bytes: Uint8Array): LinuxImage {
  if (!isLinuxImage(bytes)) {
    throw new SimError('IMAGE_BAD_HEADER', `not a RISC-V Linux Image: no "RSC\\x05" magic at offset 0x38 (${bytes.length} bytes)`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (off: number, field: string): number => {
    const hi = v.getUint32(off + 4, true), lo = v.getUint32(off, true);
    if (hi >= 0x20_0000) throw new SimError('IMAGE_BAD_HEADER', `${field} does not fit in 2^53`);
    return hi * 0x1_0000_0000 + lo;
  };
  const textOffset = u64(0x08, 'text_offset');
  const imageSize = u64(0x10, 'image_size');
  const flags = u64(0x18, 'flags');
  if ((flags & 1) !== 0) throw new SimError('IMAGE_BAD_HEADER', 'flags bit 0 says big-endian; the machine is little-endian');
  if (textOffset % 0x1000 !== 0) throw new SimError('IMAGE_BAD_HEADER', `text_offset 0x${textOffset.toString(16)} is not page aligned`);
  if (imageSize < bytes.length) {
    throw new SimError('IMAGE_BAD_HEADER', `image_size 0x${imageSize.toString(16)} is smaller than the file (0x${bytes.length.toString(16)} bytes)`);
  }
  const version = v.getUint32(0x20, true);
  return { textOffset, imageSize, version: { major: version >>> 16, minor: version & 0xffff } };
}
