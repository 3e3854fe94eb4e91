/**
 * V8 gives an object field the representation of the first value stored in it, and widening it later (a
 * small-integer field that receives a number of 2^31 or more, or a fraction) deoptimizes all optimized code that
 * read the object. For the hart and the MMU that is every translated block at once, and the blocks then take
 * thousands of runs each to be optimized again: a Linux boot lost most of its optimized blocks this way the first
 * time the guest idled (idleCycles) and the first time an MMIO fault carried a RAM-range address (trapGpa).
 * Fields that can hold such numbers are widened to doubles when the object is built, before any code reads them.
 */
export function widenToDouble(obj: object, fields: readonly string[]): void {
  const o = obj as Record<string, number>;
  for (const f of fields) {
    const value = o[f];
    if (typeof value !== 'number') throw new TypeError(`widenToDouble: ${f} is not a number field`);
    o[f] = 0.5;
    o[f] = value;
  }
}
