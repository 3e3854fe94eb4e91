import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, TAG_ANSWER_MMIO, TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO, TAG_EXIT_SBI, TAG_MSGPACK } from './codec.js';
import type { JournalRecord } from './format.js';

const base = { seq: 41, icount: 123_456_789_012, pc: 0xffff_ffff_8020_0ab4n };
const cases: [JournalRecord, number][] = [
  [{ t: 'exit', exit: { ...base, reason: 'MMIO', physAddr: 0x1000_0005, len: 1, isWrite: false, data: Uint8Array.of(0) } }, TAG_EXIT_MMIO],
  [{ t: 'exit', exit: { ...base, reason: 'MMIO', physAddr: 0x1_0000_8000, len: 8, isWrite: true, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 0xff) } }, TAG_EXIT_MMIO],
  [{ t: 'exit', exit: { ...base, reason: 'RISCV_SBI', extensionId: 0x4442434e, functionId: 2, args: [0x41n, 0xffff_ffff_ffff_ffffn, 0n, 1n << 63n, 5n, 6n] } }, TAG_EXIT_SBI],
  [{ t: 'exit', exit: { ...base, reason: 'INTR', cause: 'halt' } }, TAG_EXIT_INTR],
  [{ t: 'answer', answer: { seq: 7, reason: 'MMIO' } }, TAG_ANSWER_MMIO],
  [{ t: 'answer', answer: { seq: 7, reason: 'MMIO', data: Uint8Array.of(0x80, 0x91) } }, TAG_ANSWER_MMIO],
  [{ t: 'answer', answer: { seq: 8, reason: 'RISCV_SBI', ret: [0xffff_ffff_ffff_fffen, 47n] } }, TAG_ANSWER_SBI],
  [{ t: 'exit', exit: { ...base, reason: 'DEBUG', why: 'watchpoint', address: 0x8020_1000n, isWrite: true } }, TAG_MSGPACK],
  [{ t: 'input', icount: 99, input: { kind: 'write-mem', addr: 0x8000_1000, data: Uint8Array.of(9, 8) } }, TAG_MSGPACK],
  [{ t: 'end', icount: 5, exits: 2, digest: 'ab'.repeat(32), reason: 'finisher' }, TAG_MSGPACK],
];

describe('journal record codec', () => {
  it('round-trips every record kind, with the fixed layouts for the hot ones', () => {
    for (const [record, tag] of cases) {
      const bytes = encodeRecord(record);
      expect(bytes[0]).toBe(tag);
      expect(decodeRecord(bytes)).toEqual(record);
    }
  });

  it('keeps records that do not fit a layout exactly in msgpack, unchanged', () => {
    const odd: JournalRecord = { t: 'exit', exit: { ...base, reason: 'MMIO', physAddr: 0x1000_0000, len: 4, isWrite: false, data: Uint8Array.of(1) } };
    expect(encodeRecord(odd)[0]).toBe(TAG_MSGPACK);
    expect(decodeRecord(encodeRecord(odd))).toEqual(odd);
  });

  it('rejects an unknown tag or a fixed record of the wrong length', () => {
    expect(() => decodeRecord(Uint8Array.of(9))).toThrow(RangeError);
    const mmio = encodeRecord(cases[0][0]);
    expect(() => decodeRecord(mmio.subarray(0, mmio.length - 1))).toThrow(RangeError);
  });
});
