import { describe, expect, it } from 'vitest';
import { disassemble } from '../isa/index.js';
import { Stop } from './hart.js';
import { Cause } from './trap.js';
import { a0, a1, BASE, exitPc, exitTval, load, peek, RAM_BASE } from './test-helpers.js';
import type { TierOptions } from './jit.js';

// F and D on the hart, one instruction family at a time, under the interpreter and with every block compiled.
// Words were assembled with riscv64-unknown-elf-as -march=rv64gc (objdump -M no-aliases in the comments); the
// expected results are IEEE 754 values worked out by hand, and the flags are fflags' bits: NV 16, DZ 8, OF 4,
// UF 2, NX 1.

const fa0 = 10, fa1 = 11, fa2 = 12, fa3 = 13;
const buf = new DataView(new ArrayBuffer(8));
const bitsOf = (d: number): bigint => { buf.setFloat64(0, d); return buf.getBigUint64(0); };
const single = (f: number): bigint => { buf.setFloat32(0, f); return 0xffff_ffff_0000_0000n | BigInt(buf.getUint32(0)); };
const CANONICAL_NAN = 0x7ff8_0000_0000_0000n;
const FS_DIRTY = 0x6000;

interface Run {
  f?: Record<number, bigint>;
  x?: Record<number, bigint>;
  /** fcsr before: frm << 5 | fflags. */
  fcsr?: number;
}

// batch 1: every block is compiled when first reached and runs compiled at once.
for (const tier of [{ tier: 'interp' }, { tier: 'jit', batch: 1 }] as TierOptions[]) {
  /** Runs the instructions (one word each, halfwords for compressed ones) and returns the hart. */
  const exec = (words: number[], r: Run = {}) => {
    const m = load(words, r.x ?? {}, 64 << 10, tier);
    for (const [i, v] of Object.entries(r.f ?? {})) m.hart.setFreg(Number(i), v);
    m.hart.csr.fcsr = r.fcsr ?? 0;
    const stop = m.hart.run(words.length);
    return { ...m, stop, fflags: m.hart.csr.fcsr & 0x1f };
  };

  describe(`F and D (${tier.tier})`, () => {
    it('fadd.d rounds as its rm says: 1 + 2^-53 is a tie (rne: to even, 1, NX); rtz: 1; NaN inputs give the canonical NaN', () => {
      const one = bitsOf(1), half = bitsOf(2 ** -53);
      let m = exec([0x02c5f553], { f: { [fa1]: one, [fa2]: half } }); // fadd.d fa0,fa1,fa2 (dyn, frm = rne)
      expect(m.hart.getFreg(fa0)).toBe(one);
      expect(m.fflags).toBe(1);
      m = exec([0x02c5f553], { f: { [fa1]: one, [fa2]: half }, fcsr: 3 << 5 }); // frm = rup
      expect(m.hart.getFreg(fa0)).toBe(one + 1n);
      m = exec([0x02c59553], { f: { [fa1]: one, [fa2]: bitsOf(3 * 2 ** -53) } }); // fadd.d fa0,fa1,fa2,rtz
      expect(m.hart.getFreg(fa0)).toBe(one + 1n);
      m = exec([0x02c5f553], { f: { [fa1]: 0x7ff0_0000_0000_0001n, [fa2]: one } }); // sNaN + 1
      expect(m.hart.getFreg(fa0)).toBe(CANONICAL_NAN);
      expect(m.fflags).toBe(16);
      expect(m.hart.csr.sstatus & FS_DIRTY).toBe(FS_DIRTY);
    });

    it('fdiv.d: 1/0 = +inf with DZ; 0/0 NV; a tiny quotient raises UF and NX; overflow raises OF and NX', () => {
      let m = exec([0x1ac5f553], { f: { [fa1]: bitsOf(1), [fa2]: bitsOf(0) } }); // fdiv.d fa0,fa1,fa2
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(Infinity));
      expect(m.fflags).toBe(8);
      m = exec([0x1ac5f553], { f: { [fa1]: bitsOf(0), [fa2]: bitsOf(0) } });
      expect(m.hart.getFreg(fa0)).toBe(CANONICAL_NAN);
      expect(m.fflags).toBe(16);
      m = exec([0x1ac5f553], { f: { [fa1]: bitsOf(2 ** -1022), [fa2]: bitsOf(3) } });
      expect(m.fflags).toBe(3);
      m = exec([0x1ac5f553], { f: { [fa1]: bitsOf(1e308), [fa2]: bitsOf(1e-10) }, fcsr: 1 });
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(Infinity));
      expect(m.fflags).toBe(5);
    });

    it('fsqrt.d: sqrt(2) is inexact; sqrt(-0) = -0; sqrt(-1) is NV and the canonical NaN', () => {
      let m = exec([0x5a05f553], { f: { [fa1]: bitsOf(2) }, fcsr: 1 }); // fsqrt.d fa0,fa1 (NX set: the fast path)
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(Math.SQRT2));
      m = exec([0x5a05f553], { f: { [fa1]: bitsOf(-0) } });
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(-0));
      expect(m.fflags).toBe(0);
      m = exec([0x5a05f553], { f: { [fa1]: bitsOf(-1) }, fcsr: 1 });
      expect(m.hart.getFreg(fa0)).toBe(CANONICAL_NAN);
      expect(m.fflags).toBe(17);
    });

    it('fmadd.d rounds once: 0.1 × 10 − 1 is 2^-54 (a separate multiply would give 0); ∞ × 0 + qNaN is NV', () => {
      for (const fcsr of [0, 1]) {
        const m = exec([0x6ac5f543], { f: { [fa1]: bitsOf(0.1), [fa2]: bitsOf(10), [fa3]: bitsOf(-1) }, fcsr }); // fmadd.d fa0,fa1,fa2,fa3
        expect(m.hart.getFreg(fa0)).toBe(bitsOf(2 ** -54));
        expect(m.fflags).toBe(fcsr);
      }
      const m = exec([0x6ac5f543], { f: { [fa1]: bitsOf(Infinity), [fa2]: bitsOf(0), [fa3]: CANONICAL_NAN } });
      expect(m.hart.getFreg(fa0)).toBe(CANONICAL_NAN);
      expect(m.fflags).toBe(16);
    });

    it('fmin.d: -0 is below +0; a quiet NaN gives the other operand; a signalling NaN raises NV', () => {
      let m = exec([0x2ac58553], { f: { [fa1]: bitsOf(0), [fa2]: bitsOf(-0) } }); // fmin.d fa0,fa1,fa2
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(-0));
      m = exec([0x2ac58553], { f: { [fa1]: CANONICAL_NAN, [fa2]: bitsOf(3) } });
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(3));
      expect(m.fflags).toBe(0);
      m = exec([0x2ac58553], { f: { [fa1]: 0x7ff0_0000_0000_0001n, [fa2]: bitsOf(3) } });
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(3));
      expect(m.fflags).toBe(16);
    });

    it('fcvt.w.d / fcvt.wu.d saturate with NV (NaN as the largest), round as rm says and sign-extend the word', () => {
      const cases: [number, number, bigint, number][] = [
        [0xc2059553, -1.5, 0xffff_ffff_ffff_ffffn, 1], // fcvt.w.d a0,fa1,rtz: -1, NX
        [0xc2059553, 3e9, 0x7fff_ffffn, 16], // out of range: INT32_MAX, NV
        [0xc2059553, NaN, 0x7fff_ffffn, 16],
        [0xc2159553, 3e9, 0xffff_ffff_b2d0_5e00n, 0], // fcvt.wu.d a0,fa1,rtz: 3000000000 sign-extended
        [0xc2159553, -1, 0n, 16], // negative to unsigned: 0, NV
        [0xc2159553, -0.5, 0n, 1], // rounds to zero first: NX only
      ];
      for (const [word, v, want, flags] of cases) {
        for (const fcsr of [0, 1]) {
          const m = exec([word], { f: { [fa1]: bitsOf(v) }, fcsr });
          expect(m.hart.getReg(a0), `${disassemble(word)} of ${v}`).toBe(want);
          expect(m.fflags, `${disassemble(word)} of ${v}`).toBe(flags | fcsr);
        }
      }
    });

    it('fcvt.s.d narrows (1/3 is inexact, boxed); fclass.d names each class', () => {
      let m = exec([0x4015f553], { f: { [fa1]: bitsOf(1 / 3) } }); // fcvt.s.d fa0,fa1
      expect(m.hart.getFreg(fa0)).toBe(single(1 / 3));
      expect(m.fflags).toBe(1);
      const classes: [bigint, bigint][] = [
        [bitsOf(-Infinity), 1n], [bitsOf(-1), 2n], [0x800f_ffff_ffff_ffffn, 4n], [bitsOf(-0), 8n], [bitsOf(0), 16n],
        [1n, 32n], [bitsOf(1), 64n], [bitsOf(Infinity), 128n], [0x7ff0_0000_0000_0001n, 256n], [CANONICAL_NAN, 512n],
      ];
      for (const [v, cls] of classes) {
        m = exec([0xe2059553], { f: { [fa1]: v } }); // fclass.d a0,fa1
        expect(m.hart.getReg(a0)).toBe(cls);
      }
    });

    it('singles are NaN-boxed: flw boxes, an improperly boxed operand reads as the canonical NaN', () => {
      let m = exec([0x0005a507], { x: { [a1]: BigInt(RAM_BASE) + 0x100n } }); // flw fa0,0(a1)
      expect(m.hart.getFreg(fa0)).toBe(0xffff_ffff_0000_0000n | peek(m.ram, RAM_BASE + 0x100, 4));
      m = exec([0x00c5f553], { f: { [fa1]: single(1.5), [fa2]: single(2) } }); // fadd.s fa0,fa1,fa2
      expect(m.hart.getFreg(fa0)).toBe(single(3.5));
      m = exec([0x00c5f553], { f: { [fa1]: 0x3fc0_0000n, [fa2]: single(2) } }); // upper half not all ones
      expect(m.hart.getFreg(fa0)).toBe(0xffff_ffff_7fc0_0000n);
    });

    it('c.fld / c.fsd move 64 bits unchanged (a signalling NaN stays one)', () => {
      const addr = BigInt(RAM_BASE) + 0x800n;
      const m = exec([0xa18c, 0x2188], { x: { [a1]: addr }, f: { [fa1]: 0x7ff0_0000_dead_beefn } }); // c.fsd fa1,0(a1); c.fld fa0,0(a1)
      expect(peek(m.ram, RAM_BASE + 0x800, 8)).toBe(0x7ff0_0000_dead_beefn);
      expect(m.hart.getFreg(fa0)).toBe(0x7ff0_0000_dead_beefn);
    });

    it('an invalid rounding mode is illegal: rm = 5 in the word, or frm = 5 with rm = dyn', () => {
      let m = exec([0x02c5d553]); // fadd.d with rm = 5
      expect(m.stop).toBe(Stop.Trap);
      expect(m.hart.icount).toBe(0);
      expect(m.hart.exit.scause).toBe(Cause.IllegalInst);
      expect(exitTval(m.hart.exit)).toBe(0x02c5d553n);
      m = exec([0x02c5f553], { fcsr: 5 << 5 }); // fadd.d dyn with frm = 5
      expect(m.hart.exit.scause).toBe(Cause.IllegalInst);
      expect(exitPc(m.hart.exit)).toBe(BASE);
    });

    it('with sstatus.FS = Off every F/D instruction and fcsr access is illegal', () => {
      // fadd.d, flw, frflags, fsd fa0,-8(a1); compressed: c.fld fa0,8(a1), c.fsdsp fa0,0(sp), c.fldsp fa1,504(sp),
      // c.fsd fs1,248(a5): stval holds the halfword fetched, as QEMU reports it.
      for (const word of [0x02c5f553, 0x0005a507, 0x00102573, 0xfea5bc27, 0x2588, 0xa02a, 0x35fe, 0xbfe4]) {
        const m = load([word], {}, 64 << 10, tier);
        m.hart.csr.sstatus &= ~FS_DIRTY;
        expect(m.hart.run(1)).toBe(Stop.Trap);
        expect(m.hart.exit.scause).toBe(Cause.IllegalInst);
        expect(exitTval(m.hart.exit), word.toString(16)).toBe(BigInt(word));
      }
    });

    it('fmv moves bits; feq/flt compare (NaN: 0, flt raises NV); fcvt.d.l rounds to nearest', () => {
      let m = exec([0xf20585d3, 0xe2058553], { x: { [a1]: 0x7ff0_0000_0000_0001n } }); // fmv.d.x fa1,a1; fmv.x.d a0,fa1
      expect(m.hart.getReg(a0)).toBe(0x7ff0_0000_0000_0001n);
      m = exec([0xa2c5a553], { f: { [fa1]: bitsOf(-0), [fa2]: bitsOf(0) } }); // feq.d a0,fa1,fa2
      expect(m.hart.getReg(a0)).toBe(1n);
      m = exec([0xa2c59553], { f: { [fa1]: CANONICAL_NAN, [fa2]: bitsOf(0) } }); // flt.d a0,fa1,fa2
      expect(m.hart.getReg(a0)).toBe(0n);
      expect(m.fflags).toBe(16);
      m = exec([0xd225f553], { x: { [a1]: (1n << 53n) + 1n } }); // fcvt.d.l fa0,a1
      expect(m.hart.getFreg(fa0)).toBe(bitsOf(2 ** 53));
      expect(m.fflags).toBe(1);
    });
  });
}

describe('F and D in the disassembler (objdump\'s syntax)', () => {
  it('prints rounding modes unless dynamic, f registers by ABI name, and the usual aliases', () => {
    expect(disassemble(0x02c5f553)).toBe('fadd.d fa0,fa1,fa2');
    expect(disassemble(0x02c59553)).toBe('fadd.d fa0,fa1,fa2,rtz');
    expect(disassemble(0x6ac5f543)).toBe('fmadd.d fa0,fa1,fa2,fa3');
    expect(disassemble(0xc2059553)).toBe('fcvt.w.d a0,fa1,rtz');
    expect(disassemble(0xd20787d3)).toBe('fcvt.d.w fa5,a5');
    expect(disassemble(0x22b59553)).toBe('fneg.d fa0,fa1');
    expect(disassemble(0x2188)).toBe('fld fa0,0(a1)');
    expect(disassemble(0xa18c)).toBe('fsd fa1,0(a1)');
    expect(disassemble(0x00102573)).toBe('frflags a0');
    expect(disassemble(0x0020d073)).toBe('fsrmi 1');
  });
});
