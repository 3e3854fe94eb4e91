/**
 * Seeded random RISC-V test-case generator for the QEMU ↔ hindsight differential test.
 *
 * One seed → one case (GNU as source). A case: reset the machine state it depends on, fill the data area
 * from its seed, optionally enable Sv39/Sv48 with extra 4K mappings, load every register with a random
 * 64-bit value, run a few hundred random instructions from every implemented family, then save and print all
 * registers, some CSRs, the trap log, memory checksums and the PTEs. Cases are independent of each other,
 * so a case prints the same text alone or in any batch.
 *
 * Determinism rules the generator keeps (see README.md): no cycle/time/instret, no wfi in S-mode, no FP encodings
 * (QEMU implements them, hindsight does not), no access outside RAM, no misaligned access across a page boundary,
 * no store between LR and SC, sepc only ever written with even values.
 */

import { Rng, hex64 } from './rng.js';
import { CTRL, DATA_SIZE, LAYOUT, VA, caseSlot, runtimeSource } from './runtime.js';

export type PagingMode = 'bare' | 'sv39' | 'sv48';

export interface CaseOptions {
  /** Number of random operations (each is one to a handful of instructions). */
  ops?: number;
}

export const DEFAULT_OPS = 240;

/** Upper bound on traps the generator plans per case (the runtime aborts the case after MAX_TRAPS). */
const TRAP_BUDGET = 40;

export interface GeneratedCase {
  seed: number;
  mode: PagingMode;
  /** code in .text (falls through to the next case) */
  text: string;
  /** the case's U-mode page (.text.upage), possibly empty */
  upage: string;
  /** .rodata strings */
  rodata: string;
}

const MASK64 = (1n << 64n) - 1n;
const GP = 3;

const EDGE_VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  MASK64, // -1
  MASK64 - 1n, // -2
  1n << 63n, // INT64_MIN
  (1n << 63n) - 1n, // INT64_MAX
  0xffff_ffff_8000_0000n, // INT32_MIN
  0x7fff_ffffn, // INT32_MAX
  0x8000_0000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0xffff_ffff_0000_0000n,
];

const SHIFT_EDGES: readonly number[] = [0, 1, 31, 32, 33, 63];
const SHIFTW_EDGES: readonly number[] = [0, 1, 31];

type LoadOp = { op: string; size: number };
const LOADS: readonly LoadOp[] = [
  { op: 'lb', size: 1 },
  { op: 'lbu', size: 1 },
  { op: 'lh', size: 2 },
  { op: 'lhu', size: 2 },
  { op: 'lw', size: 4 },
  { op: 'lwu', size: 4 },
  { op: 'ld', size: 8 },
];
const STORES: readonly LoadOp[] = [
  { op: 'sb', size: 1 },
  { op: 'sh', size: 2 },
  { op: 'sw', size: 4 },
  { op: 'sd', size: 8 },
];
const AMOS = ['amoswap', 'amoadd', 'amoand', 'amoor', 'amoxor', 'amomax', 'amomaxu', 'amomin', 'amominu'] as const;
const ORDER = ['', '.aq', '.rl', '.aqrl'] as const;
const ALU_RR = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw'] as const;
const ALU_RI = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'] as const;
const MUL_DIV = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw'] as const;
const BRANCHES = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'] as const;
const RW_CSRS = ['sscratch', 'sepc', 'scause', 'stval'] as const;

// Zba, Zbb, Zbs (ratified 1.0.0, RV64 forms), by operand shape.
const ZB_RR = ['add.uw', 'sh1add', 'sh2add', 'sh3add', 'sh1add.uw', 'sh2add.uw', 'sh3add.uw', 'andn', 'orn', 'xnor', 'max', 'maxu', 'min', 'minu'] as const;
const ZB_UNARY = ['clz', 'ctz', 'cpop', 'clzw', 'ctzw', 'cpopw', 'sext.b', 'sext.h', 'zext.h', 'orc.b', 'rev8'] as const;
/** rs2 is a shift amount or bit index (taken mod 64, or mod 32 by rolw/rorw) */
const ZB_BY_REG = ['rol', 'ror', 'rolw', 'rorw', 'bclr', 'bext', 'binv', 'bset'] as const;
/** shamt 0..63 (roriw: 0..31) */
const ZB_BY_IMM = ['slli.uw', 'rori', 'bclri', 'bexti', 'binvi', 'bseti'] as const;
/** Amounts for ZB_BY_REG: the W forms' 32+ and the 64+ and negative ones that must wrap. */
const ZB_AMOUNTS: readonly number[] = [0, 1, 7, 8, 31, 32, 33, 63, 64, 95, -1, -32];
/** Operands where counts, byte operations and extensions have their corner cases. */
const BIT_PATTERNS: readonly bigint[] = [
  0n, MASK64, 1n << 63n, 1n, 0x7fn, 0x80n, 0x7fffn, 0x8000n, 0x8000_0000n, 0xffff_ffff_0000_0000n, 0x1_0000_0000n,
  0x8080_8080_8080_8080n, 0x0101_0101_0101_0101n, 0x00ff_00ff_00ff_00ffn, 0xff00_0000_0000_00ffn,
  0x0100_0000_0000_0080n, 0x7f7f_7f7f_7f7f_7f7fn, 0x0123_4567_89ab_cdefn,
];

/** What an L0 entry points at (the generator only stores through entries that reach an alias page). */
type L0Target = 'alias0' | 'alias1' | 'alias2' | 'alias3' | 'stub' | 'none' | 'nonleaf' | 'upage';

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

export function modeForSeed(seed: number): PagingMode {
  const r = new Rng(BigInt(seed) ^ 0x5eedn).int(100);
  return r < 60 ? 'bare' : r < 85 ? 'sv39' : 'sv48';
}

class CaseGen {
  private readonly rng: Rng;
  private readonly lines: string[] = [];
  private readonly ulines: string[] = [];
  private labelN = 0;
  private budget = TRAP_BUDGET;
  private readonly protectedRegs = new Set<number>();
  private inU = false;
  /** initial targets of l0[0..8] */
  private static readonly L0_INITIAL: readonly L0Target[] = ['alias0', 'alias1', 'alias2', 'alias3', 'stub', 'none', 'alias0', 'nonleaf', 'upage'];
  /** current targets, as the random body changes them (generation order = execution order) */
  private readonly l0: L0Target[] = [...CaseGen.L0_INITIAL];
  /** sstatus.SUM as the body sets it (dt_setup clears it) */
  private sum = false;
  /** current permission bits of l0[0..8] (0 while an entry is still the zero it started as) */
  private readonly l0Perms: number[] = new Array(9).fill(0);

  constructor(
    private readonly seed: number,
    private readonly mode: PagingMode,
  ) {
    this.rng = new Rng(seed);
  }

  // ------------------------------------------------------------------ output helpers
  private get out(): string[] {
    return this.inU ? this.ulines : this.lines;
  }
  private emit(s: string): void {
    this.out.push('  ' + s);
  }
  private comp(s: string): void {
    this.out.push('.option rvc', '  ' + s, '.option norvc');
  }
  private newLabel(): string {
    return `.Ls${this.seed}_${this.labelN++}`;
  }
  private place(label: string): void {
    this.out.push(`${label}:`);
  }
  private get paging(): boolean {
    return this.mode !== 'bare';
  }
  private mayTrap(n = 1): boolean {
    if (this.budget < n) return false;
    this.budget -= n;
    return true;
  }

  // ------------------------------------------------------------------ registers and values
  private writable(r: number): boolean {
    return r !== 0 && r !== GP && !this.protectedRegs.has(r);
  }
  /** destination: any register but gp and protected ones; x0 now and then */
  private rd(): number {
    for (;;) {
      const r = this.rng.chance(0.04) ? 0 : this.rng.range(1, 31);
      if (r === 0 || this.writable(r)) return r;
    }
  }
  /** nonzero writable destination */
  private rdNz(): number {
    for (;;) {
      const r = this.rng.range(1, 31);
      if (this.writable(r)) return r;
    }
  }
  private rs(): number {
    return this.rng.int(32);
  }
  private tmp(...exclude: number[]): number {
    for (;;) {
      const r = this.rng.range(1, 31);
      if (this.writable(r) && !exclude.includes(r)) return r;
    }
  }
  private creg(): number {
    return this.rng.range(8, 15);
  }
  private cregW(...exclude: number[]): number {
    for (;;) {
      const r = this.rng.range(8, 15);
      if (this.writable(r) && !exclude.includes(r)) return r;
    }
  }
  private value(): bigint {
    return this.rng.weighted<() => bigint>([
      [40, () => this.rng.u64()],
      [15, () => this.rng.pick(EDGE_VALUES)],
      [15, () => BigInt.asUintN(64, BigInt(this.rng.range(-16, 16)))],
      [15, () => BigInt.asUintN(64, BigInt.asIntN(32, this.rng.u64()))],
      [15, () => this.rng.u64() & this.rng.u64() & this.rng.u64()],
    ])();
  }
  private li(r: number, v: bigint): void {
    this.emit(`li x${r}, ${hex64(v)}`);
  }
  private imm12(): number {
    return this.rng.weighted<() => number>([
      [70, () => this.rng.range(-2048, 2047)],
      [30, () => this.rng.pick([0, 1, -1, 2047, -2048, 31, 32, 63, 64])],
    ])();
  }

  // ------------------------------------------------------------------ RV64I ALU
  private aluRR(): void {
    this.emit(`${this.rng.pick(ALU_RR)} x${this.rd()}, x${this.rs()}, x${this.rs()}`);
  }
  private aluRI(): void {
    this.emit(`${this.rng.pick(ALU_RI)} x${this.rd()}, x${this.rs()}, ${this.imm12()}`);
  }
  private shiftImm(): void {
    if (this.rng.chance(0.6)) {
      const sh = this.rng.chance(0.5) ? this.rng.pick(SHIFT_EDGES) : this.rng.int(64);
      this.emit(`${this.rng.pick(['slli', 'srli', 'srai'])} x${this.rd()}, x${this.rs()}, ${sh}`);
    } else {
      const sh = this.rng.chance(0.5) ? this.rng.pick(SHIFTW_EDGES) : this.rng.int(32);
      this.emit(`${this.rng.pick(['slliw', 'srliw', 'sraiw'])} x${this.rd()}, x${this.rs()}, ${sh}`);
    }
  }
  private shiftReg(): void {
    const r2 = this.tmp();
    this.li(r2, BigInt.asUintN(64, BigInt(this.rng.pick([0, 1, 31, 32, 33, 63, 64, 95, -1, -32]))));
    const op = this.rng.pick(['sll', 'srl', 'sra', 'sllw', 'srlw', 'sraw']);
    this.emit(`${op} x${this.rd()}, x${this.rs()}, x${r2}`);
  }
  private upper(): void {
    const imm = this.rng.chance(0.3) ? this.rng.pick([0, 1, 0x7ffff, 0x80000, 0xfffff]) : this.rng.int(0x100000);
    this.emit(`${this.rng.chance(0.6) ? 'lui' : 'auipc'} x${this.rd()}, ${imm}`);
  }
  private liValue(): void {
    this.li(this.rdNz(), this.value());
  }

  /** One instruction that never traps and never jumps (fillers inside branch shadows and loops). */
  private filler(): void {
    this.rng.weighted<() => void>([
      [4, () => this.aluRR()],
      [4, () => this.aluRI()],
      [2, () => this.shiftImm()],
      [1, () => this.emit(`lui x${this.rd()}, ${this.rng.int(0x100000)}`)],
      [2, () => this.compAlu()],
      [2, () => this.emit(`${this.rng.pick(MUL_DIV)} x${this.rd()}, x${this.rs()}, x${this.rs()}`)],
      [2, () => this.bitmanipPlain()],
    ])();
  }
  private fillers(min: number, max: number): void {
    const n = this.rng.range(min, max);
    for (let i = 0; i < n; i++) this.filler();
  }

  // ------------------------------------------------------------------ M extension
  private mext(): void {
    const edgesM: readonly bigint[] = [0n, MASK64, 1n << 63n, 0xffff_ffff_8000_0000n, 0x8000_0000n, 1n, (1n << 63n) - 1n, 0x7fff_ffffn];
    let a = this.rs();
    let b = this.rs();
    if (this.rng.chance(0.5)) {
      a = this.tmp();
      this.li(a, this.rng.pick(edgesM));
    }
    if (this.rng.chance(0.5)) {
      b = this.tmp(a);
      this.li(b, this.rng.pick(edgesM));
    }
    this.emit(`${this.rng.pick(MUL_DIV)} x${this.rd()}, x${a}, x${b}`);
  }

  // ------------------------------------------------------------------ Zba, Zbb, Zbs
  /** A value with bit-level structure: patterns, single bits, words with some zero bytes (orc.b, rev8). */
  private bitValue(): bigint {
    return this.rng.weighted<() => bigint>([
      [25, () => this.value()],
      [30, () => this.rng.pick(BIT_PATTERNS)],
      [25, () => {
        let v = this.rng.u64();
        for (let i = 0n; i < 8n; i++) if (this.rng.chance(0.5)) v &= ~(0xffn << (8n * i));
        return v;
      }],
      [20, () => {
        const bit = 1n << BigInt(this.rng.int(64));
        return this.rng.chance(0.5) ? bit : MASK64 ^ bit;
      }],
    ])();
  }
  /** A source register: a random one, or a temp loaded with `v` first. */
  private source(v: () => bigint, chance: number, ...exclude: number[]): number {
    if (!this.rng.chance(chance)) return this.rs();
    const r = this.tmp(...exclude);
    this.li(r, v());
    return r;
  }
  /**
   * clz ... rev8 on x[src]. QEMU 7.2 counts ctzw's trailing zeros over all 64 bits when the low word is zero
   * (ctzw of 1 << 40 gives 40, not 32; its translator never narrows the operand), so ctzw gets an operand of its
   * own that is zero or has a nonzero low word, where QEMU and the ISA agree.
   */
  private unaryBitmanip(src: number): void {
    const op = this.rng.pick(ZB_UNARY);
    if (op === 'ctzw') {
      let v = this.bitValue();
      if ((v & 0xffff_ffffn) === 0n && v !== 0n) v |= 1n << BigInt(this.rng.int(32));
      src = this.tmp();
      this.li(src, v);
    }
    this.emit(`${op} x${this.rd()}, x${src}`);
  }
  /** One bit-manipulation instruction on whatever the registers hold. */
  private bitmanipPlain(): void {
    const kind = this.rng.int(4);
    if (kind === 0) this.emit(`${this.rng.pick(ZB_RR)} x${this.rd()}, x${this.rs()}, x${this.rs()}`);
    else if (kind === 1) this.unaryBitmanip(this.rs());
    else if (kind === 2) this.emit(`${this.rng.pick(ZB_BY_REG)} x${this.rd()}, x${this.rs()}, x${this.rs()}`);
    else this.emit(`${this.rng.pick(ZB_BY_IMM)} x${this.rd()}, x${this.rs()}, ${this.rng.int(64)}`);
  }
  /** One bit-manipulation instruction, its operands often set up to hit corner cases. */
  private bitmanip(): void {
    const kind = this.rng.weighted<string>([
      [35, 'rr'],
      [30, 'unary'],
      [20, 'by-reg'],
      [15, 'by-imm'],
    ]);
    const a = this.source(() => this.bitValue(), 0.6);
    if (kind === 'rr') {
      const b = this.rng.chance(0.15) ? a : this.source(() => this.bitValue(), 0.5, a);
      this.emit(`${this.rng.pick(ZB_RR)} x${this.rd()}, x${a}, x${b}`);
    } else if (kind === 'unary') {
      this.unaryBitmanip(a);
    } else if (kind === 'by-reg') {
      const b = this.source(() => BigInt.asUintN(64, BigInt(this.rng.pick(ZB_AMOUNTS))), 0.7, a);
      this.emit(`${this.rng.pick(ZB_BY_REG)} x${this.rd()}, x${a}, x${b}`);
    } else if (this.rng.chance(0.2)) {
      this.emit(`roriw x${this.rd()}, x${a}, ${this.rng.chance(0.5) ? this.rng.pick(SHIFTW_EDGES) : this.rng.int(32)}`);
    } else {
      const sh = this.rng.chance(0.5) ? this.rng.pick(SHIFT_EDGES) : this.rng.int(64);
      this.emit(`${this.rng.pick(ZB_BY_IMM)} x${this.rd()}, x${a}, ${sh}`);
    }
  }

  // ------------------------------------------------------------------ memory (data area at gp)
  /** An offset into the data area for an access of `size` bytes. */
  private dataOffset(size: number, aligned: boolean): number {
    let off = this.rng.int(DATA_SIZE - size + 1);
    if (aligned) off -= off % size;
    else if (size > 1 && off % size === 0) off += this.rng.range(1, size - 1);
    if (off > DATA_SIZE - size) off -= size;
    return off;
  }
  /** Emit the access `op xr, imm(base)` for data-area offset `off`, sometimes through a temp base. */
  private dataForm(op: string, r: number, off: number): void {
    if (this.rng.chance(0.4)) {
      this.emit(`${op} x${r}, ${off}(gp)`);
      return;
    }
    const b = this.tmp();
    const lo = Math.max(-2048, off - 2047);
    const hi = Math.min(2047, off + 2048);
    const imm = this.rng.range(lo, hi);
    this.emit(`addi x${b}, gp, ${off - imm}`);
    this.emit(`${op} x${r}, ${imm}(x${b})`);
  }
  /** U-mode in a paging case: gp's page is not a U page, so these fault. */
  private dataAccessAllowed(): boolean {
    return !(this.inU && this.paging) || this.mayTrap();
  }
  private load(): void {
    if (!this.dataAccessAllowed()) return;
    const l = this.rng.pick(LOADS);
    this.dataForm(l.op, this.rd(), this.dataOffset(l.size, !this.rng.chance(0.3)));
  }
  private store(): void {
    if (!this.dataAccessAllowed()) return;
    const s = this.rng.pick(STORES);
    this.dataForm(s.op, this.rs(), this.dataOffset(s.size, !this.rng.chance(0.3)));
  }
  private lrsc(): void {
    if (!this.dataAccessAllowed()) return;
    const w = this.rng.pick(['w', 'd']);
    const size = w === 'w' ? 4 : 8;
    const off = this.dataOffset(size, true);
    const b = this.tmp();
    this.emit(`addi x${b}, gp, ${off}`);
    const variant = this.rng.weighted<string>([
      [60, 'paired'],
      [20, 'other-address'],
      [20, 'no-reservation'],
    ]);
    if (variant !== 'no-reservation') {
      const rl = this.tmp(b);
      this.emit(`lr.${w}${this.rng.pick(ORDER)} x${rl}, (x${b})`);
      this.protectedRegs.add(b);
      this.fillers(0, 2);
      this.protectedRegs.delete(b);
    }
    let target = b;
    if (variant === 'other-address') {
      target = this.tmp(b);
      let off2 = this.dataOffset(size, true);
      if (off2 === off) off2 = (off + size) % (DATA_SIZE - size);
      this.emit(`addi x${target}, gp, ${off2}`);
    }
    this.emit(`sc.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${target})`);
  }
  private amo(): void {
    if (!this.dataAccessAllowed()) return;
    const w = this.rng.pick(['w', 'd']);
    const off = this.dataOffset(w === 'w' ? 4 : 8, true);
    const b = this.tmp();
    this.emit(`addi x${b}, gp, ${off}`);
    this.emit(`${this.rng.pick(AMOS)}.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
  }
  private misalignedAtomic(): void {
    if (!this.mayTrap()) return;
    const w = this.rng.pick(['w', 'd']);
    const size = w === 'w' ? 4 : 8;
    const off = this.dataOffset(size, false);
    const b = this.tmp();
    this.emit(`addi x${b}, gp, ${off}`);
    const kind = this.rng.weighted<string>([
      [6, 'amo'],
      [2, 'lr'],
      [2, 'sc'],
    ]);
    if (kind === 'amo') this.emit(`${this.rng.pick(AMOS)}.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
    else if (kind === 'lr') this.emit(`lr.${w}${this.rng.pick(ORDER)} x${this.rd()}, (x${b})`);
    else this.emit(`sc.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
  }

  // ------------------------------------------------------------------ control flow (forward only, plus bounded loops)
  private branch(): void {
    const l = this.newLabel();
    const a = this.rs();
    const b = this.rng.chance(0.15) ? a : this.rs();
    this.emit(`${this.rng.pick(BRANCHES)} x${a}, x${b}, ${l}`);
    this.fillers(1, 3);
    this.place(l);
  }
  private jal(): void {
    const l = this.newLabel();
    this.emit(`jal x${this.rd()}, ${l}`);
    this.fillers(1, 3);
    this.place(l);
  }
  private jalr(): void {
    const l = this.newLabel();
    const b = this.tmp();
    const imm = this.rng.chance(0.5) ? 0 : this.rng.range(-64, 64);
    this.emit(`la x${b}, ${l}`);
    if (imm !== 0) this.emit(`addi x${b}, x${b}, ${-imm}`);
    this.emit(`jalr x${this.rd()}, ${imm}(x${b})`);
    this.fillers(1, 3);
    this.place(l);
  }
  private loop(): void {
    // counter never ra (c.jalr and jal write it) and never t1 (the stub writes it)
    let c: number;
    do c = this.tmp(); while (c === 1 || c === 6);
    const l = this.newLabel();
    this.li(c, BigInt(this.rng.range(1, 4)));
    this.place(l);
    this.protectedRegs.add(c);
    this.fillers(1, 3);
    this.protectedRegs.delete(c);
    this.emit(`addi x${c}, x${c}, -1`);
    if (c >= 8 && c <= 15 && this.rng.chance(0.5)) this.comp(`c.bnez x${c}, ${l}`);
    else this.emit(`${this.rng.pick(['bnez', 'bgtz'])} x${c}, ${l}`);
  }

  // ------------------------------------------------------------------ RV64C (explicit c.* mnemonics)
  private cimm6(nonzero: boolean): number {
    for (;;) {
      const v = this.rng.range(-32, 31);
      if (!nonzero || v !== 0) return v;
    }
  }
  /** one compressed ALU instruction (also used as filler) */
  private compAlu(): void {
    const f = this.rng.int(13);
    switch (f) {
      case 0: this.comp(`c.addi x${this.rdNz()}, ${this.cimm6(true)}`); break;
      case 1: this.comp(`c.addiw x${this.rdNz()}, ${this.cimm6(false)}`); break;
      case 2: this.comp(`c.li x${this.rdNz()}, ${this.cimm6(false)}`); break;
      case 3: {
        let r: number;
        do r = this.rdNz(); while (r === 2);
        const imm = this.rng.chance(0.5) ? this.rng.range(1, 31) : this.rng.range(0xfffe0, 0xfffff);
        this.comp(`c.lui x${r}, ${imm}`);
        break;
      }
      case 4: this.comp(`c.slli x${this.rdNz()}, ${this.rng.chance(0.4) ? this.rng.pick([1, 31, 32, 63]) : this.rng.range(1, 63)}`); break;
      case 5: this.comp(`c.srli x${this.cregW()}, ${this.rng.range(1, 63)}`); break;
      case 6: this.comp(`c.srai x${this.cregW()}, ${this.rng.range(1, 63)}`); break;
      case 7: this.comp(`c.andi x${this.cregW()}, ${this.cimm6(false)}`); break;
      case 8: this.comp(`c.mv x${this.rdNz()}, x${this.rng.range(1, 31)}`); break;
      case 9: this.comp(`c.add x${this.rdNz()}, x${this.rng.range(1, 31)}`); break;
      case 10: this.comp(`${this.rng.pick(['c.sub', 'c.xor', 'c.or', 'c.and', 'c.subw', 'c.addw'])} x${this.cregW()}, x${this.creg()}`); break;
      case 11:
        if (this.writable(2)) this.comp(`c.addi16sp sp, ${16 * this.rng.pick([-32, -1, 1, 31, this.rng.range(1, 31), -this.rng.range(1, 32)])}`);
        else this.comp('c.nop');
        break;
      default: this.comp(`c.addi4spn x${this.cregW()}, sp, ${4 * this.rng.range(1, 255)}`); break;
    }
  }
  private compMem(): void {
    if (!this.dataAccessAllowed()) return;
    const kind = this.rng.int(8);
    const isLoad = kind % 2 === 0;
    if (kind < 4) {
      // c.lw/c.sw (uimm 0..124, x4) and c.ld/c.sd (uimm 0..248, x8), base x8..x15
      const d = kind < 2 ? 8 : 4;
      const op = kind < 2 ? (isLoad ? 'c.ld' : 'c.sd') : isLoad ? 'c.lw' : 'c.sw';
      const uimm = d * this.rng.int(32);
      const b = this.cregW();
      const aligned = !this.rng.chance(0.2);
      let base = this.rng.int(DATA_SIZE - uimm - d + 1);
      if (aligned) base -= base % d;
      this.emit(`addi x${b}, gp, ${base}`);
      this.comp(`${op} x${isLoad ? this.cregW() : this.creg()}, ${uimm}(x${b})`);
    } else {
      if (!this.writable(2)) return;
      const d = kind < 6 ? 8 : 4;
      const op = kind < 6 ? (isLoad ? 'c.ldsp' : 'c.sdsp') : isLoad ? 'c.lwsp' : 'c.swsp';
      const uimm = d * this.rng.int(64);
      const aligned = !this.rng.chance(0.2);
      let base = this.rng.int(DATA_SIZE - uimm - d + 1);
      if (aligned) base -= base % d;
      this.emit(`addi sp, gp, ${base}`);
      this.comp(`${op} x${isLoad ? this.rdNz() : this.rs()}, ${uimm}(sp)`);
    }
  }
  private compFlow(): void {
    const l = this.newLabel();
    const kind = this.rng.int(4);
    if (kind === 0) {
      this.comp(`${this.rng.pick(['c.beqz', 'c.bnez'])} x${this.creg()}, ${l}`);
    } else if (kind === 1) {
      this.comp(`c.j ${l}`);
    } else {
      const b = kind === 3 ? this.tmp(1) : this.tmp(); // c.jalr writes ra: keep its target in another register
      if (kind === 3 && !this.writable(1)) return;
      this.emit(`la x${b}, ${l}`);
      this.comp(`${kind === 2 ? 'c.jr' : 'c.jalr'} x${b}`);
    }
    this.fillers(1, 3);
    this.place(l);
  }

  // ------------------------------------------------------------------ CSRs
  private csr(): void {
    const csr = this.rng.pick(RW_CSRS);
    const forms = ['csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci'] as const;
    const form = this.rng.pick(forms);
    const rd = this.rd();
    if (form.endsWith('i')) {
      let imm = this.rng.int(32);
      if (csr === 'sepc' && form !== 'csrrci') imm &= ~1; // QEMU 7.2 keeps sepc bit 0: never set it
      this.emit(`${form} x${rd}, ${csr}, ${imm}`);
    } else {
      let s = this.rs();
      if (csr === 'sepc' && form !== 'csrrc' && s !== 0 && s !== GP) {
        if (!this.writable(s)) s = this.tmp();
        this.emit(`andi x${s}, x${s}, -2`);
      }
      this.emit(`${form} x${rd}, ${csr}, x${s}`);
    }
  }
  private csrRead(): void {
    const rd = this.rdNz();
    const which = this.rng.int(this.paging ? 3 : 2);
    if (which === 0) {
      const t = this.tmp(rd);
      this.emit(`csrr x${rd}, sstatus`);
      this.li(t, 0xc0122n);
      this.emit(`and x${rd}, x${rd}, x${t}`);
    } else if (which === 1) {
      this.emit(`csrr x${rd}, sie`);
      this.emit(`andi x${rd}, x${rd}, 0x222`);
    } else {
      this.emit(`csrr x${rd}, satp`);
    }
  }
  private fence(): void {
    const f = this.rng.pick([
      'fence',
      'fence rw, rw',
      'fence r, w',
      'fence w, r',
      'fence iorw, iorw',
      'fence.tso',
      'fence.i',
      'pause',
      'sfence.vma',
      'sfence.vma x%r',
      'sfence.vma x%r, x%r',
    ]);
    if (f.startsWith('sfence') && this.inU && !this.mayTrap()) return;
    this.emit(f.replace(/%r/g, () => String(this.rs())));
  }

  // ------------------------------------------------------------------ traps the guest handles itself
  private illegal(): void {
    if (!this.mayTrap(2)) return;
    const rnd25 = () => Number(this.rng.u64() & 0x1ff_ffffn);
    const enc = this.rng.pick<() => string>([
      () => '.half 0x0000 # c.unimp',
      () => '.word 0x00000000 # two c.unimp',
      () => '.half 0x6101 # c.addi16sp 0 (reserved)',
      () => '.half 0x6081 # c.lui x1, 0 (reserved)',
      () => '.half 0x8002 # c.jr x0 (reserved)',
      () => '.half 0x4002 # c.lwsp x0 (reserved)',
      () => '.half 0x0004 # c.addi4spn 0 (reserved)',
      () => '.half 0x8000 # quadrant 0 funct3 100 (reserved)',
      () => `.word ${hex32((rnd25() << 7) | 0x0b)} # custom-0`,
      () => `.word ${hex32((rnd25() << 7) | 0x2b)} # custom-1`,
      () => `.word ${hex32((rnd25() << 7) & ~0x7000 | 0x7003)} # load funct3=7`,
      () => 'mret',
      () => `csrr x${this.rd()}, mstatus`,
      () => `csrw mscratch, x${this.rs()}`,
      () => `csrr x${this.rd()}, mhartid`,
      () => `csrr x${this.rd()}, 0x5c0`,
      () => 'ebreak',
      () => '.option rvc\n  c.ebreak\n.option norvc',
    ])();
    this.emit(enc);
  }

  /** Drop to U-mode for a few instructions; the block ends with ecall, which the handler turns into a return. */
  private uBlock(): void {
    if (this.inU || !this.mayTrap(1)) return;
    const ub = this.newLabel();
    const ur = this.newLabel();
    const a = this.tmp();
    const b = this.tmp(a);
    this.emit(`la x${a}, ${ub}`);
    if (this.paging) {
      this.emit(`la x${b}, dt_upage_${this.seed}`);
      this.emit(`sub x${a}, x${a}, x${b}`);
      this.li(b, BigInt(VA.l0Base + VA.uPageIndex * 4096));
      this.emit(`add x${a}, x${a}, x${b}`);
    }
    this.emit(`la x${b}, ${ur}`);
    this.emit(`sd x${b}, ${CTRL.resumePc}(gp)`);
    this.emit(`csrw sepc, x${a}`);
    this.li(b, 0x100n);
    this.emit(`csrc sstatus, x${b}`);
    this.emit('sret');
    this.place(ur);

    this.inU = true;
    this.place(ub);
    const n = this.rng.range(2, 6);
    for (let i = 0; i < n; i++) {
      this.rng.weighted<() => void>([
        [6, () => this.filler()],
        [2, () => this.load()],
        [2, () => this.store()],
        [1, () => this.amo()],
        [1, () => this.lrsc()],
        [1, () => this.branch()],
        [3, () => this.uPrivileged()],
        [2, () => this.illegal()],
        [1, () => this.compMem()],
        [this.paging ? 4 : 0, () => this.pgAccess()],
        [this.paging ? 1 : 0, () => this.pgExec()],
      ])();
    }
    this.emit('ecall');
    this.inU = false;
  }
  private uPrivileged(): void {
    if (!this.mayTrap()) return;
    const ins = this.rng.pick<() => string>([
      () => `csrr x${this.rd()}, sstatus`,
      () => `csrw sscratch, x${this.rs()}`,
      () => `csrr x${this.rd()}, sepc`,
      () => `csrrs x${this.rd()}, stval, x${this.rs()}`,
      () => `csrr x${this.rd()}, satp`,
      () => 'sret',
      () => 'mret',
      () => 'wfi',
      () => 'sfence.vma',
      () => 'ebreak',
    ])();
    this.emit(ins);
  }

  // ------------------------------------------------------------------ paging
  private randPerms(): number {
    let p = 0;
    if (this.rng.chance(0.93)) p |= PTE_V;
    if (this.rng.chance(0.75)) p |= PTE_R;
    if (this.rng.chance(0.5)) p |= PTE_W;
    if (this.rng.chance(0.35)) p |= PTE_X;
    if (this.rng.chance(0.3)) p |= PTE_U;
    if (this.rng.chance(0.6)) p |= PTE_A;
    if (this.rng.chance(0.5)) p |= PTE_D;
    if ((p & (PTE_R | PTE_W | PTE_X)) === 0 && this.rng.chance(0.7)) p |= PTE_R; // mostly leaves
    return p;
  }
  private targetSym(t: L0Target): string {
    switch (t) {
      case 'alias0': return 'dt_alias';
      case 'alias1': return 'dt_alias + 4096';
      case 'alias2': return 'dt_alias + 8192';
      case 'alias3': return 'dt_alias + 12288';
      case 'stub': return 'dt_stub';
      case 'upage': return `dt_upage_${this.seed}`;
      default: return 'dt_alias';
    }
  }
  /** write l0[i] = pte(target, perms) using two temps */
  private writeL0(i: number, target: L0Target, perms: number): void {
    this.l0Perms[i] = perms;
    const t = this.tmp();
    const u = this.tmp(t);
    this.emit(`la x${t}, ${this.targetSym(target)}`);
    this.emit(`srli x${t}, x${t}, 12`);
    this.emit(`slli x${t}, x${t}, 10`);
    if (perms) this.emit(`ori x${t}, x${t}, ${perms}`);
    this.emit(`la x${u}, dt_pt_l0`);
    this.emit(`sd x${t}, ${8 * i}(x${u})`);
  }
  /** The initial l0 permissions (null: the entry stays 0) and the megapage's, drawn before the body. */
  private setupPlan: (number | null)[] = [];
  private megapagePerms = 0;
  private planPaging(): void {
    this.setupPlan = [];
    for (let i = 0; i < 9; i++) {
      const t = CaseGen.L0_INITIAL[i] as L0Target;
      let p: number | null;
      if (t === 'none') p = this.rng.chance(0.5) ? null : this.randPerms() & ~PTE_V;
      else if (t === 'nonleaf') p = PTE_V;
      else if (t === 'upage') p = PTE_V | PTE_R | PTE_X | PTE_U | PTE_A;
      else if (t === 'stub') {
        p = this.randPerms();
        if (this.rng.chance(0.6)) p |= PTE_V | PTE_X | PTE_R;
      } else p = this.randPerms();
      this.setupPlan.push(p);
      this.l0Perms[i] = t === 'upage' ? 0 : p ?? 0; // the U page is mapped only when the case has U blocks
    }
    this.megapagePerms = (this.randPerms() & ~PTE_W) | PTE_R;
  }
  private pagingSetup(hasU: boolean): void {
    const saved = [...this.l0Perms];
    for (let i = 0; i < 9; i++) {
      const t = CaseGen.L0_INITIAL[i] as L0Target;
      const p = this.setupPlan[i] as number | null;
      if (p === null || (t === 'upage' && !hasU)) continue;
      this.writeL0(i, t === 'none' || t === 'nonleaf' ? 'alias0' : t, p);
    }
    // writeL0 records permissions as it goes; the body (generated earlier) already saw its own history.
    this.l0Perms.splice(0, 9, ...saved);
    // megapage at l1[1] → PA 0x8020_0000; misaligned megapage at l1[2]
    const t = this.tmp();
    const u = this.tmp(t);
    this.emit(`la x${u}, dt_pt_l1`);
    this.li(t, BigInt((0x80200 << 10) | this.megapagePerms));
    this.emit(`sd x${t}, 8(x${u})`);
    this.li(t, BigInt((0x80201 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));
    this.emit(`sd x${t}, 16(x${u})`);
    // satp
    this.emit(`la x${t}, ${this.mode === 'sv48' ? 'dt_pt_l3' : 'dt_pt_l2'}`);
    this.emit(`srli x${t}, x${t}, 12`);
    this.li(u, BigInt(this.mode === 'sv48' ? 9 : 8) << 60n);
    this.emit(`or x${t}, x${t}, x${u}`);
    this.emit(`csrw satp, x${t}`);
    this.emit('sfence.vma');
  }
  private isAliasTarget(t: L0Target): boolean {
    return t.startsWith('alias');
  }
  /** load/store/AMO/LR-SC through the extra mappings (may fault) */
  private pgAccess(): void {
    if (!this.mayTrap()) return;
    const kind = this.rng.weighted<string>([
      [5, 'load'],
      [4, 'store'],
      [2, 'amo'],
      [1, 'lrsc'],
    ]);
    const writes = kind !== 'load';
    const candidates: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t = this.l0[i] as L0Target;
      // QEMU 7.2 translates an AMO for reading before writing, so an AMO that faults on a readable, read-only page
      // leaves the A bit set there; the ISA (and hindsight) set A only for permitted accesses. Keep AMOs off such
      // pages (V, R or X, no W) so the PTE dumps compare.
      const p = this.l0Perms[i] as number;
      if (kind === 'amo' && (p & PTE_V) && (p & (PTE_R | PTE_X)) && !(p & PTE_W)) continue;
      if (writes ? this.isAliasTarget(t) || t === 'none' || t === 'nonleaf' : true) candidates.push(i);
    }
    if (candidates.length === 0) return;
    const page = this.rng.pick(candidates);
    const b = this.tmp();
    if (kind === 'load' || kind === 'store') {
      const l = kind === 'load' ? this.rng.pick(LOADS) : this.rng.pick(STORES);
      let off = this.rng.int(4096 - l.size + 1);
      if (!this.rng.chance(0.25)) off -= off % l.size;
      const imm = this.rng.range(-64, 64);
      this.li(b, BigInt(VA.l0Base + page * 4096 + off - imm));
      this.emit(`${l.op} x${kind === 'load' ? this.rd() : this.rs()}, ${imm}(x${b})`);
    } else {
      const w = this.rng.pick(['w', 'd']);
      const size = w === 'w' ? 4 : 8;
      const off = this.rng.int(4096 / size) * size;
      this.li(b, BigInt(VA.l0Base + page * 4096 + off));
      if (kind === 'amo') {
        this.emit(`${this.rng.pick(AMOS)}.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
      } else if (this.rng.chance(0.7)) {
        const rl = this.tmp(b);
        this.emit(`lr.${w}${this.rng.pick(ORDER)} x${rl}, (x${b})`);
        this.emit(`sc.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
      } else {
        // SC with no reservation through a mapping that may not be writable
        this.emit(`sc.${w}${this.rng.pick(ORDER)} x${this.rd()}, x${this.rs()}, (x${b})`);
      }
    }
  }
  /** loads through the megapage, the misaligned megapage and non-canonical / unmapped addresses */
  private pgSpecial(): void {
    if (!this.mayTrap()) return;
    const l = this.rng.pick(LOADS);
    const off = this.rng.int(4096 / l.size) * l.size;
    const which = this.rng.int(4);
    let addr: bigint;
    if (which === 0) addr = BigInt(VA.mega + off);
    else if (which === 1) addr = BigInt(VA.badMega + off);
    else if (which === 2) addr = (this.mode === 'sv39' ? 1n << 38n : 1n << 47n) + BigInt(off); // non-canonical
    else addr = (this.mode === 'sv39' ? 0xffff_ffc0_0000_0000n : 0xffff_8000_0000_0000n) + BigInt(off); // canonical, unmapped
    const b = this.tmp();
    this.li(b, addr);
    if (which === 0 || this.rng.chance(0.7)) this.emit(`${l.op} x${this.rd()}, 0(x${b})`);
    else this.emit(`${this.rng.pick(STORES).op} x${this.rs()}, 0(x${b})`);
  }
  /** call the stub through its mapping: runs (t1 += 7) or takes an instruction page fault (resume at ra) */
  private pgExec(): void {
    if (!this.writable(1) || !this.mayTrap()) return;
    // QEMU 7.2 lets S-mode execute a U page after an S-mode data access with SUM=1 filled its TLB entry (the
    // entry's execute permission ignores the U rule); the ISA never allows it. Stay out of that corner.
    if (!this.inU && this.sum && ((this.l0Perms[VA.stubIndex] as number) & PTE_U)) return;
    const b = this.tmp(1, 6);
    this.li(b, BigInt(VA.l0Base + VA.stubIndex * 4096));
    if (this.rng.chance(0.5)) this.emit(`jalr ra, 0(x${b})`);
    else this.comp(`c.jalr x${b}`);
  }
  private pgToggle(): void {
    const t = this.tmp();
    const bits = this.rng.pick([1n << 18n, 1n << 19n, 3n << 18n]);
    const op = this.rng.pick(['csrs', 'csrc']);
    this.li(t, bits);
    this.emit(`${op} sstatus, x${t}`);
    if (bits & (1n << 18n)) this.sum = op === 'csrs';
  }
  private pgRemap(): void {
    const i = this.rng.int(7);
    let target = this.l0[i] as L0Target;
    if (i === VA.invalidIndex) target = 'alias1';
    if (target === 'none' || target === 'nonleaf') target = 'alias0';
    this.l0[i] = target;
    this.writeL0(i, target, this.randPerms());
    const va = VA.l0Base + i * 4096;
    const how = this.rng.int(3);
    if (how === 0) this.emit('sfence.vma');
    else {
      const v = this.tmp();
      this.li(v, BigInt(va + this.rng.int(4096)));
      this.emit(how === 1 ? `sfence.vma x${v}` : `sfence.vma x${v}, x0`);
    }
  }

  // ------------------------------------------------------------------ the case
  private randomOp(): void {
    const pg = this.paging ? 1 : 0;
    this.rng.weighted<() => void>([
      [10, () => this.aluRR()],
      [8, () => this.aluRI()],
      [6, () => this.shiftImm()],
      [10, () => this.bitmanip()],
      [3, () => this.shiftReg()],
      [3, () => this.upper()],
      [3, () => this.liValue()],
      [10, () => this.mext()],
      [8, () => this.load()],
      [7, () => this.store()],
      [3, () => this.lrsc()],
      [5, () => this.amo()],
      [1, () => this.misalignedAtomic()],
      [5, () => this.branch()],
      [1, () => this.loop()],
      [2, () => this.jal()],
      [2, () => this.jalr()],
      [10, () => this.compAlu()],
      [4, () => this.compMem()],
      [3, () => this.compFlow()],
      [3, () => this.csr()],
      [1, () => this.csrRead()],
      [2, () => this.fence()],
      [2, () => this.illegal()],
      [2, () => this.uBlock()],
      [8 * pg, () => this.pgAccess()],
      [2 * pg, () => this.pgSpecial()],
      [2 * pg, () => this.pgExec()],
      [1 * pg, () => this.pgToggle()],
      [1 * pg, () => this.pgRemap()],
    ])();
  }

  generate(ops: number): GeneratedCase {
    const s = this.seed;
    const modeNum = this.mode === 'bare' ? 0 : this.mode === 'sv39' ? 8 : 9;
    let fillSeed = this.rng.u64();
    if (fillSeed === 0n) fillSeed = 1n;

    this.lines.push(`# ---------------------------------------------------------------- seed ${s} (${this.mode})`);
    this.lines.push(`.section .text.case.${s}, "ax"`);
    this.lines.push(`dt_case_${s}:`);
    this.emit('la sp, dt_stack_top');
    this.emit(`la a0, dt_seedstr_${s}`);
    this.emit('call dt_puts');
    this.li(10, fillSeed);
    this.emit(`li a1, ${modeNum}`);
    this.emit(`la a2, dt_case_${s}_end`);
    this.emit('call dt_setup');

    // Body first (into a separate buffer) so that the paging setup knows whether the case has U blocks. The setup's
    // permissions are drawn now, so the body knows them (l0Perms) while it is generated.
    if (this.paging) this.planPaging();
    const head = this.lines.splice(0);
    for (const csr of RW_CSRS) {
      let v = this.value();
      if (csr === 'sepc') v &= ~1n;
      this.li(5, v);
      this.emit(`csrw ${csr}, x5`);
    }
    for (let r = 1; r < 32; r++) if (r !== GP) this.li(r, this.value());
    for (let i = 0; i < ops; i++) this.randomOp();
    const body = this.lines.splice(0);

    const hasU = this.ulines.length > 0;
    this.lines.push(...head);
    if (this.paging) this.pagingSetup(hasU);
    this.lines.push(...body);

    this.lines.push(`dt_case_${s}_end:`);
    for (let r = 1; r < 32; r++) this.emit(`sd x${r}, ${CTRL.regs + 8 * r}(gp)`);
    const csrs: [string, number][] = [
      ['sscratch', CTRL.csrSscratch],
      ['sepc', CTRL.csrSepc],
      ['scause', CTRL.csrScause],
      ['stval', CTRL.csrStval],
      ['sstatus', CTRL.csrSstatus],
      ['satp', CTRL.csrSatp],
    ];
    for (const [name, off] of csrs) {
      this.emit(`csrr t0, ${name}`);
      this.emit(`sd t0, ${off}(gp)`);
    }
    this.emit('la sp, dt_stack_top');
    this.emit('call dt_dump');
    this.emit('tail dt_next_case');

    let upage = '';
    if (hasU) {
      // conservative size bound (an li expands to at most 8 instructions): the block must fit its page
      const bound = this.ulines.reduce((n, l) => n + (/^\s+li /.test(l) ? 32 : /^\s/.test(l) ? 4 : 0), 0);
      if (bound > 4096) throw new Error(`seed ${s}: U-mode code may not fit its page (${bound} bytes)`);
      upage = [
        `.section .text.upage.${s}, "ax"`,
        '.option rvc',
        '.balign 4096',
        '.option norvc',
        `dt_upage_${s}:`,
        ...this.ulines,
      ].join('\n');
    }
    return {
      seed: s,
      mode: this.mode,
      text: this.lines.join('\n'),
      upage,
      rodata: `dt_seedstr_${s}: .asciz "seed ${s}\\n"`,
    };
  }
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export function generateCase(seed: number, options: CaseOptions = {}): GeneratedCase {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`bad seed ${seed}`);
  return new CaseGen(seed, modeForSeed(seed)).generate(options.ops ?? DEFAULT_OPS);
}

export interface Program {
  /** GNU as source */
  source: string;
  /** GNU ld script placing every case at its seed's fixed address */
  linkerScript: string;
  seeds: readonly number[];
}

/** A whole program running the given seeds in order, each printing `seed N` then its dump. */
export function generateProgram(seeds: readonly number[], options: CaseOptions = {}): Program {
  if (seeds.length === 0) throw new Error('generateProgram: no seeds');
  checkSlots(seeds);
  return programFromCases(seeds.map((s) => generateCase(s, options)));
}

function checkSlots(seeds: readonly number[]): void {
  const slots = new Map<number, number>();
  for (const s of seeds) {
    const slot = caseSlot(s);
    const other = slots.get(slot);
    if (other !== undefined) {
      throw new Error(
        `seeds ${other} and ${s} share case slot ${slot} (seed % ${LAYOUT.caseSlots}): ` +
          `put at most ${LAYOUT.caseSlots} consecutive seeds in one program`,
      );
    }
    slots.set(slot, s);
  }
}

/** Assemble cases (generated or hand-written) into one program. */
export function programFromCases(cases: readonly GeneratedCase[]): Program {
  const seeds = cases.map((c) => c.seed);
  checkSlots(seeds);
  const parts: string[] = [runtimeSource()];
  for (const c of cases) {
    parts.push(c.text);
    if (c.upage) parts.push(c.upage);
  }
  parts.push('.section .rodata.cases, "a"');
  for (const c of cases) parts.push(c.rodata);
  parts.push('.balign 8', 'dt_case_table:');
  for (const c of cases) parts.push(`  .dword dt_case_${c.seed}`);
  parts.push('  .dword 0');
  return { source: parts.join('\n') + '\n', linkerScript: linkerScript(seeds), seeds };
}

export interface LeafPte {
  /** l0 index: VA 0x4000_0000 + index * 4K */
  index: number;
  target: 'alias0' | 'alias1' | 'alias2' | 'alias3' | 'stub';
  perms: number;
}

/**
 * A hand-written case with the same prologue and dump as generated ones (used by the QEMU-facts test).
 * `body` runs in S-mode with every register still holding setup leftovers; it may use the trap handler
 * (ctrl.resumePc at ${CTRL.resumePc}(gp) for U-mode excursions that end in ecall).
 */
export function customCase(seed: number, mode: PagingMode, body: string, leaves: readonly LeafPte[] = []): GeneratedCase {
  const modeNum = mode === 'bare' ? 0 : mode === 'sv39' ? 8 : 9;
  const lines = [
    `.section .text.case.${seed}, "ax"`,
    `dt_case_${seed}:`,
    '  la sp, dt_stack_top',
    `  la a0, dt_seedstr_${seed}`,
    '  call dt_puts',
    '  li a0, 0x9e3779b97f4a7c15',
    `  li a1, ${modeNum}`,
    `  la a2, dt_case_${seed}_end`,
    '  call dt_setup',
  ];
  if (mode !== 'bare') {
    for (const l of leaves) {
      const sym = l.target === 'stub' ? 'dt_stub' : `dt_alias + ${4096 * Number(l.target.slice(5))}`;
      lines.push(`  la t0, ${sym}`, '  srli t0, t0, 12', '  slli t0, t0, 10', `  ori t0, t0, ${l.perms}`);
      lines.push('  la t1, dt_pt_l0', `  sd t0, ${8 * l.index}(t1)`);
    }
    lines.push(`  la t0, ${mode === 'sv48' ? 'dt_pt_l3' : 'dt_pt_l2'}`, '  srli t0, t0, 12');
    lines.push(`  li t1, ${mode === 'sv48' ? 9 : 8} << 60`, '  or t0, t0, t1', '  csrw satp, t0', '  sfence.vma');
  }
  // Start the body from known registers (all but sp and gp zero): what firmware leaves in them differs between
  // machines (OpenSBI leaves tp pointing at its scratch area).
  for (let r = 1; r < 32; r++) if (r !== 2 && r !== 3) lines.push(`  li x${r}, 0`);
  lines.push(...body.split('\n').map((l) => (l.trim() === '' ? '' : /^\S+:/.test(l.trim()) ? l.trim() : '  ' + l.trim())));
  lines.push(`dt_case_${seed}_end:`);
  for (let r = 1; r < 32; r++) lines.push(`  sd x${r}, ${CTRL.regs + 8 * r}(gp)`);
  for (const [name, off] of [
    ['sscratch', CTRL.csrSscratch],
    ['sepc', CTRL.csrSepc],
    ['scause', CTRL.csrScause],
    ['stval', CTRL.csrStval],
    ['sstatus', CTRL.csrSstatus],
    ['satp', CTRL.csrSatp],
  ] as const) {
    lines.push(`  csrr t0, ${name}`, `  sd t0, ${off}(gp)`);
  }
  lines.push('  la sp, dt_stack_top', '  call dt_dump', '  tail dt_next_case');
  return { seed, mode, text: lines.join('\n'), upage: '', rodata: `dt_seedstr_${seed}: .asciz "seed ${seed}\\n"` };
}

function hexAddr(v: number): string {
  return '0x' + v.toString(16);
}

export function linkerScript(seeds: readonly number[]): string {
  const phdrs = seeds.map((s) => `  case_${s} PT_LOAD;`).join('\n');
  const sections = seeds
    .map((s) => {
      const at = LAYOUT.caseBase + caseSlot(s) * LAYOUT.caseRegion;
      return (
        `  .case.${s} ${hexAddr(at)} : { *(.text.case.${s}) *(.text.upage.${s}) } :case_${s}\n` +
        `  ASSERT(SIZEOF(.case.${s}) <= ${hexAddr(LAYOUT.caseRegion)}, "seed ${s}: case code overflows its region")`
      );
    })
    .join('\n');
  return `/* hindsight difftest (generated): the entry is the lowest loaded address, as QEMU 7.2 wants */
OUTPUT_ARCH(riscv)
ENTRY(_start)
PHDRS {
  runtime PT_LOAD;
  data PT_LOAD;
${phdrs}
}
SECTIONS {
  . = ${hexAddr(LAYOUT.runtime)};
  .text : { *(.text.start) } :runtime
  .text.stub : ALIGN(4096) { *(.text.stub) } :runtime
  .rodata : { *(.rodata.runtime) *(.rodata.cases) *(.rodata .rodata.*) } :runtime
  ASSERT(. <= ${hexAddr(LAYOUT.data)}, "runtime overflows its region")
  .data ${hexAddr(LAYOUT.data)} : { *(.data .data.*) *(.sdata .sdata.*) *(.bss .bss.*) *(.sbss .sbss.*) } :data
  ASSERT(. <= ${hexAddr(LAYOUT.caseBase)}, "data overflows its region")
${sections}
  /DISCARD/ : { *(.riscv.attributes) *(.comment) *(.text) }
}
`;
}
