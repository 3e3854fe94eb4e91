import { F32, F64, FloatFormat, FpResult, Rm } from './format.js';
import * as sf from './softfloat.js';

/**
 * What each F/D instruction computes, by mnemonic, on its operands' raw bits: the slow path every tier falls back
 * to, and the reference the fast paths are tested against. Singles arrive NaN-boxed in 64-bit registers: a value
 * whose upper half is not all ones reads as the canonical NaN; results are written boxed.
 */
export interface FpOperands {
  /** f[rs1], f[rs2], f[rs3] (64-bit patterns). */
  a: bigint;
  b: bigint;
  c: bigint;
  /** x[rs1] (64-bit two's complement), for conversions from integers and fmv to f. */
  x: bigint;
  /** The effective rounding mode (0..4). */
  rm: Rm;
}

export interface FpOutcome extends FpResult {
  /** Where the result goes: an f register (64-bit pattern, singles boxed) or an x register. */
  dest: 'f' | 'x';
}

type Op = (o: FpOperands) => FpOutcome;

const BOX = 0xffff_ffff_0000_0000n;
const MASK32 = 0xffff_ffffn;

/** A single in a 64-bit register: its low half when properly boxed, else the canonical NaN. */
export function unbox(v: bigint): bigint {
  return (v & BOX) === BOX ? v & MASK32 : F32.canonicalNaN;
}

const toF = (f: FloatFormat, r: FpResult): FpOutcome => ({ bits: f === F32 ? BOX | r.bits : r.bits, flags: r.flags, dest: 'f' });
const toX = (r: FpResult): FpOutcome => ({ bits: r.bits, flags: r.flags, dest: 'x' });
const sext32 = (v: bigint): bigint => BigInt.asUintN(64, BigInt.asIntN(32, v));

const INT_TYPES: Record<string, sf.IntType> = {
  w: { bits: 32, signed: true }, wu: { bits: 32, signed: false }, l: { bits: 64, signed: true }, lu: { bits: 64, signed: false },
};

function opsFor(sfx: 's' | 'd', f: FloatFormat): Record<string, Op> {
  const val = (v: bigint): bigint => (f === F32 ? unbox(v) : v);
  const ops: Record<string, Op> = {
    [`fadd.${sfx}`]: (o) => toF(f, sf.add(val(o.a), val(o.b), f, o.rm)),
    [`fsub.${sfx}`]: (o) => toF(f, sf.add(val(o.a), val(o.b), f, o.rm, true)),
    [`fmul.${sfx}`]: (o) => toF(f, sf.mul(val(o.a), val(o.b), f, o.rm)),
    [`fdiv.${sfx}`]: (o) => toF(f, sf.div(val(o.a), val(o.b), f, o.rm)),
    [`fsqrt.${sfx}`]: (o) => toF(f, sf.sqrt(val(o.a), f, o.rm)),
    [`fmadd.${sfx}`]: (o) => toF(f, sf.fma(val(o.a), val(o.b), val(o.c), f, o.rm, false, false)),
    [`fmsub.${sfx}`]: (o) => toF(f, sf.fma(val(o.a), val(o.b), val(o.c), f, o.rm, false, true)),
    [`fnmsub.${sfx}`]: (o) => toF(f, sf.fma(val(o.a), val(o.b), val(o.c), f, o.rm, true, false)),
    [`fnmadd.${sfx}`]: (o) => toF(f, sf.fma(val(o.a), val(o.b), val(o.c), f, o.rm, true, true)),
    [`fsgnj.${sfx}`]: (o) => toF(f, { bits: (val(o.a) & ~f.signBit) | (val(o.b) & f.signBit), flags: 0 }),
    [`fsgnjn.${sfx}`]: (o) => toF(f, { bits: (val(o.a) & ~f.signBit) | (~val(o.b) & f.signBit), flags: 0 }),
    [`fsgnjx.${sfx}`]: (o) => toF(f, { bits: val(o.a) ^ (val(o.b) & f.signBit), flags: 0 }),
    [`fmin.${sfx}`]: (o) => toF(f, sf.minMax(val(o.a), val(o.b), f, false)),
    [`fmax.${sfx}`]: (o) => toF(f, sf.minMax(val(o.a), val(o.b), f, true)),
    [`feq.${sfx}`]: (o) => toX(sf.compareOp(val(o.a), val(o.b), f, 'eq')),
    [`flt.${sfx}`]: (o) => toX(sf.compareOp(val(o.a), val(o.b), f, 'lt')),
    [`fle.${sfx}`]: (o) => toX(sf.compareOp(val(o.a), val(o.b), f, 'le')),
    [`fclass.${sfx}`]: (o) => toX({ bits: BigInt(sf.classify(val(o.a), f)), flags: 0 }),
  };
  for (const [t, type] of Object.entries(INT_TYPES)) {
    ops[`fcvt.${t}.${sfx}`] = (o) => toX(sf.toInt(val(o.a), f, type, o.rm));
    ops[`fcvt.${sfx}.${t}`] = (o) => toF(f, sf.fromInt(o.x, type, f, o.rm));
  }
  return ops;
}

export const FP_OPS: Readonly<Record<string, Op>> = {
  ...opsFor('s', F32),
  ...opsFor('d', F64),
  'fcvt.s.d': (o) => toF(F32, sf.convert(o.a, F64, F32, o.rm)),
  'fcvt.d.s': (o) => toF(F64, sf.convert(unbox(o.a), F32, F64, o.rm)),
  // Moves copy bits: no unboxing, no NaN canonicalisation.
  'fmv.x.w': (o) => toX({ bits: sext32(o.a & MASK32), flags: 0 }),
  'fmv.w.x': (o) => toF(F32, { bits: o.x & MASK32, flags: 0 }),
  'fmv.x.d': (o) => toX({ bits: o.a, flags: 0 }),
  'fmv.d.x': (o) => toF(F64, { bits: o.x, flags: 0 }),
};
