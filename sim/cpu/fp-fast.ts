import type { InsnRow, RuntimeFn } from '../isa/index.js';
import type { Code, Label } from '../wasm/code.js';
import { Op, Simd } from '../wasm/opcodes.js';
import { hostFma } from './host-fma.js';
import { S } from './layout.js';

/**
 * The F/D fast paths: WebAssembly's own float arithmetic where it gives exactly what the slow path would, so a
 * hot FP loop never leaves compiled code. The rule is QEMU's "hardfloat" one: with round-to-nearest-even and
 * inexact already raised (programs raise it early and keep it), an operation on finite operands whose result is
 * a normal number (or an exact zero) can raise no flag that is not already set, and WebAssembly's IEEE
 * operations round exactly as RISC-V does. Anything else (a NaN or infinity, a result that overflows or is tiny,
 * another rounding mode, inexact not yet set, an improperly boxed single) goes to the slow path, which is exact.
 */
export interface FastSem {
  readonly c: Code;
  f(field: 'rs1' | 'rs2' | 'rs3'): Code;
  setFd(value: () => void): void;
  setRd(value: () => void): void;
  x(reg: 'rs1' | 'rs2'): Code;
  x32(reg: 'rs1' | 'rs2'): Code;
  tmp64(i: 0 | 1 | 2 | 3): number;
  tmp32(i: 0 | 1 | 2 | 3): number;
  /** Pushes the instruction's rounding-mode field (i32). */
  rmField(): void;
  /** Pushes 1 when the effective rounding mode is `mode` and inexact is already raised (the tier knows how). */
  fastMode(mode: number): void;
  fn(name: RuntimeFn): number;
}

const D_EXP = 0x7ff, S_EXP = 0xff;

/** Pushes 1 when the rounding-mode field is valid (a static mode, or dynamic with a valid frm). */
function rmValid(s: FastSem): void {
  const c = s.c;
  const rm = s.tmp32(0);
  s.rmField();
  c.tee(rm).i32(5).op(Op.i32_lt_u);
  c.get(rm).i32(7).op(Op.i32_eq).i32(0).mem(Op.i32_load, S.FCSR).i32(5).op(Op.i32_shr_u).i32(5).op(Op.i32_lt_u).op(Op.i32_and);
  c.op(Op.i32_or);
}

/** Pushes the exponent field of the i64 in `local` (double) or of its low word (single). */
function expOf(c: Code, local: number, single: boolean): void {
  if (single) c.get(local).i64(23).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(S_EXP).op(Op.i32_and);
  else c.get(local).i64(52).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(D_EXP).op(Op.i32_and);
}

/** Pushes 1 when the i64 in `local` is a properly NaN-boxed single. */
function boxed(c: Code, local: number): void {
  c.get(local).i64(32).op(Op.i64_shr_u).i64(0xffff_ffff).op(Op.i64_eq);
}

/** Pushes 1 when the value's magnitude bits (all but the sign) are zero. */
function isZero(c: Code, local: number, single: boolean): void {
  if (single) c.get(local).op(Op.i32_wrap_i64).i32(1).op(Op.i32_shl).op(Op.i32_eqz);
  else c.get(local).i64(1).op(Op.i64_shl).op(Op.i64_eqz);
}

/** Pushes the float in `local` (f64, or f32 from the low word). */
function asFloat(c: Code, local: number, single: boolean): void {
  if (single) c.get(local).op(Op.i32_wrap_i64).op(Op.f32_reinterpret_i32);
  else c.get(local).op(Op.f64_reinterpret_i64);
}

/** Pops a float result into `local` as the register's bits (singles boxed). */
function fromFloat(c: Code, local: number, single: boolean): void {
  if (single) c.op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).i64(0, -1).op(Op.i64_or).set(local);
  else c.op(Op.i64_reinterpret_f64).set(local);
}

type Arith = 'add' | 'sub' | 'mul' | 'div' | 'sqrt';
const ARITH_OPS: Record<Arith, [number, number]> = {
  add: [Op.f32_add, Op.f64_add], sub: [Op.f32_sub, Op.f64_sub], mul: [Op.f32_mul, Op.f64_mul],
  div: [Op.f32_div, Op.f64_div], sqrt: [Op.f32_sqrt, Op.f64_sqrt],
};

function arith(s: FastSem, slow: Label, op: Arith, single: boolean): void {
  const c = s.c;
  const a = s.tmp64(0), b = s.tmp64(1), r = s.tmp64(2);
  const emax = single ? S_EXP : D_EXP;
  const unary = op === 'sqrt';
  s.fastMode(0);
  c.op(Op.i32_eqz).brIf(slow);
  s.f('rs1');
  c.set(a);
  if (!unary) {
    s.f('rs2');
    c.set(b);
  }
  if (single) {
    boxed(c, a);
    if (!unary) { boxed(c, b); c.op(Op.i32_and); }
    c.op(Op.i32_eqz).brIf(slow);
  }
  // No operand check: a NaN or infinity in makes a NaN or infinity out (caught below), except x / ±∞ = ±0, whose
  // operand is then non-zero (caught below too); sqrt of a negative number is a NaN.
  asFloat(c, a, single);
  if (!unary) asFloat(c, b, single);
  c.op(ARITH_OPS[op][single ? 0 : 1]);
  fromFloat(c, r, single);
  // The result: an overflow (infinity) or a NaN is never fast; a sum or difference that is tiny is exact (no
  // flag); a product or quotient that is tiny or zero is fast only when exactly zero because an operand was; a
  // square root is never tiny.
  expOf(c, r, single);
  c.i32(emax).op(Op.i32_eq).brIf(slow);
  if (op === 'mul' || op === 'div') {
    expOf(c, r, single);
    c.op(Op.i32_eqz).if();
    isZero(c, a, single);
    if (op === 'mul') { isZero(c, b, single); c.op(Op.i32_or); }
    c.op(Op.i32_eqz).brIf(slow);
    c.end();
  }
  s.setFd(() => c.get(r));
}

/**
 * fmadd, fmsub, fnmsub, fnmadd: the sign changes are exact, so each is one fused multiply-add on (possibly
 * negated) operands: the host's FMA instruction where it has one (host-fma.ts), else the runtime's emulation
 * (runtime-fns.ts); a zero, tiny or infinite result is left to the slow path.
 */
function fused(s: FastSem, slow: Label, kind: string, single: boolean): void {
  const c = s.c;
  const a = s.tmp64(0), b = s.tmp64(1), z = s.tmp64(2), r = s.tmp64(3);
  const emax = single ? S_EXP : D_EXP;
  const [slo, shi] = single ? [0x8000_0000 | 0, 0] : [0, 0x8000_0000 | 0];
  s.fastMode(0);
  c.op(Op.i32_eqz).brIf(slow);
  s.f('rs1');
  c.set(a);
  s.f('rs2');
  c.set(b);
  s.f('rs3');
  c.set(z);
  if (single) {
    boxed(c, a);
    boxed(c, b);
    c.op(Op.i32_and);
    boxed(c, z);
    c.op(Op.i32_and).op(Op.i32_eqz).brIf(slow);
  }
  // A NaN or infinity in gives a NaN or infinity out, or the emulation's FMA_SLOW: no operand check.
  const negateProduct = kind === 'fnmsub' || kind === 'fnmadd';
  const negateAddend = kind === 'fmsub' || kind === 'fnmadd';
  if (negateProduct) c.get(a).i64(slo, shi).op(Op.i64_xor).set(a);
  if (negateAddend) c.get(z).i64(slo, shi).op(Op.i64_xor).set(z);
  if (single ? hostFma().single : hostFma().double) {
    const [splat, madd, extract] = single
      ? [Simd.f32x4_splat, Simd.f32x4_relaxed_madd, Simd.f32x4_extract_lane]
      : [Simd.f64x2_splat, Simd.f64x2_relaxed_madd, Simd.f64x2_extract_lane];
    for (const v of [a, b, z]) {
      asFloat(c, v, single);
      c.simd(splat);
    }
    c.simd(madd).simd(extract, 0);
    fromFloat(c, r, single);
  } else {
    c.get(a).get(b).get(z).call(s.fn(single ? 'fmas' : 'fmad')).set(r);
  }
  // A normal result: exponent field in 1 .. emax - 1.
  expOf(c, r, single);
  c.i32(1).op(Op.i32_sub).i32(emax - 1).op(Op.i32_ge_u).brIf(slow);
  s.setFd(() => c.get(r));
}

/**
 * Reads f[rs1] and f[rs2] into the first two i64 scratch locals (returned); for singles, leaves for the slow path
 * unless both are properly boxed.
 */
function twoOperands(s: FastSem, slow: Label, single: boolean): [number, number] {
  const c = s.c;
  const a = s.tmp64(0), b = s.tmp64(1);
  s.f('rs1');
  c.set(a);
  s.f('rs2');
  c.set(b);
  if (single) {
    boxed(c, a);
    boxed(c, b);
    c.op(Op.i32_and).op(Op.i32_eqz).brIf(slow);
  }
  return [a, b];
}

/** fsgnj, fsgnjn, fsgnjx: bit operations (singles only when both are boxed). */
function signInject(s: FastSem, slow: Label, kind: 'j' | 'jn' | 'jx', single: boolean): void {
  const c = s.c;
  const [a, b] = twoOperands(s, slow, single);
  const [lo, hi] = single ? [0x8000_0000 | 0, 0] : [0, 0x8000_0000 | 0];
  s.setFd(() => {
    if (kind === 'jx') {
      c.get(a).get(b).i64(lo, hi).op(Op.i64_and).op(Op.i64_xor);
      return;
    }
    c.get(a).i64(~lo, ~hi).op(Op.i64_and);
    c.get(b);
    if (kind === 'jn') c.i64(-1, -1).op(Op.i64_xor);
    c.i64(lo, hi).op(Op.i64_and).op(Op.i64_or);
  });
}

/** feq, flt, fle on two non-NaN values: no flag can be raised. */
function compare(s: FastSem, slow: Label, kind: 'eq' | 'lt' | 'le', single: boolean): void {
  const c = s.c;
  const [a, b] = twoOperands(s, slow, single);
  // Not a NaN: the magnitude bits are at most infinity's.
  for (const v of [a, b]) {
    if (single) c.get(v).op(Op.i32_wrap_i64).i32(0x7fff_ffff).op(Op.i32_and).i32(0x7f80_0000).op(Op.i32_gt_u).brIf(slow);
    else c.get(v).i64(-1, 0x7fff_ffff).op(Op.i64_and).i64(0, 0x7ff0_0000).op(Op.i64_gt_u).brIf(slow);
  }
  s.setRd(() => {
    asFloat(c, a, single);
    asFloat(c, b, single);
    const ops = { eq: [Op.f32_eq, Op.f64_eq], lt: [Op.f32_lt, Op.f64_lt], le: [Op.f32_le, Op.f64_le] }[kind];
    c.op(ops[single ? 0 : 1]).op(Op.i64_extend_i32_u);
  });
}

/**
 * Emits the fast path of a row, branching to `slow` when it does not apply; returns false for rows without one.
 * On success the code falls through with the result written.
 */
export function emitFastPath(s: FastSem, row: InsnRow, slow: Label): boolean {
  const c = s.c;
  const m = /^f(add|sub|mul|div|sqrt)\.([sd])$/.exec(row.name);
  if (m !== null) {
    arith(s, slow, m[1] as Arith, m[2] === 's');
    return true;
  }
  const f = /^(fn?m(?:add|sub))\.([sd])$/.exec(row.name);
  if (f !== null) {
    fused(s, slow, f[1], f[2] === 's');
    return true;
  }
  const j = /^fsgnj(n|x)?\.([sd])$/.exec(row.name);
  if (j !== null) {
    signInject(s, slow, (j[1] === undefined ? 'j' : `j${j[1]}`) as 'j' | 'jn' | 'jx', j[2] === 's');
    return true;
  }
  const q = /^f(eq|lt|le)\.([sd])$/.exec(row.name);
  if (q !== null) {
    compare(s, slow, q[1] as 'eq' | 'lt' | 'le', q[2] === 's');
    return true;
  }
  switch (row.name) {
    case 'fmv.x.d': s.setRd(() => s.f('rs1')); return true;
    case 'fmv.d.x': s.setFd(() => s.x('rs1')); return true;
    case 'fmv.x.w': s.setRd(() => { s.f('rs1'); c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s); }); return true;
    case 'fmv.w.x': s.setFd(() => { s.x('rs1'); c.i64(-1, 0).op(Op.i64_and).i64(0, -1).op(Op.i64_or); }); return true;
    case 'fcvt.d.w': case 'fcvt.d.wu':
      // Exact: only the rounding-mode field must be valid.
      rmValid(s);
      c.op(Op.i32_eqz).brIf(slow);
      s.setFd(() => { s.x32('rs1'); c.op(row.name === 'fcvt.d.w' ? Op.f64_convert_i32_s : Op.f64_convert_i32_u).op(Op.i64_reinterpret_f64); });
      return true;
    case 'fcvt.d.l': case 'fcvt.d.lu':
      s.fastMode(0);
      c.op(Op.i32_eqz).brIf(slow);
      s.setFd(() => { s.x('rs1'); c.op(row.name === 'fcvt.d.l' ? Op.f64_convert_i64_s : Op.f64_convert_i64_u).op(Op.i64_reinterpret_f64); });
      return true;
    case 'fcvt.w.d': case 'fcvt.l.d': {
      // C's casts round towards zero: in range, the only possible flag is inexact.
      const a = s.tmp64(0);
      s.fastMode(1);
      c.op(Op.i32_eqz).brIf(slow);
      s.f('rs1');
      c.set(a);
      const [lo, hi] = row.name === 'fcvt.w.d' ? [-2147483649, 2147483648] : [-9223372036854775808, 9223372036854775808];
      // NaN fails both comparisons.
      c.get(a).op(Op.f64_reinterpret_i64).f64(lo).op(row.name === 'fcvt.w.d' ? Op.f64_gt : Op.f64_ge);
      c.get(a).op(Op.f64_reinterpret_i64).f64(hi).op(Op.f64_lt).op(Op.i32_and).op(Op.i32_eqz).brIf(slow);
      s.setRd(() => {
        c.get(a).op(Op.f64_reinterpret_i64);
        if (row.name === 'fcvt.w.d') c.truncSat(2).op(Op.i64_extend_i32_s); else c.truncSat(6);
      });
      return true;
    }
    default:
      return false;
  }
}
