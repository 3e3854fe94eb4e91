import { Flag, FloatFormat, Rm } from './format.js';

const bitLength = (v: bigint): number => v.toString(2).length;

/**
 * Rounds `sig` (a non-negative integer) shifted right by `shift` bits, in mode `rm`, for a value of sign `negative`.
 * Returns the rounded integer and whether anything was discarded.
 */
export function roundShift(sig: bigint, shift: number, negative: boolean, rm: Rm): { q: bigint; inexact: boolean } {
  if (shift <= 0) return { q: sig << BigInt(-shift), inexact: false };
  const s = BigInt(shift);
  let q = sig >> s;
  const rem = sig & ((1n << s) - 1n);
  if (rem === 0n) return { q, inexact: false };
  const half = 1n << (s - 1n);
  let up: boolean;
  switch (rm) {
    case Rm.RNE: up = rem > half || (rem === half && (q & 1n) === 1n); break;
    case Rm.RTZ: up = false; break;
    case Rm.RDN: up = negative; break;
    case Rm.RUP: up = !negative; break;
    default: up = rem >= half; break; // RMM
  }
  if (up) q += 1n;
  return { q, inexact: true };
}

/**
 * The value (-1)^negative × (sig + sticky·ε) × 2^exp rounded to `f` in mode `rm` (sig > 0; `sticky` says the exact
 * value lies strictly above sig × 2^exp by less than one unit of sig's last place, as a division's or square
 * root's remainder leaves it). Flags follow IEEE 754 with RISC-V's choice of tininess after rounding: UF is raised
 * when the result is inexact and, rounded to f's precision with an unbounded exponent, below the smallest normal.
 */
export function roundPack(negative: boolean, sig: bigint, exp: number, f: FloatFormat, rm: Rm, sticky = false): { bits: bigint; flags: number } {
  if (sticky) {
    // Two guard bits and a sticky bit decide every rounding the same way the infinite remainder would.
    sig = (sig << 2n) | 1n;
    exp -= 2;
  }
  const n = bitLength(sig);
  // The value is in [2^top, 2^(top+1)).
  const top = exp + n - 1;
  const emin = 1 - f.bias;
  const sign = negative ? f.signBit : 0n;
  let flags = 0;

  // Rounded with an unbounded exponent: decides tininess and, for normal results, is the result.
  const unbounded = roundShift(sig, n - f.p, negative, rm);
  let rtop = top;
  let q = unbounded.q;
  if (q >> BigInt(f.p) !== 0n) {
    q >>= 1n;
    rtop++;
  }
  if (top >= emin) {
    if (unbounded.inexact) flags |= Flag.NX;
    if (rtop > f.bias) return overflow(negative, f, rm);
    return { bits: sign | (BigInt(rtop + f.bias) << BigInt(f.p - 1)) | (q & f.fracMask), flags };
  }
  // Below the normal range: the last kept bit has weight 2^(emin - p + 1).
  const sub = roundShift(sig, emin - (f.p - 1) - exp, negative, rm);
  if (sub.inexact) {
    flags |= Flag.NX;
    if (rtop < emin) flags |= Flag.UF;
  }
  // A carry into bit p-1 is the smallest normal, whose encoding is exactly that.
  return { bits: sign | sub.q, flags };
}

function overflow(negative: boolean, f: FloatFormat, rm: Rm): { bits: bigint; flags: number } {
  const sign = negative ? f.signBit : 0n;
  const inf = sign | f.expMask;
  const maxFinite = sign | (f.expMask - (1n << BigInt(f.p - 1))) | f.fracMask;
  const toInf = rm === Rm.RNE || rm === Rm.RMM || (rm === Rm.RUP && !negative) || (rm === Rm.RDN && negative);
  return { bits: toInf ? inf : maxFinite, flags: Flag.OF | Flag.NX };
}
