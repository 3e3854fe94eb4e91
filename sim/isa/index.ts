/** The ISA table and what is derived from it: the decoder, the compressed expansion, the disassembler. */
export { ROWS, ILLEGAL, rowNamed } from './table.js';
export { COMPRESSED } from './compressed.js';
export type { CompressedRow } from './compressed.js';
export { compressedBits, decode, decodeWithout, encode, encodeRow, expandedBits, insnLength, transformedInsn } from './decoder.js';
export type { Decoded } from './decoder.js';
export { ABI_NAMES, CSR_NAMES, disassemble, formatDecoded } from './disasm.js';
export { compilable, endsBlock } from './row.js';
export type { InsnRow, Kind, Extension } from './row.js';
export type { Fields, Format } from './formats.js';
export type { Sem, RuntimeFn } from './sem.js';
