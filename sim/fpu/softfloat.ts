import { F32, F64, Flag, FloatFormat, FpResult, Rm } from './format.js';
import { roundPack, roundShift } from './round.js';

/**
 * IEEE 754 arithmetic exactly as RISC-V's F and D define it, on raw bit patterns: the exact result is formed with
 * integers (bigint), then rounded once (roundPack). This is the reference and the slow path; the execution tiers
 * do the common cases inline with the host's double arithmetic and fall back here for everything else (a NaN or
 * infinity, a tiny or overflowing result, a rounding mode other than round-to-nearest-even, inexact not yet
 * flagged). Every NaN result is the canonical NaN; an operation on a signalling NaN raises NV.
 */

type Class = 'zero' | 'finite' | 'inf' | 'qnan' | 'snan';

interface Unpacked {
  cls: Class;
  negative: boolean;
  /** For finite non-zero values: value = sig × 2^exp. */
  sig: bigint;
  exp: number;
}

export function unpack(bits: bigint, f: FloatFormat): Unpacked {
  const negative = (bits & f.signBit) !== 0n;
  const e = Number((bits & f.expMask) >> BigInt(f.p - 1));
  const frac = bits & f.fracMask;
  const emax = (1 << f.ebits) - 1;
  if (e === emax) {
    if (frac === 0n) return { cls: 'inf', negative, sig: 0n, exp: 0 };
    const quiet = (frac >> BigInt(f.p - 2)) & 1n;
    return { cls: quiet ? 'qnan' : 'snan', negative, sig: 0n, exp: 0 };
  }
  if (e === 0) {
    if (frac === 0n) return { cls: 'zero', negative, sig: 0n, exp: 0 };
    return { cls: 'finite', negative, sig: frac, exp: 1 - f.bias - (f.p - 1) };
  }
  return { cls: 'finite', negative, sig: frac | (1n << BigInt(f.p - 1)), exp: e - f.bias - (f.p - 1) };
}

const isNaN = (u: Unpacked): boolean => u.cls === 'qnan' || u.cls === 'snan';
const zero = (negative: boolean, f: FloatFormat): bigint => (negative ? f.signBit : 0n);
const inf = (negative: boolean, f: FloatFormat): bigint => zero(negative, f) | f.expMask;
const nan = (f: FloatFormat, flags: number): FpResult => ({ bits: f.canonicalNaN, flags });
const snanFlag = (...us: Unpacked[]): number => (us.some((u) => u.cls === 'snan') ? Flag.NV : 0);

/** The exact sum of two signed finite values (sig × 2^exp each), or null when it is zero. */
function exactSum(an: boolean, as: bigint, ae: number, bn: boolean, bs: bigint, be: number): { negative: boolean; sig: bigint; exp: number } | null {
  const e = Math.min(ae, be);
  const a = (as << BigInt(ae - e)) * (an ? -1n : 1n);
  const b = (bs << BigInt(be - e)) * (bn ? -1n : 1n);
  const s = a + b;
  if (s === 0n) return null;
  return { negative: s < 0n, sig: s < 0n ? -s : s, exp: e };
}

export function add(a: bigint, b: bigint, f: FloatFormat, rm: Rm, subtract = false): FpResult {
  const x = unpack(a, f);
  const y = unpack(b, f);
  if (subtract) y.negative = !y.negative;
  if (isNaN(x) || isNaN(y)) return nan(f, snanFlag(x, y));
  if (x.cls === 'inf' || y.cls === 'inf') {
    if (x.cls === 'inf' && y.cls === 'inf' && x.negative !== y.negative) return nan(f, Flag.NV);
    return { bits: inf(x.cls === 'inf' ? x.negative : y.negative, f), flags: 0 };
  }
  if (x.cls === 'zero' && y.cls === 'zero') {
    const negative = x.negative === y.negative ? x.negative : rm === Rm.RDN;
    return { bits: zero(negative, f), flags: 0 };
  }
  if (x.cls === 'zero') return roundPack(y.negative, y.sig, y.exp, f, rm);
  if (y.cls === 'zero') return roundPack(x.negative, x.sig, x.exp, f, rm);
  const s = exactSum(x.negative, x.sig, x.exp, y.negative, y.sig, y.exp);
  if (s === null) return { bits: zero(rm === Rm.RDN, f), flags: 0 };
  return roundPack(s.negative, s.sig, s.exp, f, rm);
}

export function mul(a: bigint, b: bigint, f: FloatFormat, rm: Rm): FpResult {
  const x = unpack(a, f);
  const y = unpack(b, f);
  const negative = x.negative !== y.negative;
  if (isNaN(x) || isNaN(y)) return nan(f, snanFlag(x, y));
  if (x.cls === 'inf' || y.cls === 'inf') {
    if (x.cls === 'zero' || y.cls === 'zero') return nan(f, Flag.NV);
    return { bits: inf(negative, f), flags: 0 };
  }
  if (x.cls === 'zero' || y.cls === 'zero') return { bits: zero(negative, f), flags: 0 };
  return roundPack(negative, x.sig * y.sig, x.exp + y.exp, f, rm);
}

export function div(a: bigint, b: bigint, f: FloatFormat, rm: Rm): FpResult {
  const x = unpack(a, f);
  const y = unpack(b, f);
  const negative = x.negative !== y.negative;
  if (isNaN(x) || isNaN(y)) return nan(f, snanFlag(x, y));
  if (x.cls === 'inf') return y.cls === 'inf' ? nan(f, Flag.NV) : { bits: inf(negative, f), flags: 0 };
  if (y.cls === 'inf') return { bits: zero(negative, f), flags: 0 };
  if (y.cls === 'zero') return x.cls === 'zero' ? nan(f, Flag.NV) : { bits: inf(negative, f), flags: Flag.DZ };
  if (x.cls === 'zero') return { bits: zero(negative, f), flags: 0 };
  // A quotient of at least p + 2 bits, the remainder as sticky.
  const k = f.p + 3 + y.sig.toString(2).length;
  const num = x.sig << BigInt(k);
  const q = num / y.sig;
  return roundPack(negative, q, x.exp - y.exp - k, f, rm, q * y.sig !== num);
}

/** The integer square root (floor) of n >= 0. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: bigint, f: FloatFormat, rm: Rm): FpResult {
  const x = unpack(a, f);
  if (isNaN(x)) return nan(f, snanFlag(x));
  if (x.cls === 'zero') return { bits: a, flags: 0 };
  if (x.negative) return nan(f, Flag.NV);
  if (x.cls === 'inf') return { bits: a, flags: 0 };
  let sig = x.sig, exp = x.exp;
  if (exp & 1) {
    sig <<= 1n;
    exp -= 1;
  }
  // Scale by an even power so the root has at least p + 2 bits, even for the smallest subnormal.
  const shift = 4 * f.p + 8;
  const n = sig << BigInt(shift);
  const r = isqrt(n);
  return roundPack(false, r, (exp - shift) / 2, f, rm, r * r !== n);
}

/**
 * (a × b) + c rounded once; `negateProduct` and `negateAddend` give fmsub (c negated), fnmsub (product negated)
 * and fnmadd (both).
 */
export function fma(a: bigint, b: bigint, c: bigint, f: FloatFormat, rm: Rm, negateProduct: boolean, negateAddend: boolean): FpResult {
  const x = unpack(a, f);
  const y = unpack(b, f);
  const z = unpack(c, f);
  // ∞ × 0 is invalid even when the addend is a quiet NaN (the F extension says so).
  const infTimesZero = (x.cls === 'inf' && y.cls === 'zero') || (x.cls === 'zero' && y.cls === 'inf');
  if (isNaN(x) || isNaN(y) || isNaN(z)) return nan(f, snanFlag(x, y, z) | (infTimesZero ? Flag.NV : 0));
  if (infTimesZero) return nan(f, Flag.NV);
  const pn = (x.negative !== y.negative) !== negateProduct;
  const zn = z.negative !== negateAddend;
  if (x.cls === 'inf' || y.cls === 'inf') {
    if (z.cls === 'inf' && zn !== pn) return nan(f, Flag.NV);
    return { bits: inf(pn, f), flags: 0 };
  }
  if (z.cls === 'inf') return { bits: inf(zn, f), flags: 0 };
  const productZero = x.cls === 'zero' || y.cls === 'zero';
  if (productZero && z.cls === 'zero') {
    return { bits: zero(pn === zn ? pn : rm === Rm.RDN, f), flags: 0 };
  }
  if (productZero) return roundPack(zn, z.sig, z.exp, f, rm);
  if (z.cls === 'zero') return roundPack(pn, x.sig * y.sig, x.exp + y.exp, f, rm);
  const s = exactSum(pn, x.sig * y.sig, x.exp + y.exp, zn, z.sig, z.exp);
  if (s === null) return { bits: zero(rm === Rm.RDN, f), flags: 0 };
  return roundPack(s.negative, s.sig, s.exp, f, rm);
}

/** Converts between S and D (widening is exact; narrowing rounds). */
export function convert(a: bigint, from: FloatFormat, to: FloatFormat, rm: Rm): FpResult {
  const x = unpack(a, from);
  if (isNaN(x)) return nan(to, snanFlag(x));
  if (x.cls === 'inf') return { bits: inf(x.negative, to), flags: 0 };
  if (x.cls === 'zero') return { bits: zero(x.negative, to), flags: 0 };
  return roundPack(x.negative, x.sig, x.exp, to, rm);
}

/** An integer type of fcvt: its width and signedness. */
export interface IntType {
  bits: 32 | 64;
  signed: boolean;
}

/**
 * A float to an integer (fcvt.w/wu/l/lu): rounded in `rm`; NaN, infinities and values out of range give NV and
 * the saturated value (NaN as the largest). The result is the integer's two's complement in 64 bits, W forms
 * sign-extended from 32 (as the register gets it).
 */
export function toInt(a: bigint, f: FloatFormat, t: IntType, rm: Rm): FpResult {
  const x = unpack(a, f);
  const w = BigInt(t.bits);
  const max = t.signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  const min = t.signed ? -(1n << (w - 1n)) : 0n;
  const out = (v: bigint, flags: number): FpResult => ({ bits: BigInt.asUintN(64, BigInt.asIntN(t.bits, v)), flags });
  if (isNaN(x)) return out(max, Flag.NV);
  if (x.cls === 'inf') return out(x.negative ? min : max, Flag.NV);
  if (x.cls === 'zero') return out(0n, 0);
  const r = roundShift(x.sig, -x.exp, x.negative, rm);
  const v = x.negative ? -r.q : r.q;
  if (v > max) return out(max, Flag.NV);
  if (v < min) return out(min, Flag.NV);
  return out(v, r.inexact ? Flag.NX : 0);
}

/** An integer (its 64-bit register value, read as `t` says) to a float (fcvt.s/d.w/wu/l/lu). */
export function fromInt(reg: bigint, t: IntType, f: FloatFormat, rm: Rm): FpResult {
  const v = t.signed ? BigInt.asIntN(t.bits, reg) : BigInt.asUintN(t.bits, reg);
  if (v === 0n) return { bits: 0n, flags: 0 };
  return roundPack(v < 0n, v < 0n ? -v : v, 0, f, rm);
}

/** -1, 0, 1 for finite or infinite values (with -0 = +0); null when either is a NaN. */
function compare(x: Unpacked, y: Unpacked): number | null {
  if (isNaN(x) || isNaN(y)) return null;
  const key = (u: Unpacked): [number, bigint, number] => {
    if (u.cls === 'zero') return [0, 0n, 0];
    if (u.cls === 'inf') return [u.negative ? -1 : 1, 0n, 1e9];
    return [u.negative ? -1 : 1, u.sig, u.exp];
  };
  const [sx, mx, ex] = key(x);
  const [sy, my, ey] = key(y);
  if (sx !== sy) return sx < sy ? -1 : 1;
  if (sx === 0) return 0;
  // Same sign: compare magnitudes exactly.
  let mag: number;
  if (ex === 1e9 || ey === 1e9) mag = ex === ey ? 0 : ex === 1e9 ? 1 : -1;
  else {
    const e = Math.min(ex, ey);
    const a = mx << BigInt(ex - e), b = my << BigInt(ey - e);
    mag = a === b ? 0 : a > b ? 1 : -1;
  }
  return sx > 0 ? mag : -mag;
}

/** feq (quiet: NV only for a signalling NaN), flt and fle (signalling: NV for any NaN). 1 or 0. */
export function compareOp(a: bigint, b: bigint, f: FloatFormat, op: 'eq' | 'lt' | 'le'): FpResult {
  const x = unpack(a, f), y = unpack(b, f);
  const r = compare(x, y);
  if (r === null) return { bits: 0n, flags: op === 'eq' ? snanFlag(x, y) : Flag.NV };
  const v = op === 'eq' ? r === 0 : op === 'lt' ? r < 0 : r <= 0;
  return { bits: v ? 1n : 0n, flags: 0 };
}

/** fmin / fmax (IEEE 754-2019 minimumNumber/maximumNumber): -0 < +0; one NaN gives the other operand. */
export function minMax(a: bigint, b: bigint, f: FloatFormat, max: boolean): FpResult {
  const x = unpack(a, f), y = unpack(b, f);
  const flags = snanFlag(x, y);
  if (isNaN(x) && isNaN(y)) return nan(f, flags);
  if (isNaN(x)) return { bits: b, flags };
  if (isNaN(y)) return { bits: a, flags };
  let r = compare(x, y) as number;
  if (r === 0 && x.cls === 'zero') r = x.negative === y.negative ? 0 : x.negative ? -1 : 1;
  return { bits: (max ? r >= 0 : r <= 0) ? a : b, flags };
}

/** fclass: one bit of ten. */
export function classify(a: bigint, f: FloatFormat): number {
  const x = unpack(a, f);
  const subnormal = x.cls === 'finite' && (a & f.expMask) === 0n;
  switch (x.cls) {
    case 'inf': return x.negative ? 1 << 0 : 1 << 7;
    case 'finite':
      if (subnormal) return x.negative ? 1 << 2 : 1 << 5;
      return x.negative ? 1 << 1 : 1 << 6;
    case 'zero': return x.negative ? 1 << 3 : 1 << 4;
    case 'snan': return 1 << 8;
    default: return 1 << 9;
  }
}

export { F32, F64 };
