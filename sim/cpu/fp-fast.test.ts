import { describe, expect, it } from 'vitest';
import { F32, F64, Rm } from '../fpu/index.js';
import * as sf from '../fpu/softfloat.js';
import { runtimeExports } from './runtime-fns.js';

// The fused multiply-add emulation of the fast path (runtime-fns.ts) against the exact slow path (sim/fpu), on
// seeded random operands weighted towards the hard cases: products that almost cancel the addend, ties, sums
// whose exact value needs far more than 53 bits. Whenever the emulation answers (a normal result), its answer
// must be the exact one rounded once.

const rt = runtimeExports() as unknown as Record<'fmad' | 'fmas', (a: bigint, b: bigint, c: bigint) => bigint>;
const view = new DataView(new ArrayBuffer(8));
const bitsOf = (d: number): bigint => { view.setFloat64(0, d); return view.getBigUint64(0); };
const valueOf = (b: bigint): number => { view.setBigUint64(0, b); return view.getFloat64(0); };

function xorshift(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

describe('fused multiply-add emulation (fast path)', () => {
  it('doubles: every answer it gives is the correctly rounded one (40,000 cases)', () => {
    const rnd = xorshift(0x5eed);
    const r64 = (): bigint => (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
    const operand = (): bigint => {
      const k = rnd();
      if (k < 0.4) return bitsOf((rnd() - 0.5) * 2 ** Math.floor(rnd() * 80 - 40));
      if (k < 0.6) return bitsOf(Math.floor((rnd() - 0.5) * 200));
      return (r64() & ~(0x7ffn << 52n)) | (BigInt(Math.floor(rnd() * 1500) + 270) << 52n);
    };
    let answered = 0;
    for (let i = 0; i < 40_000; i++) {
      const a = operand(), b = operand();
      // A third of the addends nearly cancel the product: the case a separate multiply and add gets wrong.
      const c = rnd() < 0.35 ? bitsOf(-(valueOf(a) * valueOf(b))) ^ BigInt(Math.floor(rnd() * 8)) : operand();
      const got = BigInt.asUintN(64, rt.fmad(a, b, c));
      const exp = Number((got >> 52n) & 0x7ffn);
      if (exp === 0 || exp === 0x7ff) continue;
      answered++;
      expect(got, `fma(${a.toString(16)}, ${b.toString(16)}, ${c.toString(16)})`).toBe(sf.fma(a, b, c, F64, Rm.RNE, false, false).bits);
    }
    expect(answered).toBeGreaterThan(20_000);
  });

  it('singles (boxed): every answer is the correctly rounded one (40,000 cases)', () => {
    const rnd = xorshift(0xf32);
    const r32 = (): bigint => BigInt(Math.floor(rnd() * 2 ** 32));
    const box = (v: bigint): bigint => 0xffff_ffff_0000_0000n | v;
    let answered = 0;
    for (let i = 0; i < 40_000; i++) {
      const [a, b, c] = [r32(), r32(), r32()];
      if ([a, b, c].some((v) => ((v >> 23n) & 0xffn) === 0xffn)) continue;
      const got = BigInt.asUintN(64, rt.fmas(box(a), box(b), box(c)));
      const exp = Number((got >> 23n) & 0xffn);
      if (exp === 0 || exp === 0xff) continue;
      answered++;
      expect(got).toBe(box(sf.fma(a, b, c, F32, Rm.RNE, false, false).bits));
    }
    expect(answered).toBeGreaterThan(10_000);
  });
});
