/**
 * F and D cases for the differential test: each seed is a case (runtime.ts's prologue and dump) whose body runs
 * FP operations one at a time on operands chosen to reach the corners of IEEE 754 and RISC-V's choices (±0,
 * ±∞, quiet and signalling NaNs with payloads, subnormals, the extreme normals, halfway cases, values around the
 * integer limits of the conversions, singles that are not properly NaN-boxed) in every rounding mode (static and
 * dynamic; with inexact already raised or not), and prints, after each, the destination register's 64 bits and fflags (as one character '@' + flags).
 * QEMU's softfloat is the reference: hindsight must print the same line for every operation.
 */
import { Rng } from './rng.js';
import { customCase, type GeneratedCase } from './generator.js';

const MASK64 = (1n << 64n) - 1n;
const BOX = 0xffff_ffff_0000_0000n;

/** Special doubles (bit patterns). */
const D_SPECIAL: readonly bigint[] = [
  0x0000_0000_0000_0000n, 0x8000_0000_0000_0000n, // ±0
  0x7ff0_0000_0000_0000n, 0xfff0_0000_0000_0000n, // ±inf
  0x7ff8_0000_0000_0000n, 0x7ff8_0000_0000_0123n, 0xfff8_0000_0000_0001n, // qNaN (canonical, payloads)
  0x7ff0_0000_0000_0001n, 0x7ff4_0000_0000_0000n, 0xfff0_0000_dead_beefn, // sNaN
  0x0000_0000_0000_0001n, 0x800f_ffff_ffff_ffffn, 0x0008_0000_0000_0000n, // subnormals
  0x0010_0000_0000_0000n, 0x8010_0000_0000_0001n, 0x7fef_ffff_ffff_ffffn, 0xffef_ffff_ffff_ffffn, // min/max normal
  0x3ff0_0000_0000_0000n, 0xbff0_0000_0000_0000n, 0x3fe0_0000_0000_0000n, 0x4000_0000_0000_0000n, // 1, -1, .5, 2
  0x3ff0_0000_0000_0001n, 0x3ca0_0000_0000_0000n, 0x3cb0_0000_0000_0000n, // 1+ulp, 2^-53, 2^-52 (halfway sums)
  0x3ff8_0000_0000_0000n, 0x4004_0000_0000_0000n, 0xc004_0000_0000_0000n, // 1.5, 2.5, -2.5 (ties to integer)
  0x41df_ffff_ffc0_0000n, 0x41e0_0000_0000_0000n, 0xc1e0_0000_0000_0000n, 0xc1e0_0000_0020_0000n, // ±2^31 area
  0x41ef_ffff_ffe0_0000n, 0x41f0_0000_0000_0000n, // 2^32 - 1, 2^32
  0x43e0_0000_0000_0000n, 0xc3e0_0000_0000_0000n, 0x43df_ffff_ffff_ffffn, 0x43f0_0000_0000_0000n, // ±2^63, 2^64
  0x3fd5_5555_5555_5555n, 0x4009_21fb_5444_2d18n, 0x0360_0000_0000_0000n, 0x7c90_0000_0000_0000n, // 1/3, pi, tiny, huge
];

/** Special singles (32-bit patterns; boxed when loaded unless a case chooses otherwise). */
const S_SPECIAL: readonly bigint[] = [
  0x0000_0000n, 0x8000_0000n, 0x7f80_0000n, 0xff80_0000n, 0x7fc0_0000n, 0x7fc0_0123n, 0xffc0_0001n,
  0x7f80_0001n, 0x7fa0_0000n, 0x0000_0001n, 0x807f_ffffn, 0x0040_0000n, 0x0080_0000n, 0x7f7f_ffffn, 0xff7f_ffffn,
  0x3f80_0000n, 0xbf80_0000n, 0x3f00_0000n, 0x3f80_0001n, 0x3380_0000n, 0x3400_0000n, 0x3fc0_0000n, 0x4020_0000n,
  0x4f00_0000n, 0xcf00_0000n, 0x4eff_ffffn, 0x4f80_0000n, 0x5f00_0000n, 0xdf00_0000n, 0x5f80_0000n, 0x3eaa_aaabn,
  0x0d80_0000n, 0x7100_0000n,
];

/** Integer operands for conversions to float (x registers). */
const X_SPECIAL: readonly bigint[] = [
  0n, 1n, MASK64, 1n << 63n, (1n << 63n) - 1n, 0x7fff_ffffn, 0xffff_ffff_8000_0000n, 0xffff_ffffn, 0x1_0000_0000n,
  (1n << 53n) + 1n, (1n << 24n) + 1n, 0x0020_0000_0000_0003n, 0xffff_ffff_ffff_fff7n, 0x8000_0001n,
];

interface OpSpec {
  name: string;
  /** Operand files of rd, rs1, rs2, rs3 (f or x), as the ISA table gives them. */
  files: string;
  /** Has a rounding-mode field. */
  rm: boolean;
  single: boolean;
}

function opsFor(sfx: 's' | 'd'): OpSpec[] {
  const single = sfx === 's';
  const o = (name: string, files: string, rm: boolean): OpSpec => ({ name: `${name}.${sfx}`, files, rm, single });
  const ints = ['w', 'wu', 'l', 'lu'];
  return [
    o('fadd', 'fff', true), o('fsub', 'fff', true), o('fmul', 'fff', true), o('fdiv', 'fff', true), o('fsqrt', 'ff', true),
    o('fmadd', 'ffff', true), o('fmsub', 'ffff', true), o('fnmsub', 'ffff', true), o('fnmadd', 'ffff', true),
    o('fsgnj', 'fff', false), o('fsgnjn', 'fff', false), o('fsgnjx', 'fff', false),
    o('fmin', 'fff', false), o('fmax', 'fff', false),
    o('feq', 'xff', false), o('flt', 'xff', false), o('fle', 'xff', false), o('fclass', 'xf', false),
    ...ints.map((t) => ({ ...o('fcvt', 'xf', true), name: `fcvt.${t}.${sfx}` })),
    ...ints.map((t) => ({ ...o('fcvt', 'fx', true), name: `fcvt.${sfx}.${t}` })),
    { name: single ? 'fmv.x.w' : 'fmv.x.d', files: 'xf', rm: false, single },
    { name: single ? 'fmv.w.x' : 'fmv.d.x', files: 'fx', rm: false, single },
  ];
}

export const FP_DIFF_OPS: readonly OpSpec[] = [
  ...opsFor('s'), ...opsFor('d'),
  { name: 'fcvt.s.d', files: 'ff', rm: true, single: false },
  { name: 'fcvt.d.s', files: 'ff', rm: true, single: true },
];
const ROUNDING = ['rne', 'rtz', 'rdn', 'rup', 'rmm'];

/** Weighted so arithmetic, fused and conversions (where the rounding lives) come up most. */
const WEIGHTED: readonly OpSpec[] = FP_DIFF_OPS.flatMap((op) => {
  const heavy = /^f(n?m(add|sub)|add|sub|mul|div|sqrt|cvt)\./.test(op.name);
  return heavy ? [op, op, op] : [op];
});

class FpCaseWriter {
  private readonly lines: string[] = ['.option push', '.option arch, +d'];

  constructor(private readonly rng: Rng) {}

  /** A float operand: special values, neighbours of them, and random bits. */
  private floatBits(single: boolean): bigint {
    const specials = single ? S_SPECIAL : D_SPECIAL;
    const k = this.rng.int(10);
    let v: bigint;
    if (k < 6) v = this.rng.pick(specials);
    else if (k < 8) {
      // A neighbour of a special value (one or two ulps away, either side).
      const base = this.rng.pick(specials);
      v = (base + BigInt(this.rng.range(-2, 2))) & (single ? 0xffff_ffffn : MASK64);
    } else v = this.rng.u64() & (single ? 0xffff_ffffn : MASK64);
    if (!single) return v;
    // Singles: NaN-boxed, except now and then (an improperly boxed single reads as the canonical NaN).
    return this.rng.chance(0.05) ? (this.rng.u64() & ~0xffff_ffffn & MASK64) | v : BOX | v;
  }

  private intBits(): bigint {
    return this.rng.chance(0.7) ? this.rng.pick(X_SPECIAL) : this.rng.u64();
  }

  private li(reg: string, v: bigint): void {
    this.lines.push(`li ${reg}, 0x${v.toString(16)}`);
  }

  op(): void {
    const op = this.rng.pick(WEIGHTED);
    const { files } = op;
    // f1, f2, f3 hold the float operands (f regs get their bits through fmv.d.x); a1 the integer one.
    const srcSingle = op.name === 'fcvt.d.s' ? true : op.name === 'fcvt.s.d' ? false : op.single;
    for (let i = 1; i < files.length; i++) {
      if (files[i] === 'f') {
        this.li('t0', this.floatBits(srcSingle));
        this.lines.push(`fmv.d.x f${i}, t0`);
      } else {
        this.li('a1', op.name.startsWith('fmv') ? this.rng.u64() : this.intBits());
      }
    }
    // Clear fflags; a dynamic rounding mode goes to frm (sometimes one of the reserved values 5..7: illegal).
    // Half the operations start with inexact already raised (the state hindsight's fast paths need), half
    // with no flag; round-to-nearest-even comes up most, as in real code.
    const mode = (): number => (this.rng.chance(0.4) ? 0 : this.rng.int(5));
    this.lines.push(this.rng.chance(0.5) ? 'fscsr zero' : 'fsflagsi 1');
    let rm = '';
    if (op.rm) {
      const dynamic = this.rng.chance(0.4);
      const frm = this.rng.chance(0.03) ? this.rng.range(5, 7) : mode();
      if (dynamic) this.lines.push(`fsrmi ${frm}`);
      else rm = `, ${ROUNDING[mode()]}`;
    } else {
      this.lines.push(`fsrmi ${this.rng.int(5)}`);
    }
    const rd = files[0] === 'f' ? 'f4' : 'a0';
    const srcs = [...files.slice(1)].map((f, i) => (f === 'f' ? `f${i + 1}` : 'a1'));
    // fcvt.d.w/wu/s cannot round: the assembler takes no rounding mode for them.
    const exact = op.name === 'fcvt.d.w' || op.name === 'fcvt.d.wu' || op.name === 'fcvt.d.s';
    this.lines.push(`li a0, 0`, `${op.name} ${rd}, ${srcs.join(', ')}${exact ? '' : rm}`);
    if (rd === 'f4') this.lines.push('fmv.x.d a0, f4');
    // The result's bits, then '@' + fflags.
    this.lines.push('call dt_puthex', 'frflags a0', 'addi a0, a0, 64', 'call dt_putc', 'li a0, 10', 'call dt_putc');
  }

  body(): string {
    return [...this.lines, '.option pop'].join('\n');
  }
}

/** Operations per FP case. */
export const FP_OPS_PER_CASE = 40;

/** The FP case of a seed (seeds of FP cases are their own space: they start at FP_SEED_BASE). */
export function fpCase(seed: number, ops = FP_OPS_PER_CASE): GeneratedCase {
  const rng = new Rng(BigInt(seed) * 0x9e37_79b9n + 0xf0f0n);
  const w = new FpCaseWriter(rng);
  for (let i = 0; i < ops; i++) w.op();
  return customCase(seed, 'bare', w.body());
}
