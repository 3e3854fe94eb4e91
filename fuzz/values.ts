/**
 * Random values shaped like what hindsight decodes (msgpack maps, integers at their edges, bigints, byte strings,
 * strings), and edits of a real value: the same field with another type, a value at an edge, a field gone or added.
 */
import type { Rng } from './rng.js';

const NUMBERS = [0, 1, -1, 2, 7, 31, 32, 99, 255, 256, 4096, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, 0.5, -0.0, Number.NaN, Infinity, -Infinity, 0x8000_0000 + 0x1000];
const STRINGS = ['', 'MMIO', 'RISCV_SBI', 'INTR', 'DEBUG', 'exit', 'answer', 'input', 'end', 'digest', 'set-reg', 'write-mem', 'kernel', 'initrd', 'riscv,sv39', '__proto__', 'constructor', 'a'.repeat(5000), 'é', '\u0000'];
const KEYS = ['t', 'seq', 'icount', 'pc', 'reason', 'exit', 'answer', 'input', 'kind', 'reg', 'value', 'addr', 'data', 'len', 'digest', 'exits', 'type', 'op', 'id', 'ret', 'action', 'role', 'token', 'protocol', 'extra', '__proto__'];

/** An own field, even one named `__proto__` (an assignment would set the prototype instead, as JSON.parse does not). */
function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A random msgpack-able value, at most `depth` levels deep. */
export function randomValue(rng: Rng, depth = 2): unknown {
  switch (rng.int(depth > 0 ? 9 : 7)) {
    case 0: return rng.pick(NUMBERS);
    case 1: return rng.int(1000);
    case 2: return rng.u64() - (rng.chance(0.2) ? 1n << 63n : 0n);
    case 3: return rng.pick(STRINGS);
    case 4: return rng.chance(0.5);
    case 5: return null;
    case 6: return rng.bytes(rng.pick([0, 1, 2, 3, 4, 8, 9, 64, 70_000]));
    case 7: return Array.from({ length: rng.pick([0, 1, 2, 6, 32, 33]) }, () => randomValue(rng, depth - 1));
    default: {
      const m: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) setKey(m, rng.pick(KEYS), randomValue(rng, depth - 1));
      return m;
    }
  }
}

/** A copy of `value` with one edit somewhere inside it (a field's value replaced, removed, or a field added). */
export function mutateValue(rng: Rng, value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length > 0 && rng.chance(0.7)) {
      const i = rng.int(copy.length);
      copy[i] = rng.chance(0.5) ? mutateValue(rng, copy[i]) : randomValue(rng, 1);
    } else if (rng.chance(0.5)) copy.push(randomValue(rng, 1));
    else copy.pop();
    return copy;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(copy, k, v);
    const keys = Object.keys(copy);
    const r = rng.int(10);
    if (keys.length > 0 && r < 6) {
      const k = rng.pick(keys);
      setKey(copy, k, rng.chance(0.5) ? mutateValue(rng, copy[k]) : randomValue(rng, 1));
    } else if (keys.length > 0 && r < 8) {
      delete copy[rng.pick(keys)];
    } else {
      setKey(copy, rng.pick(KEYS), randomValue(rng, 1));
    }
    return copy;
  }
  if (typeof value === 'number') return rng.chance(0.5) ? value + rng.pick([1, -1, 2 ** 32, 0.5]) : rng.pick(NUMBERS);
  if (typeof value === 'bigint') return rng.chance(0.5) ? value + 1n : rng.u64();
  if (value instanceof Uint8Array) {
    const copy = Uint8Array.from(value);
    if (copy.length > 0 && rng.chance(0.6)) copy[rng.int(copy.length)] ^= 1 << rng.int(8);
    else return rng.bytes(rng.pick([0, 1, 3, 9]));
    return copy;
  }
  return randomValue(rng, 1);
}
