import type { RuntimeFn } from '../isa/index.js';
import { Code } from '../wasm/code.js';
import { ModuleBuilder } from '../wasm/module.js';
import { Op, ValType } from '../wasm/opcodes.js';

const { I32, I64 } = ValType;

/**
 * Helper functions that the instruction semantics call (Sem.fn), defined in every module built from the table:
 * the high half of 64x64-bit products, and division with RISC-V's answers where WebAssembly would trap (division
 * by zero gives all ones, or the dividend for a remainder; the overflowing MIN / -1 gives MIN, remainder 0).
 */
export function addRuntimeFns(m: ModuleBuilder): Record<RuntimeFn, number> {
  const mulhu = m.func(mulhuCode());
  const fns: Record<RuntimeFn, number> = {
    mulhu,
    mulh: m.func(signedMulh(mulhu, true)),
    mulhsu: m.func(signedMulh(mulhu, false)),
    div: m.func(divide(I64, 'div')),
    divu: m.func(divide(I64, 'divu')),
    rem: m.func(divide(I64, 'rem')),
    remu: m.func(divide(I64, 'remu')),
    divw: m.func(divide(I32, 'div')),
    divuw: m.func(divide(I32, 'divu')),
    remw: m.func(divide(I32, 'rem')),
    remuw: m.func(divide(I32, 'remu')),
    fmad: m.func(fmaDouble()),
    fmas: m.func(fmaSingle()),
  };
  return fns;
}

const SIGNATURES: Record<RuntimeFn, 'i64' | 'i32' | 'i64x3'> = {
  mulhu: 'i64', mulh: 'i64', mulhsu: 'i64', div: 'i64', divu: 'i64', rem: 'i64', remu: 'i64',
  divw: 'i32', divuw: 'i32', remw: 'i32', remuw: 'i32', fmad: 'i64x3', fmas: 'i64x3',
};

let shared: WebAssembly.Module | null = null;

/**
 * The helpers as a module of their own, compiled once per process: compiled regions import them instead of each
 * batch's module carrying (and compiling) its own copies.
 */
export function runtimeExports(): Record<RuntimeFn, WebAssembly.ExportValue> {
  if (shared === null) {
    const m = new ModuleBuilder();
    for (const [name, index] of Object.entries(addRuntimeFns(m))) m.export(name, index);
    shared = new WebAssembly.Module(m.encode());
  }
  return new WebAssembly.Instance(shared).exports as Record<RuntimeFn, WebAssembly.ExportValue>;
}

/** Imports the helpers (from env, as runtimeExports gives them) into a module being built. */
export function importRuntimeFns(m: ModuleBuilder): Record<RuntimeFn, number> {
  const fns = {} as Record<RuntimeFn, number>;
  for (const [name, type] of Object.entries(SIGNATURES) as [RuntimeFn, 'i64' | 'i32' | 'i64x3'][]) {
    const t = type === 'i32' ? I32 : I64;
    fns[name] = m.importFunc('env', name, type === 'i64x3' ? [t, t, t] : [t, t], [t]);
  }
  return fns;
}

/** The unsigned high 64 bits of a * b, from four 32x32-bit partial products. */
function mulhuCode(): Code {
  const c = new Code([I64, I64], [I64]);
  const [a, b] = [0, 1];
  const p01 = c.local(I64), p10 = c.local(I64), mid = c.local(I64);
  const lo = (v: number) => c.get(v).i64(0xffff_ffff).op(Op.i64_and);
  const hi = (v: number) => c.get(v).i64(32).op(Op.i64_shr_u);
  lo(a); hi(b); c.op(Op.i64_mul).set(p01);
  hi(a); lo(b); c.op(Op.i64_mul).set(p10);
  // mid = (a0*b0 >> 32) + lo(p01) + lo(p10): at most 3 * (2^32 - 1), no overflow.
  lo(a); lo(b); c.op(Op.i64_mul).i64(32).op(Op.i64_shr_u);
  lo(p01); c.op(Op.i64_add);
  lo(p10); c.op(Op.i64_add).set(mid);
  hi(a); hi(b); c.op(Op.i64_mul);
  hi(p01); c.op(Op.i64_add);
  hi(p10); c.op(Op.i64_add);
  hi(mid); c.op(Op.i64_add);
  return c;
}

/** mulh (both signed) or mulhsu (a signed): the unsigned product's high half, corrected for negative operands. */
function signedMulh(mulhu: number, bothSigned: boolean): Code {
  const c = new Code([I64, I64], [I64]);
  c.get(0).get(1).call(mulhu);
  // - (a < 0 ? b : 0)
  c.get(1).get(0).i64(63).op(Op.i64_shr_s).op(Op.i64_and).op(Op.i64_sub);
  if (bothSigned) c.get(0).get(1).i64(63).op(Op.i64_shr_s).op(Op.i64_and).op(Op.i64_sub);
  return c;
}

function divide(type: typeof ValType.I32 | typeof ValType.I64, kind: 'div' | 'divu' | 'rem' | 'remu'): Code {
  const c = new Code([type, type], [type]);
  const w = type === I64;
  const zero = () => (w ? c.i64(0) : c.i32(0));
  const minusOne = () => (w ? c.i64(-1) : c.i32(-1));
  // By zero: all ones for a quotient, the dividend for a remainder.
  c.get(1);
  zero();
  c.op(w ? Op.i64_eq : Op.i32_eq).if();
  if (kind === 'div' || kind === 'divu') minusOne(); else c.get(0);
  c.ret().end();
  if (kind === 'div') {
    // MIN / -1 overflows: the quotient is MIN (WebAssembly traps). (rem_s gives 0 there without trapping.)
    c.get(1);
    minusOne();
    c.op(w ? Op.i64_eq : Op.i32_eq);
    c.get(0);
    if (w) c.i64(0, 0x8000_0000 | 0); else c.i32(0x8000_0000 | 0);
    c.op(w ? Op.i64_eq : Op.i32_eq).op(Op.i32_and).then().get(0).ret().end();
  }
  const ops = w
    ? { div: Op.i64_div_s, divu: Op.i64_div_u, rem: Op.i64_rem_s, remu: Op.i64_rem_u }
    : { div: Op.i32_div_s, divu: Op.i32_div_u, rem: Op.i32_rem_s, remu: Op.i32_rem_u };
  c.get(0).get(1).op(ops[kind]);
  return c;
}

/** What the fused multiply-adds return when they cannot give the exact answer: the slow path must. */
export const FMA_SLOW = 0x7ff8_0000_0000_0000n;

/**
 * Pushes (sum, error) of TwoSum(x, y) into locals s and e: s = RN(x + y), s + e = x + y exactly (Knuth; exact
 * for any finite x, y whose sum does not overflow).
 */
function twoSum(c: Code, x: number, y: number, s: number, e: number, bb: number): void {
  c.get(x).get(y).op(Op.f64_add).set(s);
  c.get(s).get(x).op(Op.f64_sub).set(bb);
  // e = (x - (s - bb)) + (y - bb)
  c.get(x).get(s).get(bb).op(Op.f64_sub).op(Op.f64_sub);
  c.get(y).get(bb).op(Op.f64_sub).op(Op.f64_add).set(e);
}

/** Rounds s (with error e beside it) to odd: when inexact and s's last bit is even, one ulp towards e. */
function roundToOdd(c: Code, s: number, e: number): void {
  c.get(e).f64(0).op(Op.f64_ne).get(s).op(Op.i64_reinterpret_f64).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and).if();
  c.get(s).op(Op.i64_reinterpret_f64);
  // Same signs: the magnitude grows (bits + 1); else it shrinks (bits - 1).
  c.i64(1).i64(-1);
  c.get(s).op(Op.i64_reinterpret_f64).get(e).op(Op.i64_reinterpret_f64).op(Op.i64_xor).i64(0).op(Op.i64_ge_s);
  c.op(Op.select).op(Op.i64_add).op(Op.f64_reinterpret_i64).set(s);
  c.end();
}

/** The f64 locals the double FMA emulation works in (allocated once per function). */
interface FmaLocals {
  a: number; b: number; z: number; ah: number; al: number; bh: number; bl: number; t: number;
  uh: number; ul: number; th: number; tl: number; v: number; e: number; tmp: number;
}

const fmaLocals = new WeakMap<Code, FmaLocals>();

/** The emulation's locals in `c`, made on first use. */
function fmaLocalsOf(c: Code): FmaLocals {
  let l = fmaLocals.get(c);
  if (l === undefined) {
    const f = (): number => c.local(ValType.F64);
    l = { a: f(), b: f(), z: f(), ah: f(), al: f(), bh: f(), bl: f(), t: f(), uh: f(), ul: f(), th: f(), tl: f(), v: f(), e: f(), tmp: f() };
    fmaLocals.set(c, l);
  }
  return l;
}

/**
 * fma for doubles: sets the i64 local `r` to the bits of RN(a × b + c) (a, b, c: i64 locals holding bits), or to
 * FMA_SLOW. Boldo and Melquiond's emulation ("Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd", IEEE TC 2008): the exact product as uh + ul (Veltkamp/Dekker), th + tl = c + uh (TwoSum),
 * v = RO(tl + ul), result RN(th + v). Valid without underflow or overflow, which the operand window guarantees.
 * A NaN or infinity among the operands gives a NaN, an infinity or FMA_SLOW. The caller has checked the mode is
 * round-to-nearest-even with inexact already set, and checks the result is a normal number. (Emitting it inline
 * at each fmadd instead of calling the runtime function measured no faster on bench-nbody.)
 */
function emitFmaDouble(c: Code, ab: number, bb_: number, cb: number, r: number): void {
  const { a, b, z, ah, al, bh, bl, t, uh, ul, th, tl, v, e, tmp } = fmaLocalsOf(c);
  const exp = (x: number) => c.get(x).i64(52).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(0x7ff).op(Op.i32_and);
  const done = c.block();
  c.get(ab).op(Op.f64_reinterpret_i64).set(a);
  c.get(bb_).op(Op.f64_reinterpret_i64).set(b);
  c.get(cb).op(Op.f64_reinterpret_i64).set(z);
  // A zero factor: the product is an exact signed zero and one rounding of its sum is the answer.
  c.get(ab).i64(1).op(Op.i64_shl).op(Op.i64_eqz).get(bb_).i64(1).op(Op.i64_shl).op(Op.i64_eqz).op(Op.i32_or).if();
  c.get(a).get(b).op(Op.f64_mul).get(z).op(Op.f64_add).op(Op.i64_reinterpret_f64).set(r).br(done);
  c.end();
  // Factors within 2^±450 and an addend below 2^1000: no intermediate overflows, and the product's error term
  // (about 2^-106 of it) is a normal number.
  c.i64(0, 0x7ff8_0000).set(r);
  exp(ab);
  c.i32(1023 - 450).op(Op.i32_sub).i32(900).op(Op.i32_gt_u);
  exp(bb_);
  c.i32(1023 - 450).op(Op.i32_sub).i32(900).op(Op.i32_gt_u).op(Op.i32_or);
  exp(cb);
  c.i32(1023 + 1000).op(Op.i32_gt_u).op(Op.i32_or).brIf(done);
  // Veltkamp splitting with 2^27 + 1.
  const split = (x: number, hi: number, lo: number) => {
    c.get(x).f64(134217729).op(Op.f64_mul).set(t);
    c.get(t).get(t).get(x).op(Op.f64_sub).op(Op.f64_sub).set(hi);
    c.get(x).get(hi).op(Op.f64_sub).set(lo);
  };
  split(a, ah, al);
  split(b, bh, bl);
  c.get(a).get(b).op(Op.f64_mul).set(uh);
  // ul = ((ah*bh - uh) + ah*bl + al*bh) + al*bl
  c.get(ah).get(bh).op(Op.f64_mul).get(uh).op(Op.f64_sub);
  c.get(ah).get(bl).op(Op.f64_mul).op(Op.f64_add);
  c.get(al).get(bh).op(Op.f64_mul).op(Op.f64_add);
  c.get(al).get(bl).op(Op.f64_mul).op(Op.f64_add).set(ul);
  twoSum(c, z, uh, th, tl, tmp);
  twoSum(c, tl, ul, v, e, tmp);
  roundToOdd(c, v, e);
  c.get(th).get(v).op(Op.f64_add).op(Op.i64_reinterpret_f64).set(r);
  c.end();
}

function fmaDouble(): Code {
  const c = new Code([I64, I64, I64], [I64]);
  const r = c.local(I64);
  emitFmaDouble(c, 0, 1, 2, r);
  c.get(r);
  return c;
}

/**
 * fma for singles (boxed bits in, boxed bits out), or FMA_SLOW: the product of two singles is exact in a double;
 * its sum with c rounded to odd in double precision (53 >= 24 + 2 bits) then rounded to single is correctly
 * rounded. Singles never overflow or underflow a double's range.
 */
function fmaSingle(): Code {
  const c = new Code([I64, I64, I64], [I64]);
  const F64 = ValType.F64;
  const p = c.local(F64), z = c.local(F64), s = c.local(F64), e = c.local(F64), tmp = c.local(F64);
  const single = (x: number) => c.get(x).op(Op.i32_wrap_i64).op(Op.f32_reinterpret_i32).op(Op.f64_promote_f32);
  single(0);
  single(1);
  c.op(Op.f64_mul).set(p);
  single(2);
  c.set(z);
  twoSum(c, p, z, s, e, tmp);
  roundToOdd(c, s, e);
  c.get(s).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).i64(0, -1).op(Op.i64_or);
  return c;
}
