import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import { JournalRecord, packr } from './format.js';

/**
 * Record payloads: a tag byte, then the record. The records an exit-heavy guest produces by the million (MMIO,
 * SBI and INTR exits; MMIO and SBI answers) have fixed little-endian layouts, written straight into the writer's
 * batch buffer; every other record is msgpack (tag 0).
 *
 *   1 exit MMIO   f64 seq, f64 icount, u64 pc, f64 phys_addr, u8 len, u8 is_write, u8[len] data
 *   2 exit SBI    f64 seq, f64 icount, u64 pc, u32 eid, u32 fid, 6 × u64 args
 *   3 exit INTR   f64 seq, f64 icount, u64 pc, u8 cause (0 budget, 1 immediate_exit, 2 halt)
 *   4 answer MMIO f64 seq, u8 n, u8[n] data (n = 0: no data, the answer to a write)
 *   5 answer SBI  f64 seq, 2 × u64 ret
 */
export const TAG_MSGPACK = 0, TAG_EXIT_MMIO = 1, TAG_EXIT_SBI = 2, TAG_EXIT_INTR = 3, TAG_ANSWER_MMIO = 4, TAG_ANSWER_SBI = 5;
/** No fixed-layout record is longer than this. */
export const MAX_FIXED_RECORD = 128;

const INTR_CAUSES = ['budget', 'immediate_exit', 'halt'] as const;
/** Payload lengths of the fixed layouts that carry no data (MMIO exits and answers are checked with theirs). */
const FIXED_LENGTH: Record<number, number> = { [TAG_EXIT_SBI]: 81, [TAG_EXIT_INTR]: 26, [TAG_ANSWER_SBI]: 25 };

/**
 * Writes a record's payload at `at`, if it has a fixed layout; returns the bytes written, or 0 (use msgpack).
 * The buffer must have MAX_FIXED_RECORD bytes free at `at`.
 */
export function encodeFixed(b: Buffer, at: number, r: JournalRecord): number {
  if (r.t === 'exit') {
    const e = r.exit;
    // Only records that fit a layout exactly use it; anything else (a mutated record in a test) is msgpack.
    if (!fitsCommon(e)) return 0;
    const head = (tag: number): number => {
      b[at] = tag;
      b.writeDoubleLE(e.seq, at + 1);
      b.writeDoubleLE(e.icount, at + 9);
      writeU64(b, e.pc, at + 17);
      return at + 25;
    };
    if (e.reason === 'MMIO' && exactKeys(e, 8) && e.data instanceof Uint8Array && e.data.length === e.len &&
        (e.len === 1 || e.len === 2 || e.len === 4 || e.len === 8) && typeof e.isWrite === 'boolean' && typeof e.physAddr === 'number') {
      let p = head(TAG_EXIT_MMIO);
      b.writeDoubleLE(e.physAddr, p); p += 8;
      b[p++] = e.len;
      b[p++] = e.isWrite ? 1 : 0;
      b.set(e.data, p);
      return p + e.data.length - at;
    }
    if (e.reason === 'RISCV_SBI' && exactKeys(e, 7) && Array.isArray(e.args) && e.args.length === 6 && e.args.every((a) => typeof a === 'bigint') &&
        isU32(e.extensionId) && isU32(e.functionId)) {
      let p = head(TAG_EXIT_SBI);
      b.writeUInt32LE(e.extensionId, p); b.writeUInt32LE(e.functionId, p + 4); p += 8;
      for (const a of e.args) { writeU64(b, a, p); p += 8; }
      return p - at;
    }
    if (e.reason === 'INTR' && exactKeys(e, 5) && INTR_CAUSES.includes(e.cause)) {
      const p = head(TAG_EXIT_INTR);
      b[p] = INTR_CAUSES.indexOf(e.cause);
      return p + 1 - at;
    }
    return 0;
  }
  if (r.t === 'answer') {
    const a = r.answer;
    if (a.reason === 'MMIO' && typeof a.seq === 'number' && exactKeys(a, a.data === undefined ? 2 : 3) &&
        (a.data === undefined || (a.data instanceof Uint8Array && a.data.length >= 1 && a.data.length <= 8))) {
      b[at] = TAG_ANSWER_MMIO;
      b.writeDoubleLE(a.seq, at + 1);
      const n = a.data?.length ?? 0;
      b[at + 9] = n;
      if (a.data !== undefined) b.set(a.data, at + 10);
      return 10 + n;
    }
    if (a.reason === 'RISCV_SBI' && typeof a.seq === 'number' && exactKeys(a, 3) && Array.isArray(a.ret) && a.ret.length === 2 &&
        typeof a.ret[0] === 'bigint' && typeof a.ret[1] === 'bigint') {
      b[at] = TAG_ANSWER_SBI;
      b.writeDoubleLE(a.seq, at + 1);
      writeU64(b, a.ret[0], at + 9);
      writeU64(b, a.ret[1], at + 17);
      return 25;
    }
  }
  return 0;
}

function isU32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function exactKeys(o: object, n: number): boolean {
  let k = 0;
  for (const _ in o) k++;
  return k === n;
}

function fitsCommon(e: VcpuExit): boolean {
  return typeof e.seq === 'number' && typeof e.icount === 'number' && typeof e.pc === 'bigint' && e.pc >= 0n && e.pc <= 0xffff_ffff_ffff_ffffn;
}

/** A record's payload as a fresh buffer. */
export function encodeRecord(r: JournalRecord): Uint8Array {
  const scratch = Buffer.allocUnsafe(MAX_FIXED_RECORD);
  const n = encodeFixed(scratch, 0, r);
  if (n > 0) return new Uint8Array(scratch.subarray(0, n));
  const body = packr.pack(r);
  const out = new Uint8Array(1 + body.length);
  out[0] = TAG_MSGPACK;
  out.set(body, 1);
  return out;
}

/** A Buffer over the same memory (no copy): its read methods need no DataView or closures per record. */
function asBuffer(p: Uint8Array): Buffer {
  return Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** Throws RangeError unless a fixed-layout payload has exactly its layout's length (and a valid INTR cause). */
function checkFixed(b: Buffer): void {
  const tag = b[0];
  const ok = tag === TAG_EXIT_MMIO ? b.length >= 35 && b.length === 35 + b[33]
    : tag === TAG_ANSWER_MMIO ? b.length >= 10 && b.length === 10 + b[9]
    : b.length === FIXED_LENGTH[tag] && (tag !== TAG_EXIT_INTR || b[25] < INTR_CAUSES.length);
  if (!ok) throw new RangeError(`bad record (tag ${tag}, ${b.length} bytes)`);
}

export function decodeRecord(p: Uint8Array): JournalRecord {
  const b = asBuffer(p);
  if (b[0] !== TAG_MSGPACK) checkFixed(b);
  switch (b[0]) {
    case TAG_MSGPACK:
      return packr.unpack(new Uint8Array(b.buffer, b.byteOffset + 1, b.length - 1)) as JournalRecord;
    case TAG_EXIT_MMIO: {
      const len = b[33];
      return {
        t: 'exit',
        exit: {
          seq: b.readDoubleLE(1), icount: b.readDoubleLE(9), pc: u64(b, 17), reason: 'MMIO', physAddr: b.readDoubleLE(25),
          len: len as 1 | 2 | 4 | 8, isWrite: b[34] === 1, data: Uint8Array.from(b.subarray(35, 35 + len)),
        },
      };
    }
    case TAG_EXIT_SBI:
      return {
        t: 'exit',
        exit: {
          seq: b.readDoubleLE(1), icount: b.readDoubleLE(9), pc: u64(b, 17), reason: 'RISCV_SBI',
          extensionId: b.readUInt32LE(25), functionId: b.readUInt32LE(29),
          args: [u64(b, 33), u64(b, 41), u64(b, 49), u64(b, 57), u64(b, 65), u64(b, 73)],
        },
      };
    case TAG_EXIT_INTR:
      return { t: 'exit', exit: { seq: b.readDoubleLE(1), icount: b.readDoubleLE(9), pc: u64(b, 17), reason: 'INTR', cause: INTR_CAUSES[b[25]] } };
    case TAG_ANSWER_MMIO: {
      const n = b[9];
      const seq = b.readDoubleLE(1);
      return { t: 'answer', answer: n === 0 ? { seq, reason: 'MMIO' } : { seq, reason: 'MMIO', data: Uint8Array.from(b.subarray(10, 10 + n)) } };
    }
    case TAG_ANSWER_SBI:
      return { t: 'answer', answer: { seq: b.readDoubleLE(1), reason: 'RISCV_SBI', ret: [u64(b, 9), u64(b, 17)] } };
    default:
      throw new RangeError(`unknown record tag ${b[0]}`);
  }
}

/**
 * 64-bit values as u64 LE. Most are below 2^32 (small guests' addresses, SBI arguments): those take plain number
 * stores, since Buffer's BigInt methods cost several BigInt operations each.
 */
function writeU64(b: Buffer, v: bigint, o: number): void {
  if (v >= 0n && v <= 0xffff_ffffn) {
    b.writeUInt32LE(Number(v), o);
    b.writeUInt32LE(0, o + 4);
  } else {
    b.writeBigUInt64LE(BigInt.asUintN(64, v), o);
  }
}

function u64(b: Buffer, o: number): bigint {
  return b.readUInt32LE(o + 4) === 0 ? BigInt(b.readUInt32LE(o)) : b.readBigUInt64LE(o);
}


/**
 * Checks a payload decodes, without building the record when its layout is fixed; returns for exits their seq,
 * icount and reason (for the index), else null. Throws RangeError (or msgpack's error) when it would not decode.
 */
export function scanRecord(p: Uint8Array): { t: string; seq: number; icount: number; reason: string } | { t: string } {
  const b = asBuffer(p);
  const tag = b[0];
  if (tag >= TAG_EXIT_MMIO && tag <= TAG_ANSWER_SBI) checkFixed(b);
  switch (tag) {
    case TAG_EXIT_MMIO: case TAG_EXIT_SBI: case TAG_EXIT_INTR:
      return { t: 'exit', seq: b.readDoubleLE(1), icount: b.readDoubleLE(9), reason: tag === TAG_EXIT_MMIO ? 'MMIO' : tag === TAG_EXIT_SBI ? 'RISCV_SBI' : 'INTR' };
    case TAG_ANSWER_MMIO: case TAG_ANSWER_SBI:
      return { t: 'answer' };
    default: {
      const r = decodeRecord(p) as unknown;
      if (typeof r !== 'object' || r === null) throw new RangeError('not a journal record');
      const rec = r as { t?: unknown; exit?: { seq?: unknown; icount?: unknown; reason?: unknown } };
      if (rec.t === 'exit' && rec.exit !== undefined) {
        return { t: 'exit', seq: Number(rec.exit.seq), icount: Number(rec.exit.icount), reason: String(rec.exit.reason) };
      }
      return { t: String(rec.t) };
    }
  }
}
