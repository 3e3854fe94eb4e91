import { COMPRESSED, CompressedRow } from './compressed.js';
import { extract, Fields, insert } from './formats.js';
import type { Extension, InsnRow } from './row.js';
import { ILLEGAL, ROWS, rowNamed } from './table.js';

/** A decoded instruction: the row it is (compressed forms expanded), its fields, its length and its bits. */
export interface Decoded extends Fields {
  row: InsnRow;
  len: 2 | 4;
  /** The instruction as fetched: 16 or 32 bits. */
  bits: number;
  /** The compressed encoding it was expanded from, if any. */
  compressed: CompressedRow | null;
}

/** Length of the instruction whose low halfword is `lo16`. Longer encodings (48-bit and up) are illegal here. */
export function insnLength(lo16: number): 2 | 4 {
  return (lo16 & 3) === 3 ? 4 : 2;
}

const popcount = (v: number): number => {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x &= x - 1) n++;
  return n;
};

/** 32-bit rows bucketed by opcode[6:2] and funct3, most specific first. */
const WIDE: InsnRow[][] = Array.from({ length: 256 }, () => []);
for (const row of ROWS) {
  if (row === ILLEGAL) continue;
  for (let f3 = 0; f3 < 8; f3++) {
    const probe = (row.match & 0x7f) | (f3 << 12);
    if (((probe ^ row.match) & row.mask & 0x707f) !== 0) continue;
    WIDE[((row.match >>> 2) & 31) | (f3 << 5)].push(row);
  }
}
for (const bucket of WIDE) bucket.sort((a, b) => popcount(b.mask) - popcount(a.mask));

/** Compressed rows bucketed by quadrant and funct3, in table order (more specific encodings come first there). */
const NARROW: CompressedRow[][] = Array.from({ length: 32 }, () => []);
for (const row of COMPRESSED) NARROW[(row.match & 3) | ((row.match >>> 13) << 2)].push(row);

function illegal(bits: number, len: 2 | 4): Decoded {
  return { row: ILLEGAL, rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, imm: bits | 0, len, bits, compressed: null };
}

/** Decodes a 32-bit word or a compressed halfword (by its low two bits). Unknown or reserved words are `illegal`. */
export function decode(bits: number): Decoded {
  if ((bits & 3) === 3) {
    const b = bits | 0;
    for (const row of WIDE[((b >>> 2) & 31) | (((b >>> 12) & 7) << 5)]) {
      if ((b & row.mask) === row.match) return { row, ...extract(row.format, b), len: 4, bits: b, compressed: null };
    }
    return illegal(b, 4);
  }
  const h = bits & 0xffff;
  for (const c of NARROW[(h & 3) | ((h >>> 13) << 2)]) {
    if ((h & c.mask) !== c.match) continue;
    const fields = c.expand(h);
    if (fields === null) return illegal(h, 2);
    return { row: c.base, ...fields, len: 2, bits: h, compressed: c };
  }
  return illegal(h, 2);
}

/**
 * decode() for a hart without some of the table's extensions: their words are illegal instructions, as they were
 * before the rows existed (a journal recorded on an older ISA replays on the machine it names).
 */
export function decodeWithout(bits: number, without: ReadonlySet<Extension>): Decoded {
  const d = decode(bits);
  return without.size !== 0 && without.has(d.row.ext) ? illegal(d.bits, d.len) : d;
}

/** The 32-bit word of an instruction (the assembler half of the table, for tests and the host side). */
export function encode(name: string, fields: Partial<Fields> = {}): number {
  return encodeRow(rowNamed(name), fields);
}

export function encodeRow(row: InsnRow, fields: Partial<Fields> = {}): number {
  if (row === ILLEGAL) return fields.imm ?? 0;
  // Bits the encoding fixes win over fields it does not have (sfence.vma's rd, say).
  return (insert(row.format, row.match, { rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, imm: 0, ...fields }) & ~row.mask) | row.match;
}

/**
 * The compressed halfword that expands to `row` with `fields`, or null when none does: what a trap's stval holds for
 * a compressed instruction the host side only knows by its expansion. A search over the free bits of the few
 * compressed forms of the row (at most 2^13 each): for traps, never for running code.
 */
export function compressedBits(row: InsnRow, fields: Partial<Fields>): number | null {
  const want = { rd: 0, rs1: 0, rs2: 0, rs3: 0, rm: 0, imm: 0, ...fields };
  for (const c of COMPRESSED) {
    if (c.base !== row) continue;
    const free = ~c.mask & 0xffff;
    // Every h with c.match on the fixed bits: count through the subsets of the free bits.
    for (let sub = free; ; sub = (sub - 1) & free) {
      const h = c.match | sub;
      const got = c.expand(h);
      if (got !== null && got.rd === want.rd && got.rs1 === want.rs1 && got.rs2 === want.rs2 && got.imm === want.imm) return h;
      if (sub === 0) break;
    }
  }
  return null;
}

/** The 32-bit word a decoded instruction stands for (its expansion, for a compressed one). */
export function expandedBits(d: Decoded): number {
  if (d.row === ILLEGAL) return d.bits;
  return (insert(d.row.format, d.row.match, d) & ~d.row.mask) | d.row.match;
}

/**
 * The H extension's transformed instruction for a trapping load or store (htinst): the standard form with the
 * address offset fields zeroed, bit 1 clear when the original was compressed; 0 for anything else.
 */
export function transformedInsn(d: Decoded): number {
  let std: number;
  if (d.row.kind === 'load') std = (d.row.match & 0x707f) | (d.rd << 7);
  else if (d.row.kind === 'store') std = (d.row.match & 0x707f) | (d.rs2 << 20);
  else return 0;
  return d.len === 2 ? std & ~2 : std;
}
