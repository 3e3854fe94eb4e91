import { describe, expect, it } from 'vitest';
import { F32, F64, Flag, Rm } from './format.js';
import * as sf from './softfloat.js';

// The exact slow path on cases worked out by hand (bit patterns in hex: doubles 0x3ff0... = 1.0).

const one = 0x3ff0_0000_0000_0000n;
const minNormal = 0x0010_0000_0000_0000n;
const maxFinite = 0x7fef_ffff_ffff_ffffn;

describe('softfloat: rounding and flags', () => {
  it('rounds a tie to even in RNE and away in RMM; directed modes by sign', () => {
    const halfUlp = 0x3ca0_0000_0000_0000n; // 2^-53: 1 + 2^-53 is halfway between 1 and 1 + 2^-52
    expect(sf.add(one, halfUlp, F64, Rm.RNE)).toEqual({ bits: one, flags: Flag.NX });
    expect(sf.add(one, halfUlp, F64, Rm.RMM)).toEqual({ bits: one + 1n, flags: Flag.NX });
    expect(sf.add(one, halfUlp, F64, Rm.RUP).bits).toBe(one + 1n);
    expect(sf.add(one | F64.signBit, halfUlp | F64.signBit, F64, Rm.RDN).bits).toBe((one + 1n) | F64.signBit);
    expect(sf.add(one | F64.signBit, halfUlp | F64.signBit, F64, Rm.RTZ).bits).toBe(one | F64.signBit);
  });

  it('underflow is detected after rounding: a result that rounds up to the smallest normal is not tiny', () => {
    // (2^-1022 - 2^-1075) would need 54 bits: RNE rounds it to 2^-1022, which is normal: NX only.
    const justBelow = sf.mul(0x000f_ffff_ffff_ffffn, 0x3ff0_0000_0000_0001n, F64, Rm.RNE); // (2^-1022 - 2^-1074) * (1 + 2^-52)
    expect(justBelow).toEqual({ bits: minNormal, flags: Flag.NX });
    // min normal × 0.75 is subnormal and exact: no flag at all (UF needs inexact).
    expect(sf.mul(minNormal, 0x3fe8_0000_0000_0000n, F64, Rm.RNE)).toEqual({ bits: 0x000c_0000_0000_0000n, flags: 0 });
    // min normal / 3: subnormal and inexact: UF and NX.
    expect(sf.div(minNormal, 0x4008_0000_0000_0000n, F64, Rm.RNE).flags).toBe(Flag.UF | Flag.NX);
  });

  it('overflow gives infinity or the largest finite number as the mode says', () => {
    expect(sf.add(maxFinite, maxFinite, F64, Rm.RNE)).toEqual({ bits: 0x7ff0_0000_0000_0000n, flags: Flag.OF | Flag.NX });
    expect(sf.add(maxFinite, maxFinite, F64, Rm.RTZ).bits).toBe(maxFinite);
    expect(sf.add(maxFinite | F64.signBit, maxFinite | F64.signBit, F64, Rm.RUP).bits).toBe(maxFinite | F64.signBit);
  });

  it('x - x is +0, or -0 rounding down; sqrt(-0) = -0', () => {
    expect(sf.add(one, one, F64, Rm.RNE, true).bits).toBe(0n);
    expect(sf.add(one, one, F64, Rm.RDN, true).bits).toBe(F64.signBit);
    expect(sf.sqrt(F64.signBit, F64, Rm.RNE)).toEqual({ bits: F64.signBit, flags: 0 });
  });

  it('conversions to integers saturate with NV and round in the given mode', () => {
    const twoPoint5 = 0x4004_0000_0000_0000n;
    expect(sf.toInt(twoPoint5, F64, { bits: 32, signed: true }, Rm.RNE)).toEqual({ bits: 2n, flags: Flag.NX });
    expect(sf.toInt(twoPoint5, F64, { bits: 32, signed: true }, Rm.RMM)).toEqual({ bits: 3n, flags: Flag.NX });
    expect(sf.toInt(0x41e0_0000_0000_0000n, F64, { bits: 32, signed: true }, Rm.RTZ)).toEqual({ bits: 0x7fff_ffffn, flags: Flag.NV }); // 2^31
    expect(sf.toInt(0xc1e0_0000_0000_0000n, F64, { bits: 32, signed: true }, Rm.RTZ)).toEqual({ bits: 0xffff_ffff_8000_0000n, flags: 0 }); // -2^31
    expect(sf.toInt(F64.canonicalNaN, F64, { bits: 64, signed: false }, Rm.RTZ)).toEqual({ bits: 0xffff_ffff_ffff_ffffn, flags: Flag.NV });
  });

  it('narrowing rounds once; a signalling NaN becomes the canonical NaN with NV', () => {
    expect(sf.convert(0x3fd5_5555_5555_5555n, F64, F32, Rm.RNE)).toEqual({ bits: 0x3eaa_aaabn, flags: Flag.NX }); // 1/3
    expect(sf.convert(0x7ff0_0000_0000_0001n, F64, F32, Rm.RNE)).toEqual({ bits: F32.canonicalNaN, flags: Flag.NV });
  });

  it('fma rounds once and raises NV for ∞ × 0 even with a quiet NaN addend', () => {
    // 0.1 × 10 - 1: exactly 2^-54 (0.1 is slightly above a tenth); a rounded product would give 0.
    expect(sf.fma(0x3fb9_9999_9999_999an, 0x4024_0000_0000_0000n, one | F64.signBit, F64, Rm.RNE, false, false)).toEqual({ bits: 0x3c90_0000_0000_0000n, flags: 0 });
    expect(sf.fma(0x7ff0_0000_0000_0000n, 0n, F64.canonicalNaN, F64, Rm.RNE, false, false)).toEqual({ bits: F64.canonicalNaN, flags: Flag.NV });
  });

  it('fmin/fmax order -0 below +0; compares treat NaN as unordered', () => {
    expect(sf.minMax(0n, F64.signBit, F64, false).bits).toBe(F64.signBit);
    expect(sf.minMax(0n, F64.signBit, F64, true).bits).toBe(0n);
    expect(sf.compareOp(F64.canonicalNaN, one, F64, 'eq')).toEqual({ bits: 0n, flags: 0 });
    expect(sf.compareOp(F64.canonicalNaN, one, F64, 'le')).toEqual({ bits: 0n, flags: Flag.NV });
  });
});
