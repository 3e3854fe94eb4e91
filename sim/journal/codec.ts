import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import { JournalRecord, packr } from './format.js';
import { recordSchema } from './schema.js';
import { SchemaError } from '../schema/schema.js';

/**
 * Record payloads: a tag byte, then the record. The records an exit-heavy guest produces by the million (MMIO,
 * SBI and INTR exits; MMIO and SBI answers) have compact binary layouts, written straight into the writer's batch
 * buffer; every other record is msgpack (tag 0). `v` is an unsigned LEB128 varint (7 bits a byte, low first, the
 * minimal form; 64-bit values take up to 10 bytes, seq/icount/phys_addr are integers below 2^53):
 *
 *   1 exit MMIO   v seq, v icount, v pc, v phys_addr, u8 len, u8 is_write, u8[len] data
 *   2 exit SBI    v seq, v icount, v pc, v eid, v fid, 6 × v args
 *   3 exit INTR   v seq, v icount, v pc, u8 cause (0 budget, 1 immediate_exit, 2 halt)
 *   4 answer MMIO v seq, u8 n, u8[n] data (n = 0: no data, the answer to a write)
 *   5 answer SBI  v seq, 2 × v ret
 *
 * Most of these values are small (SBI arguments are mostly 0), so an exit and its answer take ~30 bytes instead of
 * the ~100 of fixed-width fields: less to checksum, write and read. The hot paths never convert a BigInt to a
 * Number (a runtime call of ~50 ns each): 64-bit fields go through a BigUint64Array that shares its memory with a
 * Uint32Array, which costs a few nanoseconds either way.
 */
export const TAG_MSGPACK = 0, TAG_EXIT_MMIO = 1, TAG_EXIT_SBI = 2, TAG_EXIT_INTR = 3, TAG_ANSWER_MMIO = 4, TAG_ANSWER_SBI = 5;
/** No fixed-layout record is longer than this. */
export const MAX_FIXED_RECORD = 128;
export const INTR_CAUSES = ['budget', 'immediate_exit', 'halt'] as const;
export const INTR_BUDGET = 0, INTR_IMMEDIATE_EXIT = 1, INTR_HALT = 2;

// ---- 64-bit fields and varints ----

const U64 = new BigUint64Array(1);
const U32 = new Uint32Array(U64.buffer);
const LITTLE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1, HI = LITTLE ? 1 : 0;
const TWO_32 = 4294967296;

/** Writes the varint of hi·2^32 + lo (both u32) at p; returns the position after it. */
function putVar(b: Uint8Array, p: number, lo: number, hi: number): number {
  while (hi !== 0) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  b[p++] = lo;
  return p;
}

/** A u32 as a varint, unrolled (seq, icount and addresses take 3 to 5 bytes; a loop costs twice as much). */
function putU32(b: Uint8Array, p: number, n: number): number {
  if (n < 0x80) {
    b[p] = n;
    return p + 1;
  }
  // A store into a Uint8Array keeps the low 8 bits: `n | 0x80` is (n & 0x7f) | 0x80.
  b[p] = n | 0x80;
  if (n < 0x4000) {
    b[p + 1] = n >>> 7;
    return p + 2;
  }
  b[p + 1] = (n >>> 7) | 0x80;
  if (n < 0x20_0000) {
    b[p + 2] = n >>> 14;
    return p + 3;
  }
  b[p + 2] = (n >>> 14) | 0x80;
  if (n < 0x1000_0000) {
    b[p + 3] = n >>> 21;
    return p + 4;
  }
  b[p + 3] = (n >>> 21) | 0x80;
  b[p + 4] = n >>> 28;
  return p + 5;
}

/** A number (a non-negative integer below 2^53) as a varint. */
function putNum(b: Uint8Array, p: number, n: number): number {
  if (n <= 0xffff_ffff) return putU32(b, p, n);
  const lo = n >>> 0;
  return putVar(b, p, lo, (n - lo) / TWO_32);
}

/** A bigint, mod 2^64 (what BigInt.asUintN(64, v) gives), as a varint. */
function putBig(b: Uint8Array, p: number, v: bigint): number {
  U64[0] = v;
  const hi = U32[HI];
  return hi === 0 ? putU32(b, p, U32[LO]) : putVar(b, p, U32[LO], hi);
}

/**
 * Varint reading: readVar() decodes the varint at `p` (which must end before `end`) into varLo/varHi and returns
 * the position after it, or -1 when it runs past `end`, past 64 bits, or is not in its shortest form (a last byte
 * of 0 after others: the writer never makes one, and a reader that took it would accept two encodings of a value).
 */
export let varLo = 0, varHi = 0;

export function readVar(b: Uint8Array, p: number, end: number): number {
  const first = b[p];
  if (first < 0x80 && p < end) {
    varLo = first;
    varHi = 0;
    return p + 1;
  }
  let lo = 0, hi = 0, shift = 0;
  for (;;) {
    if (p >= end) return -1;
    const x = b[p++];
    const bits = x & 0x7f;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else if (shift === 63) {
      if (bits > 1) return -1;
      hi |= bits << 31;
    } else hi |= bits << (shift - 32);
    if (x < 0x80) {
      if (x === 0 && shift > 0) return -1;
      break;
    }
    shift += 7;
    if (shift > 63) return -1;
  }
  varLo = lo >>> 0;
  varHi = hi >>> 0;
  return p;
}

/** The varint readVar() read last, as a number (exact below 2^53). */
export function varNum(): number {
  return varHi * TWO_32 + varLo;
}

/** BigInts are immutable values: the small ones (most SBI arguments and return values) are made once. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, i) => BigInt(i));

function varBig(): bigint {
  if (varHi === 0) return varLo < 256 ? SMALL_BIGINTS[varLo] : BigInt(varLo);
  U32[LO] = varLo;
  U32[HI] = varHi;
  return U64[0];
}

/** A DataView over exactly the bytes of `b`. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

// ---- encoding ----

/** The 64-bit value held as (lo, hi) halves at w[i], w[i + 1], as a varint. */
function putWords(b: Uint8Array, p: number, w: Int32Array, i: number): number {
  const hi = w[i + 1];
  return hi === 0 ? putU32(b, p, w[i] >>> 0) : putVar(b, p, w[i] >>> 0, hi >>> 0);
}

/**
 * Writes an exit exactly as the vCPU returns it (so its shape is known: the keys of its reason, integer seq,
 * icount and address, 64-bit fields in range, MMIO data of `len` bytes) at `at`; returns the bytes written, or 0
 * when its reason has no fixed layout. MAX_FIXED_RECORD bytes must be free at `at`.
 *
 * `words`, when given, holds the exit's 64-bit fields as 32-bit halves (Vcpu.exitWordsOf): the same bytes come
 * out without reading a BigInt.
 */
export function encodeVcpuExit(b: Uint8Array, at: number, e: VcpuExit, words: Int32Array | null = null): number {
  let p: number;
  switch (e.reason) {
    case 'RISCV_SBI': {
      b[at] = TAG_EXIT_SBI;
      p = putNum(b, putNum(b, at + 1, e.seq), e.icount);
      if (words !== null) {
        p = putNum(b, putNum(b, putWords(b, p, words, 0), e.extensionId), e.functionId);
        for (let i = 2; i < 14; i += 2) p = putWords(b, p, words, i);
        return p - at;
      }
      p = putNum(b, putNum(b, putBig(b, p, e.pc), e.extensionId), e.functionId);
      const a = e.args;
      p = putBig(b, putBig(b, putBig(b, p, a[0]), a[1]), a[2]);
      p = putBig(b, putBig(b, putBig(b, p, a[3]), a[4]), a[5]);
      return p - at;
    }
    case 'MMIO': {
      b[at] = TAG_EXIT_MMIO;
      p = putNum(b, putNum(b, at + 1, e.seq), e.icount);
      p = words !== null ? putWords(b, p, words, 0) : putBig(b, p, e.pc);
      p = putNum(b, p, e.physAddr);
      const n = e.len, d = e.data;
      b[p] = n;
      b[p + 1] = e.isWrite ? 1 : 0;
      p += 2;
      for (let i = 0; i < n; i++) b[p + i] = d[i];
      return p + n - at;
    }
    case 'INTR':
      b[at] = TAG_EXIT_INTR;
      p = putNum(b, putNum(b, at + 1, e.seq), e.icount);
      p = words !== null ? putWords(b, p, words, 0) : putBig(b, p, e.pc);
      b[p] = e.cause === 'budget' ? INTR_BUDGET : e.cause === 'immediate_exit' ? INTR_IMMEDIATE_EXIT : INTR_HALT;
      return p + 1 - at;
    default:
      return 0;
  }
}

// ---- staged records ----

/**
 * A staged record: a hot record kept as raw fields until its batch is written (see writer.ts), then encoded by
 * encodeStaged to exactly the bytes encodeVcpuExit / encodeAnswer give. Per record: its tag, STAGE_NUMS numbers
 * and STAGE_WORDS 32-bit words:
 *
 *   SBI exit     nums seq, icount          words pc lo/hi, a0..a5 lo/hi, eid, fid
 *   MMIO exit    nums seq, icount, addr    words pc lo/hi, len | is_write << 8, data[0..3], data[4..7]
 *   INTR exit    nums seq, icount          words pc lo/hi, cause
 *   SBI answer   nums seq                  words ret0 lo/hi, ret1 lo/hi
 *   MMIO answer  nums seq                  words n, data[0..3], data[4..7]
 */
export const STAGE_NUMS = 3, STAGE_WORDS = 16;

/** Stages an exit exactly as the vCPU returned it, with its words (Vcpu.exitWordsOf); false when it has no fixed layout. */
export function stageVcpuExit(tags: Uint8Array, nums: Float64Array, words: Int32Array, i: number, e: VcpuExit, ew: Int32Array): boolean {
  const n = i * STAGE_NUMS, w = i * STAGE_WORDS;
  switch (e.reason) {
    case 'RISCV_SBI':
      tags[i] = TAG_EXIT_SBI;
      for (let k = 0; k < 14; k++) words[w + k] = ew[k];
      words[w + 14] = e.extensionId;
      words[w + 15] = e.functionId;
      break;
    case 'MMIO': {
      tags[i] = TAG_EXIT_MMIO;
      words[w] = ew[0];
      words[w + 1] = ew[1];
      words[w + 2] = e.len | (e.isWrite ? 0x100 : 0);
      packBytes(words, w + 3, e.data, e.len);
      nums[n + 2] = e.physAddr;
      break;
    }
    case 'INTR':
      tags[i] = TAG_EXIT_INTR;
      words[w] = ew[0];
      words[w + 1] = ew[1];
      words[w + 2] = e.cause === 'budget' ? INTR_BUDGET : e.cause === 'immediate_exit' ? INTR_IMMEDIATE_EXIT : INTR_HALT;
      break;
    default:
      return false;
  }
  nums[n] = e.seq;
  nums[n + 1] = e.icount;
  return true;
}

/** Stages an answer if it fits a fixed layout exactly (as encodeAnswer decides); false when it does not. */
export function stageAnswer(tags: Uint8Array, nums: Float64Array, words: Int32Array, i: number, a: ExitAnswer): boolean {
  if (!fitsFixedAnswer(a)) return false;
  const w = i * STAGE_WORDS;
  nums[i * STAGE_NUMS] = a.seq;
  if (a.reason === 'RISCV_SBI') {
    tags[i] = TAG_ANSWER_SBI;
    U64[0] = a.ret[0];
    words[w] = U32[LO];
    words[w + 1] = U32[HI];
    U64[0] = a.ret[1];
    words[w + 2] = U32[LO];
    words[w + 3] = U32[HI];
  } else {
    tags[i] = TAG_ANSWER_MMIO;
    const d = (a as { data?: Uint8Array }).data;
    const n = d === undefined ? 0 : d.length;
    words[w] = n;
    if (n > 0) packBytes(words, w + 1, d!, n);
  }
  return true;
}

function packBytes(words: Int32Array, w: number, d: Uint8Array, n: number): void {
  let lo = 0, hi = 0;
  for (let k = 0; k < n && k < 4; k++) lo |= d[k] << (8 * k);
  for (let k = 4; k < n; k++) hi |= d[k] << (8 * (k - 4));
  words[w] = lo;
  words[w + 1] = hi;
}

function unpackBytes(b: Uint8Array, p: number, words: Int32Array, w: number, n: number): void {
  const lo = words[w], hi = words[w + 1];
  for (let k = 0; k < n && k < 4; k++) b[p + k] = lo >>> (8 * k);
  for (let k = 4; k < n; k++) b[p + k] = hi >>> (8 * (k - 4));
}

/** Encodes staged record i at `at` (MAX_FIXED_RECORD bytes free there); returns the bytes written. */
export function encodeStaged(b: Uint8Array, at: number, tags: Uint8Array, nums: Float64Array, words: Int32Array, i: number): number {
  const tag = tags[i], n = i * STAGE_NUMS, w = i * STAGE_WORDS;
  b[at] = tag;
  let p = putNum(b, at + 1, nums[n]);
  switch (tag) {
    case TAG_EXIT_SBI:
      p = putWords(b, putNum(b, p, nums[n + 1]), words, w);
      p = putU32(b, putU32(b, p, words[w + 14] >>> 0), words[w + 15] >>> 0);
      for (let k = 2; k < 14; k += 2) p = putWords(b, p, words, w + k);
      return p - at;
    case TAG_EXIT_MMIO: {
      p = putNum(b, putWords(b, putNum(b, p, nums[n + 1]), words, w), nums[n + 2]);
      const len = words[w + 2] & 0xff;
      b[p] = len;
      b[p + 1] = words[w + 2] >>> 8;
      unpackBytes(b, p + 2, words, w + 3, len);
      return p + 2 + len - at;
    }
    case TAG_EXIT_INTR:
      p = putWords(b, putNum(b, p, nums[n + 1]), words, w);
      b[p] = words[w + 2];
      return p + 1 - at;
    case TAG_ANSWER_SBI:
      return putWords(b, putWords(b, p, words, w), words, w + 2) - at;
    default: {
      const len = words[w];
      b[p] = len;
      unpackBytes(b, p + 1, words, w + 1, len);
      return p + 1 + len - at;
    }
  }
}

/**
 * Writes an answer at `at` if it fits a fixed layout exactly; returns the bytes written, or 0 (use msgpack).
 * 64-bit values are kept mod 2^64, as the vCPU reads them.
 */
export function encodeAnswer(b: Uint8Array, at: number, a: ExitAnswer): number {
  if (!fitsFixedAnswer(a)) return 0;
  if (a.reason === 'RISCV_SBI') {
    b[at] = TAG_ANSWER_SBI;
    return putBig(b, putBig(b, putNum(b, at + 1, a.seq), a.ret[0]), a.ret[1]) - at;
  }
  const d = (a as { data?: Uint8Array }).data;
  b[at] = TAG_ANSWER_MMIO;
  let p = putNum(b, at + 1, a.seq);
  const n = d === undefined ? 0 : d.length;
  b[p++] = n;
  for (let i = 0; i < n; i++) b[p + i] = d![i];
  return p + n - at;
}

/** Whether an answer fits its fixed layout exactly: an SBI answer with two bigints, an MMIO answer with 0..8 bytes. */
function fitsFixedAnswer(a: ExitAnswer): boolean {
  if (!isNum(a.seq)) return false;
  if (a.reason === 'RISCV_SBI') {
    const ret = a.ret;
    return Array.isArray(ret) && ret.length === 2 && typeof ret[0] === 'bigint' && typeof ret[1] === 'bigint' && exactKeys(a, 3);
  }
  if (a.reason === 'MMIO') {
    const d = a.data;
    return d === undefined ? exactKeys(a, 2) : d instanceof Uint8Array && d.length >= 1 && d.length <= 8 && exactKeys(a, 3);
  }
  return false;
}

/**
 * Writes a record's payload at `at`, if it has a fixed layout; returns the bytes written, or 0 (use msgpack).
 * Any record is accepted: one that does not fit a layout exactly (a mutated record in a test) is left to msgpack.
 * The buffer must have MAX_FIXED_RECORD bytes free at `at`.
 */
export function encodeFixed(b: Uint8Array, at: number, r: JournalRecord): number {
  if (r.t === 'answer') return encodeAnswer(b, at, r.answer);
  if (r.t !== 'exit' || !fitsFixedExit(r.exit)) return 0;
  return encodeVcpuExit(b, at, r.exit);
}

/** Whether an exit has exactly the shape encodeVcpuExit needs (as the vCPU's exits have). */
function fitsFixedExit(e: VcpuExit): boolean {
  if (!isNum(e.seq) || !isNum(e.icount) || typeof e.pc !== 'bigint' || e.pc < 0n || e.pc > 0xffff_ffff_ffff_ffffn) return false;
  switch (e.reason) {
    case 'MMIO':
      return exactKeys(e, 8) && e.data instanceof Uint8Array && e.data.length === e.len &&
        (e.len === 1 || e.len === 2 || e.len === 4 || e.len === 8) && typeof e.isWrite === 'boolean' && isNum(e.physAddr);
    case 'RISCV_SBI':
      return exactKeys(e, 7) && Array.isArray(e.args) && e.args.length === 6 && e.args.every((a) => typeof a === 'bigint') &&
        isU32(e.extensionId) && isU32(e.functionId);
    case 'INTR':
      return exactKeys(e, 5) && INTR_CAUSES.includes(e.cause);
    default:
      return false;
  }
}

/** A number a varint holds exactly: a non-negative integer below 2^53. */
function isNum(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isU32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function exactKeys(o: object, n: number): boolean {
  let k = 0;
  for (const _ in o) k++;
  return k === n;
}

/** A record's payload as a fresh buffer. */
export function encodeRecord(r: JournalRecord): Uint8Array {
  const scratch = new Uint8Array(MAX_FIXED_RECORD);
  const n = encodeFixed(scratch, 0, r);
  if (n > 0) return scratch.slice(0, n);
  const body = packr.pack(r);
  const out = new Uint8Array(1 + body.length);
  out[0] = TAG_MSGPACK;
  out.set(body, 1);
  return out;
}

// ---- checking and decoding ----

/** A payload that is not a valid record; the message says why. Readers add the record's number and offset. */
export class RecordError extends Error {}

/** Why fixedLayoutCheck refused a payload, by the number it returned (0: well-formed). */
export const FIXED_PROBLEMS = [
  '',
  'a varint runs past the record, past 64 bits, or is not in its shortest form',
  'seq, icount or an address beyond 2^53',
  'an MMIO length other than 1, 2, 4 or 8',
  'an is_write byte other than 0 or 1',
  'MMIO data of a length other than its len',
  'an SBI extension or function id beyond 32 bits',
  'an INTR cause other than 0, 1 or 2',
  'answer data longer than 8 bytes',
  'bytes after the record',
] as const;
const BAD_VARINT = 1, BEYOND_2_53 = 2, BAD_LEN = 3, BAD_IS_WRITE = 4, BAD_DATA_LEN = 5, BEYOND_U32 = 6, BAD_CAUSE = 7, ANSWER_TOO_LONG = 8, TRAILING = 9;

/** The seq and icount of the exit fixedLayoutCheck last accepted. */
export let scannedSeq = 0, scannedIcount = 0;

/** Largest high word of a number below 2^53. */
const MAX_SAFE_HI = 0x1f_ffff;

/**
 * Checks a payload of tag 1..5 (`len` bytes at `at`) against its layout and the limits of its fields, without
 * building the record: 0 when it is exactly one well-formed record, otherwise the number of the first problem
 * (FIXED_PROBLEMS). Varints must end in time, in their shortest form and within 64 bits; seq, icount and addresses
 * below 2^53; an MMIO length 1, 2, 4 or 8 with that much data; an INTR cause 0..2; nothing after the record. For an
 * exit, leaves its seq and icount in scannedSeq / scannedIcount.
 */
export function fixedLayoutCheck(b: Uint8Array, at: number, len: number): number {
  const end = at + len, tag = b[at];
  let p = at + 1;
  // seq (one or two bytes, mostly: read inline).
  let x = b[p];
  if (x < 0x80 && p < end) {
    scannedSeq = x;
    p++;
  } else {
    p = readVar(b, p, end);
    if (p < 0) return BAD_VARINT;
    if (varHi > MAX_SAFE_HI) return BEYOND_2_53;
    scannedSeq = varNum();
  }
  if (tag >= TAG_ANSWER_MMIO) {
    if (tag === TAG_ANSWER_SBI) {
      p = readVar(b, p, end);
      if (p >= 0) p = readVar(b, p, end);
      return p < 0 ? BAD_VARINT : p === end ? 0 : TRAILING;
    }
    if (p >= end) return BAD_DATA_LEN;
    if (b[p] > 8) return ANSWER_TOO_LONG;
    return p + 1 + b[p] === end ? 0 : p + 1 + b[p] > end ? BAD_DATA_LEN : TRAILING;
  }
  x = b[p];
  if (x < 0x80 && p < end) {
    scannedIcount = x;
    p++;
  } else {
    p = readVar(b, p, end);
    if (p < 0) return BAD_VARINT;
    if (varHi > MAX_SAFE_HI) return BEYOND_2_53;
    scannedIcount = varNum();
  }
  // pc
  p = readVar(b, p, end);
  if (p < 0) return BAD_VARINT;
  switch (tag) {
    case TAG_EXIT_MMIO: {
      p = readVar(b, p, end);
      if (p < 0) return BAD_VARINT;
      if (varHi > MAX_SAFE_HI) return BEYOND_2_53;
      if (p + 2 > end) return BAD_DATA_LEN;
      const n = b[p];
      if (n !== 1 && n !== 2 && n !== 4 && n !== 8) return BAD_LEN;
      if (b[p + 1] > 1) return BAD_IS_WRITE;
      return p + 2 + n === end ? 0 : p + 2 + n > end ? BAD_DATA_LEN : TRAILING;
    }
    case TAG_EXIT_SBI:
      for (let k = 0; k < 2; k++) {
        p = readVar(b, p, end);
        if (p < 0) return BAD_VARINT;
        if (varHi !== 0) return BEYOND_U32;
      }
      for (let k = 0; k < 6; k++) {
        p = readVar(b, p, end);
        if (p < 0) return BAD_VARINT;
      }
      return p === end ? 0 : TRAILING;
    default:
      if (p >= end) return BAD_CAUSE;
      if (b[p] >= INTR_CAUSES.length) return BAD_CAUSE;
      return p + 1 === end ? 0 : TRAILING;
  }
}

/** The icount of a fixed-layout exit payload (tag 1..3) that fixedLayoutCheck accepted. */
export function exitIcountAt(b: Uint8Array, at: number, len: number): number {
  readVar(b, readVar(b, at + 1, at + len), at + len);
  return varNum();
}

/** A fixed-layout payload's problem as a RecordError. */
function fixedLayoutError(b: Uint8Array, at: number, len: number, problem: number): RecordError {
  return new RecordError(`a malformed ${FIXED_NAMES[b[at]]} record: ${FIXED_PROBLEMS[problem]}`);
}

const FIXED_NAMES = ['', 'MMIO exit', 'RISCV_SBI exit', 'INTR exit', 'MMIO answer', 'RISCV_SBI answer'];

/** A msgpack record payload (tag 0, `len` bytes at `at`), decoded and checked against the record schemas. */
function decodeMsgpackAt(b: Uint8Array, at: number, len: number): JournalRecord {
  let value: unknown;
  try {
    // A plain Uint8Array view (not a Buffer's subarray): msgpack's byte arrays come back as Uint8Array.
    value = packr.unpack(new Uint8Array(b.buffer, b.byteOffset + at + 1, len - 1));
  } catch (e) {
    throw new RecordError(`undecodable msgpack (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return recordSchema.parse(value);
  } catch (e) {
    if (e instanceof SchemaError) throw new RecordError(`not a journal record: ${e.message}`);
    throw e;
  }
}

/** Decodes the payload of `len` bytes at `at` of `b` into a checked record; a RecordError says why it cannot. */
export function decodeAt(b: Uint8Array, at: number, len: number): JournalRecord {
  if (len === 0) throw new RecordError('an empty record');
  const tag = b[at];
  if (tag === TAG_MSGPACK) return decodeMsgpackAt(b, at, len);
  if (tag > TAG_ANSWER_SBI) throw new RecordError(`unknown record tag ${tag}`);
  const problem = fixedLayoutCheck(b, at, len);
  if (problem !== 0) throw fixedLayoutError(b, at, len, problem);
  if (tag >= TAG_ANSWER_MMIO) return { t: 'answer', answer: decodeAnswerAt(b, at, len) };
  const end = at + len;
  let p = readVar(b, at + 1, end);
  const seq = varNum();
  p = readVar(b, p, end);
  const icount = varNum();
  p = readVar(b, p, end);
  const pc = varBig();
  switch (tag) {
    case TAG_EXIT_MMIO: {
      p = readVar(b, p, end);
      const physAddr = varNum();
      const n = b[p] as 1 | 2 | 4 | 8;
      return { t: 'exit', exit: { seq, icount, pc, reason: 'MMIO', physAddr, len: n, isWrite: b[p + 1] === 1, data: copyBytes(b, p + 2, n) } };
    }
    case TAG_EXIT_SBI: {
      p = readVar(b, p, end);
      const extensionId = varNum();
      p = readVar(b, p, end);
      const functionId = varNum();
      const args: bigint[] = [];
      for (let k = 0; k < 6; k++) {
        p = readVar(b, p, end);
        args.push(varBig());
      }
      return { t: 'exit', exit: { seq, icount, pc, reason: 'RISCV_SBI', extensionId, functionId, args } };
    }
    default:
      return { t: 'exit', exit: { seq, icount, pc, reason: 'INTR', cause: INTR_CAUSES[b[p]] } };
  }
}

/** The answer of a fixed-layout answer payload (tag 4 or 5) that fixedLayoutCheck accepted. */
export function decodeAnswerAt(b: Uint8Array, at: number, len: number): ExitAnswer {
  const end = at + len;
  let p = readVar(b, at + 1, end);
  const seq = varNum();
  if (b[at] === TAG_ANSWER_SBI) {
    p = readVar(b, p, end);
    const r0 = varBig();
    readVar(b, p, end);
    return { seq, reason: 'RISCV_SBI', ret: [r0, varBig()] };
  }
  const n = b[p];
  return n === 0 ? { seq, reason: 'MMIO' } : { seq, reason: 'MMIO', data: copyBytes(b, p + 1, n) };
}

function copyBytes(b: Uint8Array, at: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = b[at + i];
  return out;
}

export function decodeRecord(p: Uint8Array): JournalRecord {
  return decodeAt(p, 0, p.length);
}

/** What the index needs of a record: its kind, and for an exit its seq, icount and reason; msgpack records whole. */
export type ScannedRecord =
  | { t: 'exit'; seq: number; icount: number; reason: string; record: JournalRecord | null }
  | { t: Exclude<JournalRecord['t'], 'exit'>; record: JournalRecord | null };

/**
 * Checks that a payload is a valid record, without building it when its layout is fixed (`record` null); msgpack
 * records are decoded and checked against the schemas, and returned. Throws a RecordError saying what is wrong.
 */
export function scanRecord(b: Uint8Array, at: number, len: number): ScannedRecord {
  const tag = len === 0 ? -1 : b[at];
  if (tag >= TAG_EXIT_MMIO && tag <= TAG_ANSWER_SBI) {
    const problem = fixedLayoutCheck(b, at, len);
    if (problem !== 0) throw fixedLayoutError(b, at, len, problem);
    if (tag >= TAG_ANSWER_MMIO) return { t: 'answer', record: null };
    return { t: 'exit', seq: scannedSeq, icount: scannedIcount, reason: FIXED_EXIT_REASON[tag], record: null };
  }
  const record = decodeAt(b, at, len);
  if (record.t === 'exit') return { t: 'exit', seq: record.exit.seq, icount: record.exit.icount, reason: record.exit.reason, record };
  return { t: record.t, record };
}

/** The exit reason of each fixed exit layout, by tag. */
export const FIXED_EXIT_REASON = ['', 'MMIO', 'RISCV_SBI', 'INTR'];
