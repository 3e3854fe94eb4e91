import { describe, expect, it } from 'vitest';
import type { VcpuExit } from '../kvm/exits.js';
import {
  decodeRecord, encodeRecord, encodeVcpuExit, MAX_FIXED_RECORD, RecordError, TAG_ANSWER_MMIO, TAG_ANSWER_SBI, TAG_EXIT_INTR, TAG_EXIT_MMIO,
  TAG_EXIT_SBI, TAG_MSGPACK,
} from './codec.js';
import { packr, type JournalRecord } from './format.js';

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

  it('writes a record that does not fit its layout as msgpack, and decoding refuses it as no valid record', () => {
    const odd: JournalRecord = { t: 'exit', exit: { ...base, reason: 'MMIO', physAddr: 0x1000_0000, len: 4, isWrite: false, data: Uint8Array.of(1) } };
    expect(encodeRecord(odd)[0]).toBe(TAG_MSGPACK);
    expect(() => decodeRecord(encodeRecord(odd))).toThrow(/MMIO data holds 1 bytes, not len 4/);
  });

  it('rejects an unknown tag or a fixed record of the wrong length', () => {
    expect(() => decodeRecord(Uint8Array.of(9))).toThrow(RecordError);
    const mmio = encodeRecord(cases[0][0]);
    expect(() => decodeRecord(mmio.subarray(0, mmio.length - 1))).toThrow(RecordError);
  });

  it('checks every field of a msgpack record against its schema: types, ranges, unknown and missing fields', () => {
    const bad: unknown[] = [
      { t: 'input', icount: 5, input: { kind: 'set-reg', reg: 99, value: 1n } },
      { t: 'input', icount: 5, input: { kind: 'set-reg', reg: 1 } },
      { t: 'input', icount: 5, input: { kind: 'write-mem', addr: 0x8000_0000, data: 'text' } },
      { t: 'input', icount: 5, input: { kind: 'teleport' } },
      { t: 'exit', exit: { seq: 1, pc: 0n, reason: 'SYSTEM_EVENT', type: 'shutdown', typeCode: 1, data: [0n, 0n] } },
      { t: 'exit', exit: { ...base, reason: 'INTR', cause: 'budget', extra: 1 } },
      { t: 'end', icount: '5', exits: 2, digest: 'ab'.repeat(32), reason: 'finisher' },
      { t: 'digest', seq: 1, icount: 2, digest: 'not hex' },
      { t: 'answer', answer: { seq: 1, reason: 'DEBUG', action: 'jump' } },
      { t: 'nothing' },
      { t: 5n },
      { t: 'input', icount: 1, input: { kind: 7n } },
      [1, 2, 3],
      null,
    ];
    for (const value of bad) {
      const bytes = Uint8Array.from([TAG_MSGPACK, ...packr.pack(value)]);
      expect(() => decodeRecord(bytes), JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toThrow(RecordError);
    }
    expect(() => decodeRecord(Uint8Array.from([TAG_MSGPACK, ...packr.pack(bad[0])]))).toThrow(/'input.reg' must be an integer in \[0, 31\]/);
    expect(() => decodeRecord(Uint8Array.from([TAG_MSGPACK, ...packr.pack(bad[4])]))).toThrow(/'exit.icount' is missing/);
  });

  it('checks the fields of the fixed layouts: lengths, flags, 32-bit ids, numbers below 2^53, shortest varints', () => {
    const mmio = encodeRecord(cases[0][0]);
    const at = mmio.length - 3; // len, is_write, data[0]
    const withByte = (b: Uint8Array, i: number, v: number) => { const c = Uint8Array.from(b); c[i] = v; return c; };
    expect(() => decodeRecord(withByte(mmio, at, 3))).toThrow(/MMIO length other than 1, 2, 4 or 8/);
    expect(() => decodeRecord(withByte(mmio, at + 1, 2))).toThrow(/is_write byte/);
    // seq 2^53 (varint of 8 bytes: 0x80 x7, 0x10) in an INTR exit.
    expect(() => decodeRecord(Uint8Array.of(TAG_EXIT_INTR, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0))).toThrow(/beyond 2\^53/);
    // seq 0 written in two bytes: not the shortest form.
    expect(() => decodeRecord(Uint8Array.of(TAG_EXIT_INTR, 0x80, 0x00, 0, 0, 0))).toThrow(/shortest form/);
    // a pc of 10 varint bytes whose last carries more than bit 63.
    expect(() => decodeRecord(Uint8Array.of(TAG_EXIT_INTR, 0, 0, ...Array(9).fill(0xff), 0x02, 0))).toThrow(/past 64 bits/);
    // an SBI extension id of 2^32.
    expect(() => decodeRecord(Uint8Array.of(TAG_EXIT_SBI, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0, 0, 0, 0))).toThrow(/beyond 32 bits/);
    expect(() => decodeRecord(Uint8Array.of(TAG_ANSWER_MMIO, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9))).toThrow(/longer than 8 bytes/);
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
    expect(() => decodeRecord(sbi.subarray(0, sbi.length - 1))).toThrow(RecordError);
    expect(() => decodeRecord(Uint8Array.from([...sbi, 0]))).toThrow(RecordError);
    const cut = Uint8Array.from(sbi);
    cut[cut.length - 1] |= 0x80;
    expect(() => decodeRecord(cut)).toThrow(RecordError);
    const intr = encodeRecord({ t: 'exit', exit: { ...base, reason: 'INTR', cause: 'halt' } });
    intr[intr.length - 1] = 3;
    expect(() => decodeRecord(intr)).toThrow(RecordError);
    expect(() => decodeRecord(Uint8Array.of(TAG_ANSWER_SBI, 0x80, 0x80))).toThrow(RecordError);
    expect(() => decodeRecord(Uint8Array.of(TAG_ANSWER_SBI, ...Array(11).fill(0x80), 0, 0, 0))).toThrow(RecordError);
  });

  it('writes exits whose numbers a varint cannot hold exactly as msgpack, which decoding refuses', () => {
    for (const seq of [-1, 0.5, 2 ** 53]) {
      const r: JournalRecord = { t: 'exit', exit: { ...base, seq, reason: 'INTR', cause: 'budget' } };
      expect(encodeRecord(r)[0]).toBe(TAG_MSGPACK);
      expect(() => decodeRecord(encodeRecord(r))).toThrow(/'exit.seq' must be an integer/);
    }
  });
});
