/**
 * The F/D registers for people: their ABI names as objdump and gdb print them, and the number a raw 64-bit pattern
 * holds. A single lives NaN-boxed in an f register (its upper 32 bits all ones), so such a pattern reads as the
 * single it boxes; anything else as a double. NaNs keep their payload in sight, as gdb prints them (`nan(0x8000000000000)`),
 * since a payload is what tells a canonical NaN from a propagated one.
 */

export const FP_ABI_NAMES = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
] as const;

const BOX = 0xffff_ffff_0000_0000n;

/** Whether the upper half of `bits` is all ones: the register holds a single (the lower half). */
export function isNanBoxed(bits: bigint): boolean {
  return (bits & BOX) === BOX;
}

/** `float 1.5` for a NaN-boxed single, `double 0.1` otherwise. */
export function fpValue(bits: bigint): string {
  return isNanBoxed(bits) ? `float ${singleText(Number(bits & 0xffff_ffffn))}` : `double ${doubleText(bits)}`;
}

/** A double's value: the shortest decimal that reads back to the same bits (what JS prints), or inf/nan(payload). */
export function doubleText(bits: bigint): string {
  const sign = bits >> 63n === 1n ? '-' : '';
  const exponent = (bits >> 52n) & 0x7ffn, mantissa = bits & ((1n << 52n) - 1n);
  if (exponent === 0x7ffn) return mantissa === 0n ? `${sign}inf` : `${sign}nan(0x${mantissa.toString(16)})`;
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return numberText(view.getFloat64(0));
}

/** A single's value: the shortest decimal that reads back to the same single, or inf/nan(payload). */
export function singleText(bits: number): string {
  const sign = bits >>> 31 === 1 ? '-' : '';
  const exponent = (bits >>> 23) & 0xff, mantissa = bits & 0x7f_ffff;
  if (exponent === 0xff) return mantissa === 0 ? `${sign}inf` : `${sign}nan(0x${mantissa.toString(16)})`;
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits);
  const value = view.getFloat32(0);
  if (value === 0) return numberText(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return numberText(Number(text));
  }
  return numberText(value);
}

/** JS's shortest form, with -0 kept (String(-0) is "0"). */
function numberText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

const FLAGS = ['NX', 'UF', 'OF', 'DZ', 'NV'] as const;
const ROUNDING = ['RNE (round to nearest, ties to even)', 'RTZ (round towards zero)', 'RDN (round down)', 'RUP (round up)',
  'RMM (round to nearest, ties to max magnitude)'];

/** fflags as gdb lists it: `NV:0 DZ:0 OF:1 UF:0 NX:1`. */
export function fflagsText(fflags: number): string {
  return [...FLAGS].reverse().map((name) => `${name}:${(fflags >> FLAGS.indexOf(name)) & 1}`).join(' ');
}

/** frm by name; 5 and 6 are reserved, 7 (DYN) is not a mode the register may hold usefully: both say invalid. */
export function frmText(frm: number): string {
  return ROUNDING[frm] ?? `invalid (${frm})`;
}
