/**
 * 64-bit integer arithmetic on 32-bit halves, for the instructions that are too large to inline in translated
 * code (M extension). Values are (lo, hi) pairs of int32; results return the low half and leave the high half in
 * `out.hi`. No BigInt: these run on the interpreter's hot path.
 */
export const out = { hi: 0 };

const TWO32 = 4294967296;

/** Full 64-bit product of two uint32; returns the low half, high half in out.hi. */
function mulU32(a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33
  const low = a0 * b0 + (mid % 65536) * 65536; // < 2^33
  out.hi = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / TWO32)) | 0;
  return low | 0;
}

export function mul(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = mulU32(alo, blo);
  out.hi = (out.hi + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  return lo;
}

/** High 64 bits of the unsigned 128-bit product. */
export function mulhu(alo: number, ahi: number, blo: number, bhi: number): number {
  mulU32(alo, blo);
  const p0hi = out.hi >>> 0;
  const p1lo = mulU32(alo, bhi) >>> 0;
  const p1hi = out.hi >>> 0;
  const p2lo = mulU32(ahi, blo) >>> 0;
  const p2hi = out.hi >>> 0;
  const p3lo = mulU32(ahi, bhi) >>> 0;
  const p3hi = out.hi;
  const carry = Math.floor((p0hi + p1lo + p2lo) / TWO32);
  const sum = p3lo + p1hi + p2hi + carry; // < 2^35
  out.hi = (p3hi + Math.floor(sum / TWO32)) | 0;
  return sum % TWO32 | 0;
}

function sub(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = (alo - blo) | 0;
  out.hi = (ahi - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
  return lo;
}

export function mulh(alo: number, ahi: number, blo: number, bhi: number): number {
  let lo = mulhu(alo, ahi, blo, bhi);
  let hi = out.hi;
  if (ahi < 0) { lo = sub(lo, hi, blo, bhi); hi = out.hi; }
  if (bhi < 0) { lo = sub(lo, hi, alo, ahi); hi = out.hi; }
  out.hi = hi;
  return lo;
}

export function mulhsu(alo: number, ahi: number, blo: number, bhi: number): number {
  let lo = mulhu(alo, ahi, blo, bhi);
  let hi = out.hi;
  if (ahi < 0) { lo = sub(lo, hi, blo, bhi); hi = out.hi; }
  out.hi = hi;
  return lo;
}

/** Unsigned 64/64 division; the remainder is left in `rem` (lo/hi). Divisor must be non-zero. */
const rem = { lo: 0, hi: 0 };

function divmodU(alo: number, ahi: number, blo: number, bhi: number): number {
  const a0 = alo >>> 0, a1 = ahi >>> 0, b0 = blo >>> 0, b1 = bhi >>> 0;
  if (b1 === 0) {
    if (a1 === 0) {
      const q = Math.floor(a0 / b0);
      rem.lo = (a0 - q * b0) | 0;
      rem.hi = 0;
      out.hi = 0;
      return q | 0;
    }
    // Long division in 16-bit digits keeps every intermediate below 2^48 (exact in a double).
    const qh = Math.floor(a1 / b0);
    let r = a1 - qh * b0;
    const n1 = r * 65536 + (a0 >>> 16);
    const q1 = Math.floor(n1 / b0);
    r = n1 - q1 * b0;
    const n0 = r * 65536 + (a0 & 0xffff);
    const q0 = Math.floor(n0 / b0);
    r = n0 - q0 * b0;
    rem.lo = r | 0;
    rem.hi = 0;
    out.hi = qh | 0;
    return (q1 * 65536 + q0) | 0;
  }
  // Divisor >= 2^32: quotient < 2^32; restoring shift-subtract over 64 bits.
  let qlo = 0, rlo = 0, rhi = 0;
  for (let i = 63; i >= 0; i--) {
    rhi = (rhi << 1) | (rlo >>> 31);
    rlo = (rlo << 1) | ((i >= 32 ? a1 >>> (i - 32) : a0 >>> i) & 1);
    if ((rhi >>> 0) > b1 || ((rhi >>> 0) === b1 && (rlo >>> 0) >= b0)) {
      const nlo = (rlo - blo) | 0;
      rhi = (rhi - bhi - ((rlo >>> 0) < b0 ? 1 : 0)) | 0;
      rlo = nlo;
      if (i < 32) qlo |= 1 << i;
    }
  }
  rem.lo = rlo;
  rem.hi = rhi;
  out.hi = 0;
  return qlo;
}

function neg(lo: number, hi: number): number {
  const nlo = (-lo) | 0;
  out.hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  return nlo;
}

export function divu(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) { out.hi = -1; return -1; }
  return divmodU(alo, ahi, blo, bhi);
}

export function remu(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) { out.hi = ahi; return alo; }
  divmodU(alo, ahi, blo, bhi);
  out.hi = rem.hi;
  return rem.lo;
}

export function div(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) { out.hi = -1; return -1; }
  if (ahi === (0x8000_0000 | 0) && alo === 0 && blo === -1 && bhi === -1) { out.hi = ahi; return 0; }
  const negA = ahi < 0, negB = bhi < 0;
  let ua = alo, uah = ahi, ub = blo, ubh = bhi;
  if (negA) { ua = neg(alo, ahi); uah = out.hi; }
  if (negB) { ub = neg(blo, bhi); ubh = out.hi; }
  const q = divmodU(ua, uah, ub, ubh);
  return negA !== negB ? neg(q, out.hi) : q;
}

export function remS(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) { out.hi = ahi; return alo; }
  if (ahi === (0x8000_0000 | 0) && alo === 0 && blo === -1 && bhi === -1) { out.hi = 0; return 0; }
  const negA = ahi < 0, negB = bhi < 0;
  let ua = alo, uah = ahi, ub = blo, ubh = bhi;
  if (negA) { ua = neg(alo, ahi); uah = out.hi; }
  if (negB) { ub = neg(blo, bhi); ubh = out.hi; }
  divmodU(ua, uah, ub, ubh);
  return negA ? neg(rem.lo, rem.hi) : ((out.hi = rem.hi), rem.lo);
}

/** 32-bit (W) forms: operands are the low halves; results are sign-extended by the caller. */
export function divw(a: number, b: number): number {
  if (b === 0) return -1;
  if (a === (0x8000_0000 | 0) && b === -1) return a;
  return (a / b) | 0;
}
export function divuw(a: number, b: number): number {
  if (b === 0) return -1;
  return ((a >>> 0) / (b >>> 0)) | 0;
}
export function remw(a: number, b: number): number {
  if (b === 0) return a;
  if (a === (0x8000_0000 | 0) && b === -1) return 0;
  return (a % b) | 0;
}
export function remuw(a: number, b: number): number {
  if (b === 0) return a;
  return ((a >>> 0) % (b >>> 0)) | 0;
}
