import { setFlagsFromString } from 'node:v8';
import { Code } from '../wasm/code.js';
import { ModuleBuilder } from '../wasm/module.js';
import { Simd, ValType } from '../wasm/opcodes.js';

const { F32, F64 } = ValType;

/**
 * Whether this host fuses WebAssembly's relaxed multiply-add, for doubles and for singles. Relaxed SIMD's madd is
 * "a × b + c, fused or not, as the hardware prefers": V8 emits the host's FMA instruction (x86 FMA3, arm64 fmla)
 * when it has one, in both of its compilers (the same macro-assembler routine), and a multiply then an add when
 * not. Fused, it is exactly RISC-V's fmadd in round-to-nearest-even, one instruction instead of the emulation's
 * ~40 dependent operations (runtime-fns.ts). So it is used only after this probe has seen it fuse on cases where
 * the two differ; otherwise the emulation stays. Both give the correctly rounded result, so a journal recorded
 * on one host replays the same on the other: the choice changes speed, never the guest.
 *
 * Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4): it is turned on before the first
 * module is compiled. Where the flag does not exist the probe module fails validation and the answer is no.
 */
export interface HostFma {
  double: boolean;
  single: boolean;
}

let probed: HostFma | null = null;

export function hostFma(): HostFma {
  if (probed === null) probed = probe();
  return probed;
}

function probe(): HostFma {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const m = new ModuleBuilder();
  for (const [name, type, splat, madd, extract] of [
    ['fma64', F64, Simd.f64x2_splat, Simd.f64x2_relaxed_madd, Simd.f64x2_extract_lane],
    ['fma32', F32, Simd.f32x4_splat, Simd.f32x4_relaxed_madd, Simd.f32x4_extract_lane],
  ] as const) {
    const c = new Code([type, type, type], [type]);
    c.get(0).simd(splat).get(1).simd(splat).get(2).simd(splat).simd(madd).simd(extract, 0);
    m.export(name, m.func(c));
  }
  const bytes = m.encode();
  if (!WebAssembly.validate(bytes)) return { double: false, single: false };
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<'fma64' | 'fma32', (a: number, b: number, c: number) => number>;
  // (1 + u)(1 - u/2) - 1 = u/2 - u²/2 exactly; unfused, the product rounds to 1 and the answer is 0.
  const u64 = 2 ** -52, u32 = 2 ** -23;
  const double = [1, -1].every((s) => e.fma64(s * (1 + u64), 1 - u64 / 2, -s) === s * (u64 / 2 - (u64 * u64) / 2));
  const single = [1, -1].every((s) => e.fma32(Math.fround(s * (1 + u32)), Math.fround(1 - u32 / 2), -s) === Math.fround(s * (u32 / 2 - (u32 * u32) / 2)));
  return { double, single };
}
