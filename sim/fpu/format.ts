/**
 * IEEE 754 binary formats as RISC-V's F and D use them, rounding modes and exception flags (fcsr's encodings).
 * Values cross this module as raw bit patterns (bigint): the exact slow path works on integers, never on JS doubles,
 * so NaN payloads and signs are never touched by the host's float unit.
 */
export interface FloatFormat {
  readonly name: 'S' | 'D';
  /** Significand bits including the hidden one (24, 53). */
  readonly p: number;
  /** Exponent field width (8, 11). */
  readonly ebits: number;
  readonly bias: number;
  readonly width: 32 | 64;
  readonly signBit: bigint;
  readonly expMask: bigint;
  readonly fracMask: bigint;
  /** The canonical quiet NaN RISC-V returns for every NaN result. */
  readonly canonicalNaN: bigint;
}

function format(name: 'S' | 'D', p: number, ebits: number): FloatFormat {
  const width = (p + ebits) as 32 | 64;
  const fracMask = (1n << BigInt(p - 1)) - 1n;
  const expMask = ((1n << BigInt(ebits)) - 1n) << BigInt(p - 1);
  return {
    name, p, ebits, bias: (1 << (ebits - 1)) - 1, width,
    signBit: 1n << BigInt(width - 1), expMask, fracMask,
    canonicalNaN: expMask | (1n << BigInt(p - 2)),
  };
}

export const F32 = format('S', 24, 8);
export const F64 = format('D', 53, 11);

/** Rounding modes (the rm field and frm). 7 in an instruction means "frm"; 5 and 6 are reserved. */
export const enum Rm { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4, DYN = 7 }

/** fflags bits. */
export const enum Flag { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 }

/** A result: the bits (a float's, or an integer's as two's complement for conversions) and the flags raised. */
export interface FpResult {
  bits: bigint;
  flags: number;
}
