import { describe, expect, it } from 'vitest';
import type { VcpuExit } from '../kvm/exits.js';
import {
  decodeRecord, encodeRecord, encodeVcpuExit, MAX_FIXED_RECORD, TAG_ANSWER_MMIO, TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO, TAG_EXIT_SBI,
  TAG_MSGPACK,
} from './codec.js';
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

describe('journal record codec: varint layouts', () => {
  const edges = [0n, 1n, 0x7fn, 0x80n, 0x3fffn, 0x4000n, 0xffff_ffffn, 0x1_0000_0000n, 0x8000_0000_0000n, 0xffff_ffff_ffff_ffffn];
  const nums = [0, 1, 0x7f, 0x80, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER];

  it('round-trips the edges of every varint field', () => {
    for (const v of edges) {
      for (const n of nums) {
        const records: JournalRecord[] = [
          { t: 'exit', exit: { seq: n, icount: n, pc: v, reason: 'RISCV_SBI', extensionId: 0xffff_ffff, functionId: 0x80, args: [v, 0n, v, 1n, v, 0xffn] } },
          { t: 'exit', exit: { seq: n, icount: n, pc: v, reason: 'MMIO', physAddr: n, len: 2, isWrite: true, data: Uint8Array.of(0x80, 0xff) } },
          { t: 'exit', exit: { seq: n, icount: n, pc: v, reason: 'INTR', cause: 'immediate_exit' } },
          { t: 'answer', answer: { seq: n, reason: 'RISCV_SBI', ret: [v, v] } },
          { t: 'answer', answer: { seq: n, reason: 'MMIO', data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) } },
        ];
        for (const r of records) {
          const bytes = encodeRecord(r);
          expect(bytes[0]).not.toBe(TAG_MSGPACK);
          expect(decodeRecord(bytes)).toEqual(r);
        }
      }
    }
  });

  it('encodes a vCPU exit from its 32-bit halves exactly as from its BigInt fields', () => {
    for (const v of edges) {
      const words = new Int32Array(14);
      const split = (x: bigint, i: number) => {
        words[i] = Number(x & 0xffff_ffffn) | 0;
        words[i + 1] = Number(x >> 32n) | 0;
      };
      const args = [v, 0n, 5n, v, 0xffff_ffffn, 1n << 40n];
      split(v, 0);
      args.forEach((a, i) => split(a, 2 + 2 * i));
      const exits: VcpuExit[] = [
        { seq: 3, icount: 99, pc: v, reason: 'RISCV_SBI', extensionId: 1, functionId: 0, args },
        { seq: 3, icount: 99, pc: v, reason: 'MMIO', physAddr: 0x1000_0000, len: 1, isWrite: false, data: Uint8Array.of(0) },
        { seq: 3, icount: 99, pc: v, reason: 'INTR', cause: 'budget' },
      ];
      for (const e of exits) {
        const a = new Uint8Array(MAX_FIXED_RECORD), b = new Uint8Array(MAX_FIXED_RECORD);
        const n = encodeVcpuExit(a, 0, e);
        expect(encodeVcpuExit(b, 0, e, words)).toBe(n);
        expect(b).toEqual(a);
        expect(decodeRecord(a.subarray(0, n))).toEqual({ t: 'exit', exit: e });
      }
    }
  });

  it('rejects varints that run past the record, and records with bytes left over', () => {
    const sbi = encodeRecord({ t: 'exit', exit: { ...base, reason: 'RISCV_SBI', extensionId: 1, functionId: 0, args: [1n, 2n, 3n, 4n, 5n, 6n] } });
    expect(() => decodeRecord(sbi.subarray(0, sbi.length - 1))).toThrow(RangeError);
    expect(() => decodeRecord(Uint8Array.from([...sbi, 0]))).toThrow(RangeError);
    const cut = Uint8Array.from(sbi);
    cut[cut.length - 1] |= 0x80;
    expect(() => decodeRecord(cut)).toThrow(RangeError);
    const intr = encodeRecord({ t: 'exit', exit: { ...base, reason: 'INTR', cause: 'halt' } });
    intr[intr.length - 1] = 3;
    expect(() => decodeRecord(intr)).toThrow(RangeError);
    expect(() => decodeRecord(Uint8Array.of(TAG_ANSWER_SBI, 0x80, 0x80))).toThrow(RangeError);
    expect(() => decodeRecord(Uint8Array.of(TAG_ANSWER_SBI, ...Array(11).fill(0x80), 0, 0, 0))).toThrow(RangeError);
  });

  it('keeps exits whose numbers a varint cannot hold exactly in msgpack', () => {
    for (const seq of [-1, 0.5, 2 ** 53]) {
      const r: JournalRecord = { t: 'exit', exit: { ...base, seq, reason: 'INTR', cause: 'budget' } };
      expect(encodeRecord(r)[0]).toBe(TAG_MSGPACK);
      expect(decodeRecord(encodeRecord(r))).toEqual(r);
    }
  });
});
