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
  };
  return fns;
}

const SIGNATURES: Record<RuntimeFn, 'i64' | 'i32'> = {
  mulhu: 'i64', mulh: 'i64', mulhsu: 'i64', div: 'i64', divu: 'i64', rem: 'i64', remu: 'i64',
  divw: 'i32', divuw: 'i32', remw: 'i32', remuw: 'i32',
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
  for (const [name, type] of Object.entries(SIGNATURES) as [RuntimeFn, 'i64' | 'i32'][]) {
    const t = type === 'i64' ? I64 : I32;
    fns[name] = m.importFunc('env', name, [t, t], [t]);
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
