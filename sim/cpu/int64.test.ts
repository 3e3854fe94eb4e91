import { describe, it, expect } from 'vitest';
import * as int64 from './int64.js';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, s64, u64 } from './test-helpers.js';

// int64.ts computes the M extension on (lo, hi) int32 halves. Every function is checked against a BigInt reference
// of the ISA's definition (RISC-V unprivileged spec, ch. "M" extension, including the table of division by zero
// and signed overflow results) over every pair of edge operands and many seeded pseudo-random pairs.

type Fn64 = (alo: number, ahi: number, blo: number, bhi: number) => number;
type Fn32 = (a: number, b: number) => number;

const lo = (v: bigint): number => Number(v & 0xffff_ffffn) | 0;
const hi = (v: bigint): number => Number((u64(v) >> 32n) & 0xffff_ffffn) | 0;
const pair = (l: number, h: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

function call64(fn: Fn64, a: bigint, b: bigint): bigint {
  const l = fn(lo(a), hi(a), lo(b), hi(b));
  return pair(l, int64.out.hi);
}

// ---- References (the ISA's definitions in BigInt) ----

const ref64: Record<string, (a: bigint, b: bigint) => bigint> = {
  mul: (a, b) => u64(a * b),
  mulh: (a, b) => u64((s64(a) * s64(b)) >> 64n),
  mulhsu: (a, b) => u64((s64(a) * u64(b)) >> 64n),
  mulhu: (a, b) => u64((u64(a) * u64(b)) >> 64n),
  div: (a, b) => {
    const x = s64(a), y = s64(b);
    if (y === 0n) return u64(-1n);
    if (x === INT64_MIN && y === -1n) return u64(INT64_MIN);
    return u64(x / y); // BigInt division truncates toward zero, as DIV does
  },
  divu: (a, b) => (u64(b) === 0n ? u64(-1n) : u64(a) / u64(b)),
  rem: (a, b) => {
    const x = s64(a), y = s64(b);
    if (y === 0n) return u64(x);
    if (x === INT64_MIN && y === -1n) return 0n;
    return u64(x % y); // the remainder takes the dividend's sign, as REM does
  },
  remu: (a, b) => (u64(b) === 0n ? u64(a) : u64(a) % u64(b)),
};

const i32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const ref32: Record<string, (a: bigint, b: bigint) => bigint> = {
  divw: (a, b) => {
    const x = i32(a), y = i32(b);
    if (y === 0n) return -1n;
    if (x === INT32_MIN && y === -1n) return INT32_MIN;
    return x / y;
  },
  divuw: (a, b) => {
    const x = BigInt.asUintN(32, a), y = BigInt.asUintN(32, b);
    return y === 0n ? -1n : i32(x / y);
  },
  remw: (a, b) => {
    const x = i32(a), y = i32(b);
    if (y === 0n) return x;
    if (x === INT32_MIN && y === -1n) return 0n;
    return x % y;
  },
  remuw: (a, b) => {
    const x = BigInt.asUintN(32, a), y = BigInt.asUintN(32, b);
    return y === 0n ? i32(x) : i32(x % y);
  },
};

const fns64: Record<string, Fn64> = {
  mul: int64.mul, mulh: int64.mulh, mulhsu: int64.mulhsu, mulhu: int64.mulhu,
  div: int64.div, divu: int64.divu, rem: int64.remS, remu: int64.remu,
};
const fns32: Record<string, Fn32> = { divw: int64.divw, divuw: int64.divuw, remw: int64.remw, remuw: int64.remuw };

// ---- Operands ----

const EDGE: bigint[] = [
  0n, 1n, 2n, 3n, 7n, -1n, -2n, -3n, -7n,
  INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n,
  INT32_MIN, INT32_MAX, INT32_MIN - 1n, INT32_MAX + 1n, -INT32_MAX,
  0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n, -0x1_0000_0000n, -0xffff_ffffn,
  0xffffn, 0x1_0000n, 0xffff_ffff_0000_0000n, 0x8000_0000_0000_0001n, 0x7fff_ffff_0000_0000n,
  0x0000_0001_ffff_ffffn, 0x1234_5678_9abc_def0n, 0xfedc_ba98_7654_3210n, 1000000007n, -1000000007n,
].map(u64);

/** xorshift128+ on BigInt: a fixed seed, so every run checks the same operands. */
function rng(seed: bigint): () => bigint {
  let s0 = seed | 1n, s1 = (seed * 0x9e37_79b9_7f4a_7c15n) & 0xffff_ffff_ffff_ffffn | 2n;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & 0xffff_ffff_ffff_ffffn;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & 0xffff_ffff_ffff_ffffn;
  };
}

/** Operands with a spread of shapes: full 64-bit, 32-bit, small, powers of two and their neighbours, negatives. */
function operand(next: () => bigint): bigint {
  const r = next();
  const kind = Number(r & 15n);
  const v = next();
  switch (kind) {
    case 0: case 1: case 2: return v;
    case 3: return v & 0xffff_ffffn;
    case 4: return u64(-(v & 0xffff_ffffn));
    case 5: return v & 0xffffn;
    case 6: return u64(-(v & 0xffffn));
    case 7: { const p = 1n << (v & 63n); return u64(p + ((v >> 8n) % 3n) - 1n); }
    case 8: return u64(-(1n << (v & 63n)));
    case 9: return v | 0x8000_0000_0000_0000n;
    case 10: return v & 0x7fff_ffff_ffff_ffffn;
    case 11: return (v & 0xffff_ffffn) << 32n;
    case 12: return EDGE[Number(v % BigInt(EDGE.length))];
    case 13: return v >> (v & 63n);
    case 14: return u64(BigInt.asIntN(32, v));
    default: return v & 0x1_ffff_ffffn;
  }
}

const RANDOM_PAIRS = 20000;

function randomPairs(seed: bigint): [bigint, bigint][] {
  const next = rng(seed);
  const out: [bigint, bigint][] = [];
  for (let i = 0; i < RANDOM_PAIRS; i++) out.push([operand(next), operand(next)]);
  return out;
}

function check64(name: string, pairs: [bigint, bigint][]): void {
  const fn = fns64[name], ref = ref64[name];
  const bad: string[] = [];
  for (const [a, b] of pairs) {
    const got = call64(fn, a, b), want = ref(a, b);
    if (got !== want && bad.length < 5) bad.push(`${name}(0x${a.toString(16)}, 0x${b.toString(16)}) = 0x${got.toString(16)}, want 0x${want.toString(16)}`);
  }
  expect(bad).toEqual([]);
}

function check32(name: string, pairs: [bigint, bigint][]): void {
  const fn = fns32[name], ref = ref32[name];
  const bad: string[] = [];
  for (const [a, b] of pairs) {
    const got = BigInt(fn(lo(a), lo(b))), want = ref(a, b);
    if (got !== want && bad.length < 5) bad.push(`${name}(0x${lo(a).toString(16)}, 0x${lo(b).toString(16)}) = ${got}, want ${want}`);
  }
  expect(bad).toEqual([]);
}

const edgePairs: [bigint, bigint][] = EDGE.flatMap((a) => EDGE.map((b): [bigint, bigint] => [a, b]));

describe('int64: 64-bit M-extension arithmetic on 32-bit halves', () => {
  for (const name of Object.keys(fns64)) {
    it(`${name} matches BigInt on every pair of edge operands`, () => check64(name, edgePairs));
    it(`${name} matches BigInt on ${RANDOM_PAIRS} seeded random pairs`, () => check64(name, randomPairs(BigInt(name.length) * 0x1234_5678_9n + 17n)));
  }
  for (const name of Object.keys(fns32)) {
    it(`${name} matches BigInt on every pair of edge operands`, () => check32(name, edgePairs));
    it(`${name} matches BigInt on ${RANDOM_PAIRS} seeded random pairs`, () => check32(name, randomPairs(BigInt(name.length) * 0x7777_1111n + 3n)));
  }

  it('division by zero and signed overflow give the results the ISA tabulates', () => {
    // Unprivileged spec, table "Semantics for division by zero and division overflow".
    const x = u64(0x1234_5678_9abc_def0n);
    expect(call64(int64.div, x, 0n)).toBe(u64(-1n));
    expect(call64(int64.divu, x, 0n)).toBe(u64(-1n));
    expect(call64(int64.remS, x, 0n)).toBe(x);
    expect(call64(int64.remu, x, 0n)).toBe(x);
    expect(call64(int64.div, u64(INT64_MIN), u64(-1n))).toBe(u64(INT64_MIN));
    expect(call64(int64.remS, u64(INT64_MIN), u64(-1n))).toBe(0n);
    expect(int64.divw(0x1234, 0)).toBe(-1);
    expect(int64.divuw(0x1234, 0)).toBe(-1);
    expect(int64.remw(-5, 0)).toBe(-5);
    expect(int64.remuw(-5, 0)).toBe(-5);
    expect(int64.divw(0x8000_0000 | 0, -1)).toBe(0x8000_0000 | 0);
    expect(int64.remw(0x8000_0000 | 0, -1)).toBe(0);
  });

  it('signs of quotient and remainder follow the ISA (truncating division)', () => {
    expect(s64(call64(int64.div, u64(-7n), 2n))).toBe(-3n);
    expect(s64(call64(int64.remS, u64(-7n), 2n))).toBe(-1n);
    expect(s64(call64(int64.div, 7n, u64(-2n)))).toBe(-3n);
    expect(s64(call64(int64.remS, 7n, u64(-2n)))).toBe(1n);
    expect(int64.divw(-7, 2)).toBe(-3);
    expect(int64.remw(-7, 2)).toBe(-1);
    expect(int64.remw(7, -2)).toBe(1);
  });

  it('multiplications at the extremes', () => {
    expect(call64(int64.mul, u64(INT64_MIN), u64(-1n))).toBe(u64(INT64_MIN));
    expect(call64(int64.mulh, u64(INT64_MIN), u64(INT64_MIN))).toBe(1n << 62n);
    expect(call64(int64.mulh, u64(-1n), u64(-1n))).toBe(0n);
    expect(call64(int64.mulhu, u64(-1n), u64(-1n))).toBe(u64(-2n));
    expect(call64(int64.mulhsu, u64(-1n), u64(-1n))).toBe(u64(-1n));
    // -2^63 * (2^64 - 1) = -2^127 + 2^63; its high 64 bits (floor division by 2^64) are -2^63.
    expect(call64(int64.mulhsu, u64(INT64_MIN), u64(-1n))).toBe(u64(INT64_MIN));
  });

  it('leaves out.hi consistent when called back to back', () => {
    // The translated code reads int64.out.hi right after each call: no stale high half from an earlier call.
    call64(int64.mulhu, u64(-1n), u64(-1n));
    expect(call64(int64.divu, 10n, 3n)).toBe(3n);
    call64(int64.mulhu, u64(-1n), u64(-1n));
    expect(call64(int64.remu, 10n, 3n)).toBe(1n);
    call64(int64.mulhu, u64(-1n), u64(-1n));
    expect(call64(int64.div, 10n, 3n)).toBe(3n);
    call64(int64.mulhu, u64(-1n), u64(-1n));
    expect(call64(int64.remS, 10n, 3n)).toBe(1n);
    call64(int64.mulhu, u64(-1n), u64(-1n));
    expect(call64(int64.remS, 0x5_0000_0000n, 0x5_0000_0000n)).toBe(0n);
  });
});
