import { describe, expect, it } from 'vitest';
import { F32, F64, Rm } from '../fpu/index.js';
import * as sf from '../fpu/softfloat.js';
import { encode } from '../isa/index.js';
import { GuestRam } from '../memory.js';
import { Hart } from './hart.js';
import { hostFma } from './host-fma.js';
import { TIERS } from './jit.js';
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

/** Seeded fma operand triples (doubles), weighted towards the hard cases. */
function doubleCases(seed: number, n: number): [bigint, bigint, bigint][] {
  const rnd = xorshift(seed);
  const r64 = (): bigint => (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
  const operand = (): bigint => {
    const k = rnd();
    if (k < 0.4) return bitsOf((rnd() - 0.5) * 2 ** Math.floor(rnd() * 80 - 40));
    if (k < 0.6) return bitsOf(Math.floor((rnd() - 0.5) * 200));
    return (r64() & ~(0x7ffn << 52n)) | (BigInt(Math.floor(rnd() * 1500) + 270) << 52n);
  };
  return Array.from({ length: n }, () => {
    const a = operand(), b = operand();
    // A third of the addends nearly cancel the product: the case a separate multiply and add gets wrong.
    const c = rnd() < 0.35 ? bitsOf(-(valueOf(a) * valueOf(b))) ^ BigInt(Math.floor(rnd() * 8)) : operand();
    return [a, b, c];
  });
}

describe('fused multiply-add emulation (fast path)', () => {
  it('doubles: every answer it gives is the correctly rounded one (40,000 cases)', () => {
    let answered = 0;
    for (const [a, b, c] of doubleCases(0x5eed, 40_000)) {
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

// The tiers: fmadd.d and fnmsub.s as a hart runs them, fast path (the host's FMA instruction when host-fma.ts found
// one, else the emulation) or slow path, must give the exact result and flags on every case.
describe(`fused multiply-add in the tiers (host FMA: ${JSON.stringify(hostFma())})`, () => {
  const RAM_BASE = 0x8000_0000;
  function hartRunning(word: number, tier: (typeof TIERS)[number]): Hart {
    const ram = new GuestRam(RAM_BASE, 64 << 10);
    ram.write(RAM_BASE, new Uint8Array(new Uint32Array([word]).buffer));
    return new Hart(ram, { tier, batch: 1 });
  }
  for (const tier of TIERS) {
    it(`${tier}: fmadd.d and fnmsub.s answer exactly, flags included (2 x 4,000 cases)`, () => {
      const double = hartRunning(encode('fmadd.d', { rd: 3, rs1: 1, rs2: 2, rs3: 4, rm: 7 }), tier);
      const single = hartRunning(encode('fnmsub.s', { rd: 3, rs1: 1, rs2: 2, rs3: 4, rm: 7 }), tier);
      const rnd = xorshift(0xface);
      const box = (v: bigint): bigint => 0xffff_ffff_0000_0000n | v;
      const singles = Array.from({ length: 4_000 }, () => [0, 1, 2].map(() => BigInt(Math.floor(rnd() * 2 ** 32))) as [bigint, bigint, bigint]);
      for (const [hart, cases, isSingle] of [[double, doubleCases(0xd0b1e, 4_000), false], [single, singles, true]] as const) {
        for (const [a, b, c] of cases) {
          // Inexact already raised (as programs have it), dynamic rounding = RNE: the fast path's condition.
          hart.csr.fcsr = 1;
          hart.setFreg(1, isSingle ? box(a) : a);
          hart.setFreg(2, isSingle ? box(b) : b);
          hart.setFreg(4, isSingle ? box(c) : c);
          hart.pc = BigInt(RAM_BASE);
          hart.run(1);
          const want = isSingle ? sf.fma(a, b, c, F32, Rm.RNE, true, false) : sf.fma(a, b, c, F64, Rm.RNE, false, false);
          const what = `${isSingle ? 'fnmsub.s' : 'fmadd.d'}(${a.toString(16)}, ${b.toString(16)}, ${c.toString(16)})`;
          expect(hart.getFreg(3), what).toBe(isSingle ? box(want.bits) : want.bits);
          expect(hart.csr.fcsr, what).toBe(1 | want.flags);
        }
      }
    });
  }
});
