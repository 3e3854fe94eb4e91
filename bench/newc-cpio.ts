/**
 * A reader for the "newc" cpio format (the kernel's initramfs format, as usr/gen_init_cpio writes it): enough to
 * look inside a committed initramfs (its files, modes and mtimes) without unpacking it.
 */
export interface CpioEntry {
  name: string;
  mode: number;
  mtime: number;
  data: Uint8Array;
}

const MAGIC = '070701';
const HEADER = 110;
const TRAILER = 'TRAILER!!!';

/** The entries in archive order, up to the trailer. Throws on a bad magic or a truncated archive. */
export function readNewcCpio(bytes: Uint8Array): CpioEntry[] {
  const text = (at: number, n: number) => Buffer.from(bytes.buffer, bytes.byteOffset + at, n).toString('latin1');
  const hex = (at: number, field: number) => parseInt(text(at + 6 + field * 8, 8), 16);
  const align4 = (n: number) => (n + 3) & ~3;
  const entries: CpioEntry[] = [];
  for (let at = 0; ;) {
    if (at + HEADER > bytes.length) throw new Error(`cpio: truncated header at ${at}`);
    if (text(at, 6) !== MAGIC) throw new Error(`cpio: bad magic at ${at}`);
    const mode = hex(at, 1), mtime = hex(at, 5), size = hex(at, 6), nameSize = hex(at, 11);
    const name = text(at + HEADER, nameSize - 1);
    const dataAt = align4(at + HEADER + nameSize);
    if (dataAt + size > bytes.length) throw new Error(`cpio: truncated data of ${name}`);
    if (name === TRAILER) return entries;
    entries.push({ name, mode, mtime, data: bytes.subarray(dataAt, dataAt + size) });
    at = align4(dataAt + size);
  }
}
