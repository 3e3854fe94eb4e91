/**
 * ELF64 loader for RISC-V guest images.
 *
 * `parseElf` validates an image and describes it (entry, PT_LOAD segments, symbols) without copying anything;
 * `loadElfIntoRam` copies the PT_LOAD segments into guest RAM at their physical addresses (p_paddr), as QEMU's
 * loader does for `-kernel`, and zero-fills each segment's bss tail (p_memsz beyond p_filesz).
 *
 * Accepted images:
 * - ELFCLASS64, little-endian, EV_CURRENT, e_machine EM_RISCV (243).
 * - e_type ET_EXEC, or ET_DYN when it can be loaded exactly where it was linked: no PT_INTERP (nothing here would
 *   run a dynamic loader) and its lowest PT_LOAD is not at address 0 (a PIE linked at 0 expects to be relocated,
 *   and this loader never relocates). Such an ET_DYN is what `-static-pie` / OpenSBI-style firmware linked at its
 *   run address looks like; it is loaded as-is, like an ET_EXEC.
 * - Every address and size must be a safe integer (< 2^53) so it can be carried as a JS number; anything bigger is
 *   ELF_ADDRESS_TOO_LARGE, naming the field. (Guest-physical addresses of the QEMU `virt` map fit easily.)
 *
 * Symbols come from `.symtab` when the image has one (it is optional: a stripped image has none): FUNC, OBJECT and
 * NOTYPE symbols, local and global, that are defined (not SHN_UNDEF) and named. RISC-V mapping symbols (`$x`,
 * `$d`, ...) are left out. When a name occurs more than once (two files with the same `static` function), a global
 * definition wins over a local one, otherwise the first in table order wins. Symbols whose value does not fit in
 * 2^53 are left out (they cannot be guest addresses we load).
 */
import { SimError } from './errors.js';

export const EM_RISCV = 243;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_INTERP = 3;
/** p_flags bits. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
/** e_flags bits for RISC-V (psABI). */
export const EF_RISCV_RVC = 0x1;
export const EF_RISCV_FLOAT_ABI_MASK = 0x6;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;

export interface ElfSegment {
  /** Index of this segment's program header in the program header table (used in error messages). */
  readonly index: number;
  /** Guest-physical load address (p_paddr): where loadElfIntoRam puts it. */
  readonly paddr: number;
  /** Link-time virtual address (p_vaddr); equal to paddr for images linked to run with translation off. */
  readonly vaddr: number;
  /** The segment's file contents (p_filesz bytes), a view into the image's bytes: not a copy. */
  readonly fileBytes: Uint8Array;
  /** Size in memory (p_memsz >= p_filesz); the tail beyond fileBytes is zero-filled on load. */
  readonly memSize: number;
  /** p_flags: PF_R | PF_W | PF_X. */
  readonly flags: number;
}

export interface ElfImage {
  /** e_type: ET_EXEC or ET_DYN (see the module comment for which ET_DYN images are accepted). */
  readonly type: typeof ET_EXEC | typeof ET_DYN;
  /** e_entry, as linked. */
  readonly entry: number;
  /** e_flags (EF_RISCV_RVC, float ABI, ...). */
  readonly eFlags: number;
  /** The PT_LOAD segments, in program header order. */
  readonly segments: readonly ElfSegment[];
  /** Symbol name -> value, from .symtab (empty when the image is stripped). */
  readonly symbols: ReadonlyMap<string, number>;
}

/** Guest RAM as the loader needs it: the guest-physical base, the size in bytes, and the backing bytes. */
export interface ElfLoadTarget {
  readonly base: number;
  readonly size: number;
  readonly bytes: Uint8Array;
}

/** What loadElfIntoRam wrote: the guest-physical span [start, end) covered by the loaded segments. */
export interface ElfLoadResult {
  readonly start: number;
  readonly end: number;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** Reads fields of one little-endian ELF64 structure, turning u64 fields into safe numbers or a named error. */
class Reader {
  readonly #view: DataView;
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(off: number): number {
    return this.#view.getUint8(off);
  }
  u16(off: number): number {
    return this.#view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.#view.getUint32(off, true);
  }
  /** A u64 field that must fit in a JS number; `field` names it in the error. */
  u64(off: number, field: string): number {
    const v = this.#view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SimError('ELF_ADDRESS_TOO_LARGE', `${field} = ${hex(v)} does not fit in 2^53 (not a loadable guest address or size)`);
    }
    return Number(v);
  }
  /** A raw u64 field, for values that are allowed to be large (symbol values). */
  u64Big(off: number): bigint {
    return this.#view.getBigUint64(off, true);
  }
}

/** Parses and validates an ELF64 RISC-V image. Throws SimError naming the offending field on bad input. */
export function parseElf(bytes: Uint8Array): ElfImage {
  if (bytes.length < EHDR_SIZE) {
    throw new SimError('ELF_TOO_SHORT', `image is ${bytes.length} bytes, smaller than the 64-byte ELF64 header`);
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new SimError('ELF_BAD_MAGIC', `e_ident[EI_MAG0..3] is ${got}, expected 7f 45 4c 46 ("\\x7fELF")`);
  }
  const r = new Reader(bytes);
  const eiClass = r.u8(4);
  if (eiClass !== 2) {
    const what = eiClass === 1 ? 'ELFCLASS32' : `unknown class ${eiClass}`;
    throw new SimError('ELF_BAD_CLASS', `e_ident[EI_CLASS] is ${what}, expected ELFCLASS64 (2)`);
  }
  const eiData = r.u8(5);
  if (eiData !== 1) {
    const what = eiData === 2 ? 'ELFDATA2MSB (big-endian)' : `unknown encoding ${eiData}`;
    throw new SimError('ELF_BAD_ENDIAN', `e_ident[EI_DATA] is ${what}, expected ELFDATA2LSB (1, little-endian)`);
  }
  if (r.u8(6) !== 1) {
    throw new SimError('ELF_BAD_VERSION', `e_ident[EI_VERSION] is ${r.u8(6)}, expected EV_CURRENT (1)`);
  }
  const eType = r.u16(16);
  const eMachine = r.u16(18);
  if (eMachine !== EM_RISCV) {
    throw new SimError('ELF_BAD_MACHINE', `e_machine is ${eMachine}, expected EM_RISCV (${EM_RISCV})`);
  }
  if (eType !== ET_EXEC && eType !== ET_DYN) {
    const names: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL (an object file: link it first)', 4: 'ET_CORE' };
    throw new SimError('ELF_BAD_TYPE', `e_type is ${names[eType] ?? eType}, expected ET_EXEC (2) or a fixed-address ET_DYN (3)`);
  }
  if (r.u32(20) !== 1) {
    throw new SimError('ELF_BAD_VERSION', `e_version is ${r.u32(20)}, expected EV_CURRENT (1)`);
  }
  const entry = r.u64(24, 'e_entry');
  const phoff = r.u64(32, 'e_phoff');
  const shoff = r.u64(40, 'e_shoff');
  const eFlags = r.u32(48);
  const ehsize = r.u16(52);
  const phentsize = r.u16(54);
  const phnum = r.u16(56);
  const shentsize = r.u16(58);
  const shnum = r.u16(60);
  if (ehsize < EHDR_SIZE) {
    throw new SimError('ELF_BAD_PHDR', `e_ehsize is ${ehsize}, expected at least ${EHDR_SIZE}`);
  }
  if (phnum === 0xffff) {
    throw new SimError('ELF_BAD_PHDR', 'e_phnum is PN_XNUM (0xffff): extended program header numbering is not supported');
  }
  if (phnum > 0 && phentsize !== PHDR_SIZE) {
    throw new SimError('ELF_BAD_PHDR', `e_phentsize is ${phentsize}, expected ${PHDR_SIZE} for ELF64`);
  }
  if (phnum > 0 && phoff + phnum * PHDR_SIZE > bytes.length) {
    throw new SimError(
      'ELF_BAD_PHDR',
      `program header table (e_phoff ${hex(phoff)}, e_phnum ${phnum}) ends at ${hex(phoff + phnum * PHDR_SIZE)}, past the end of the ${bytes.length}-byte image`,
    );
  }

  const segments: ElfSegment[] = [];
  let hasInterp = false;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    const pType = r.u32(at);
    if (pType === PT_INTERP) hasInterp = true;
    if (pType !== PT_LOAD) continue;
    const field = (name: string): string => `program header ${i} ${name}`;
    const flags = r.u32(at + 4);
    const offset = r.u64(at + 8, field('p_offset'));
    const vaddr = r.u64(at + 16, field('p_vaddr'));
    const paddr = r.u64(at + 24, field('p_paddr'));
    const filesz = r.u64(at + 32, field('p_filesz'));
    const memsz = r.u64(at + 40, field('p_memsz'));
    if (filesz > memsz) {
      throw new SimError('ELF_BAD_PHDR', `${field('p_filesz')} (${hex(filesz)}) is larger than p_memsz (${hex(memsz)})`);
    }
    if (offset + filesz > bytes.length) {
      throw new SimError(
        'ELF_BAD_PHDR',
        `${field('p_offset')} + p_filesz (${hex(offset)} + ${hex(filesz)}) is past the end of the ${bytes.length}-byte image`,
      );
    }
    if (paddr + memsz > Number.MAX_SAFE_INTEGER || vaddr + memsz > Number.MAX_SAFE_INTEGER) {
      throw new SimError('ELF_ADDRESS_TOO_LARGE', `${field('p_paddr/p_vaddr')} + p_memsz does not fit in 2^53`);
    }
    segments.push({ index: i, paddr, vaddr, fileBytes: bytes.subarray(offset, offset + filesz), memSize: memsz, flags });
  }
  if (segments.length === 0) {
    throw new SimError('ELF_NO_LOAD_SEGMENTS', `none of the ${phnum} program headers is PT_LOAD: nothing to load`);
  }
  checkOverlaps(segments);
  if (eType === ET_DYN) {
    if (hasInterp) {
      throw new SimError('ELF_BAD_TYPE', 'e_type is ET_DYN with a PT_INTERP (a dynamically linked program): only fixed-address images can be loaded');
    }
    const lowest = Math.min(...segments.map((s) => s.vaddr));
    if (lowest === 0) {
      throw new SimError(
        'ELF_BAD_TYPE',
        'e_type is ET_DYN linked at address 0 (position-independent, needs relocation, which this loader does not do): link at the load address, e.g. -Ttext=0x80200000',
      );
    }
  }

  const symbols = shnum > 0 && shoff !== 0 ? readSymbols(bytes, r, shoff, shentsize, shnum) : new Map<string, number>();
  return { type: eType === ET_EXEC ? ET_EXEC : ET_DYN, entry, eFlags, segments, symbols };
}

/** Two PT_LOAD segments that overlap in guest-physical memory would make the loaded bytes depend on load order. */
function checkOverlaps(segments: readonly ElfSegment[]): void {
  const sorted = segments.filter((s) => s.memSize > 0).sort((a, b) => a.paddr - b.paddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.paddr < prev.paddr + prev.memSize) {
      throw new SimError(
        'ELF_BAD_PHDR',
        `program headers ${prev.index} [${hex(prev.paddr)}, ${hex(prev.paddr + prev.memSize)}) and ${cur.index} [${hex(cur.paddr)}, ${hex(cur.paddr + cur.memSize)}) overlap in p_paddr`,
      );
    }
  }
}

/** Reads the NUL-terminated string at `off` inside a string table [tabStart, tabEnd). */
function cString(bytes: Uint8Array, tabStart: number, tabEnd: number, off: number, what: string): string {
  const start = tabStart + off;
  if (start >= tabEnd) {
    throw new SimError('ELF_BAD_SHDR', `${what}: name offset ${hex(off)} is outside its string table`);
  }
  const end = bytes.indexOf(0, start);
  if (end < 0 || end >= tabEnd) {
    throw new SimError('ELF_BAD_SHDR', `${what}: name at offset ${hex(off)} is not NUL-terminated inside its string table`);
  }
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function readSymbols(bytes: Uint8Array, r: Reader, shoff: number, shentsize: number, shnum: number): Map<string, number> {
  if (shentsize !== SHDR_SIZE) {
    throw new SimError('ELF_BAD_SHDR', `e_shentsize is ${shentsize}, expected ${SHDR_SIZE} for ELF64`);
  }
  if (shoff + shnum * SHDR_SIZE > bytes.length) {
    throw new SimError(
      'ELF_BAD_SHDR',
      `section header table (e_shoff ${hex(shoff)}, e_shnum ${shnum}) ends past the end of the ${bytes.length}-byte image`,
    );
  }
  const section = (i: number): { type: number; offset: number; size: number; link: number; entsize: number } => {
    const at = shoff + i * SHDR_SIZE;
    const type = r.u32(at + 4);
    const offset = r.u64(at + 24, `section header ${i} sh_offset`);
    const size = r.u64(at + 32, `section header ${i} sh_size`);
    return { type, offset, size, link: r.u32(at + 40), entsize: r.u64(at + 56, `section header ${i} sh_entsize`) };
  };
  const symbols = new Map<string, number>();
  const binding = new Map<string, number>();
  for (let i = 0; i < shnum; i++) {
    const symtab = section(i);
    if (symtab.type !== SHT_SYMTAB) continue;
    const what = `section header ${i} (SHT_SYMTAB)`;
    if (symtab.entsize !== SYM_SIZE) {
      throw new SimError('ELF_BAD_SHDR', `${what} sh_entsize is ${symtab.entsize}, expected ${SYM_SIZE}`);
    }
    if (symtab.offset + symtab.size > bytes.length) {
      throw new SimError('ELF_BAD_SHDR', `${what} sh_offset + sh_size is past the end of the image`);
    }
    if (symtab.link >= shnum) {
      throw new SimError('ELF_BAD_SHDR', `${what} sh_link ${symtab.link} is not a section index (e_shnum ${shnum})`);
    }
    const strtab = section(symtab.link);
    if (strtab.type !== SHT_STRTAB || strtab.offset + strtab.size > bytes.length) {
      throw new SimError('ELF_BAD_SHDR', `${what} sh_link ${symtab.link} is not a string table inside the image`);
    }
    const count = Math.floor(symtab.size / SYM_SIZE);
    for (let k = 1; k < count; k++) {
      const at = symtab.offset + k * SYM_SIZE;
      const info = r.u8(at + 4);
      const type = info & 0xf;
      const bind = info >> 4;
      const shndx = r.u16(at + 6);
      if (type !== STT_FUNC && type !== STT_OBJECT && type !== STT_NOTYPE) continue;
      if (bind !== STB_LOCAL && bind !== STB_GLOBAL && bind !== STB_WEAK) continue;
      if (shndx === SHN_UNDEF || (shndx >= SHN_LORESERVE && shndx !== 0xfff1 /* SHN_ABS */)) continue;
      const nameOff = r.u32(at);
      if (nameOff === 0) continue;
      const name = cString(bytes, strtab.offset, strtab.offset + strtab.size, nameOff, `${what} symbol ${k}`);
      if (name.startsWith('$')) continue; // RISC-V mapping symbols ($x, $d, $x<isa>)
      const value = r.u64Big(at + 8);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      const previous = binding.get(name);
      const isGlobal = bind !== STB_LOCAL;
      if (previous === undefined || (isGlobal && previous === STB_LOCAL)) {
        symbols.set(name, Number(value));
        binding.set(name, bind);
      }
    }
  }
  return symbols;
}

/**
 * Copies every PT_LOAD segment of `image` into `ram` at its p_paddr and zero-fills the rest of its p_memsz.
 * Throws ELF_SEGMENT_OUTSIDE_RAM (naming the segment and its range) before writing anything if any segment does
 * not lie entirely inside [ram.base, ram.base + ram.size).
 */
export function loadElfIntoRam(image: ElfImage, ram: ElfLoadTarget): ElfLoadResult {
  if (ram.bytes.length < ram.size) {
    throw new SimError('RAM_OUT_OF_RANGE', `RAM backing is ${ram.bytes.length} bytes, smaller than its declared size ${hex(ram.size)}`);
  }
  const ramEnd = ram.base + ram.size;
  for (const seg of image.segments) {
    if (seg.paddr < ram.base || seg.paddr + seg.memSize > ramEnd) {
      throw new SimError(
        'ELF_SEGMENT_OUTSIDE_RAM',
        `segment ${seg.index} (PT_LOAD, p_paddr [${hex(seg.paddr)}, ${hex(seg.paddr + seg.memSize)})) is outside RAM [${hex(ram.base)}, ${hex(ramEnd)})`,
      );
    }
  }
  let start = Number.MAX_SAFE_INTEGER;
  let end = 0;
  for (const seg of image.segments) {
    const off = seg.paddr - ram.base;
    ram.bytes.set(seg.fileBytes, off);
    ram.bytes.fill(0, off + seg.fileBytes.length, off + seg.memSize);
    if (seg.memSize > 0) {
      start = Math.min(start, seg.paddr);
      end = Math.max(end, seg.paddr + seg.memSize);
    }
  }
  if (end === 0) start = end = image.segments[0]!.paddr;
  return { start, end };
}
