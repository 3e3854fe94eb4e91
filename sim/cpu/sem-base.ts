import type { InsnRow, RuntimeFn, Sem } from '../isa/index.js';
import { Code } from '../wasm/code.js';
import { Op, ValType } from '../wasm/opcodes.js';
import { RAM_OFFSET, S, TLB_KIND_SIZE, TLB_OFF, TLB_TAG } from './layout.js';
import { Access } from './mmu.js';
import { emitFastPath } from './fp-fast.js';

const { I32, I64 } = ValType;

/** The host functions compiled code calls for what it cannot do inline (see hart-host.ts). */
export interface MemoryImports {
  /** load(addrLo, addrHi, f3, htinst) → 0 (value in S.SCRATCH) or 1 (trap pending). f3 = LB..LWU. */
  load: number;
  /** store(addrLo, addrHi, log2 width, valueLo, valueHi, htinst) → 0, 1 (trap pending) or 2 (it overwrote code). */
  store: number;
  /** atomic(addrLo, addrHi, f3, funct5, valueLo, valueHi) → as store; the result for rd in S.SCRATCH. */
  atomic: number;
  /**
   * fp(row, rd, rs1, rs2, rs3 (the offset for loads and stores), rm, xLo, xHi) → 0 done (an x result in
   * S.SCRATCH), 1 trap pending (the FPU is off, or the rounding mode is invalid). The F/D slow path (fpu-host.ts).
   */
  fp: number;
}

/** sstatus.FS: the FPU's state (Off, Initial, Clean, Dirty). */
import { SSTATUS_FS } from './csr.js';

const LOAD_OPS: Record<string, number> = {
  '1s': Op.i64_load8_s, '1u': Op.i64_load8_u, '2s': Op.i64_load16_s, '2u': Op.i64_load16_u,
  '4s': Op.i64_load32_s, '4u': Op.i64_load32_u, '8s': Op.i64_load, '8u': Op.i64_load,
};
const STORE_OPS: Record<number, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };
const LOG2: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/**
 * What the interpreter's and the compiler's Sem share: memory accesses through the TLBs in linear memory (the
 * inline fast path compares `tag == address & (~0xfff | (width - 1))`, folding the alignment check in; anything
 * else calls the host: a TLB miss, MMIO, a misaligned access, a store to a page holding code, a watched page),
 * atomics, and illegal instructions. The tiers differ in where operands come from and in how control leaves.
 */
export abstract class SemBase implements Sem {
  readonly c: Code;
  /** The row being emitted (set by the tier before each instruction). */
  row!: InsnRow;
  private readonly addr: number;
  private readonly value: number;
  private readonly entry: number;
  private readonly st: number;
  private readonly tmps64: number[];
  private readonly tmps32: number[];

  constructor(c: Code, private readonly imports: MemoryImports, private readonly runtime: Record<RuntimeFn, number>) {
    this.c = c;
    this.addr = c.local(I64);
    this.value = c.local(I64);
    this.entry = c.local(I32);
    this.st = c.local(I32);
    this.tmps64 = [c.local(I64), c.local(I64), c.local(I64), c.local(I64)];
    this.tmps32 = [c.local(I32), c.local(I32), c.local(I32), c.local(I32)];
  }

  abstract x(reg: 'rs1' | 'rs2'): Code;
  abstract x32(reg: 'rs1' | 'rs2'): Code;
  abstract setRd(value: () => void): void;
  abstract imm(): Code;
  abstract imm32(): Code;
  abstract pc(): Code;
  abstract nextPc(): Code;
  abstract jump(target: () => void): void;
  abstract branch(cond: () => void): void;
  abstract host(): void;
  /** Pushes the i32 byte address of the current privilege's TLB set. */
  protected abstract tlbSet(): void;
  /** Leaves the instruction with its trap pending (the pc still at it). */
  protected abstract onTrap(): void;
  /** A store overwrote translated code: compiled code must leave after this instruction. */
  protected abstract afterCodeWrite(): void;
  /** Pushes rd (loads) or rs2 (stores) of the instruction, as the i32 register number. */
  protected abstract regField(field: 'rd' | 'rs2'): void;
  /** Pushes the i32 length of the instruction. */
  protected abstract length(): void;
  /** Pushes an operand field as an i32 (register numbers, the rounding-mode field). */
  protected abstract operand(field: 'rd' | 'rs1' | 'rs2' | 'rs3' | 'rm'): void;

  setRdW(value: () => void): void {
    this.setRd(() => {
      value();
      this.c.op(Op.i64_extend_i32_s);
    });
  }

  tmp64(i: 0 | 1 | 2 | 3): number {
    return this.tmps64[i];
  }

  tmp32(i: 0 | 1 | 2 | 3): number {
    return this.tmps32[i];
  }

  fn(name: RuntimeFn): number {
    return this.runtime[name];
  }

  /** Computes the TLB entry address of `addr` for this access kind into the entry local, and compares its tag. */
  private tlbHit(access: Access, width: number): void {
    const c = this.c;
    this.tlbSet();
    if (access !== Access.Read) c.i32(access * TLB_KIND_SIZE).op(Op.i32_add);
    c.get(this.addr).i64(12).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1023).op(Op.i32_and).i32(4).op(Op.i32_shl);
    c.op(Op.i32_add).tee(this.entry).mem(Op.i64_load, TLB_TAG);
    c.get(this.addr).i64(~0xfff | (width - 1)).op(Op.i64_and).op(Op.i64_eq);
  }

  /** Pushes the host address (offset in linear memory minus RAM_OFFSET) of the hit entry's byte. */
  private hostAddress(): void {
    const c = this.c;
    c.get(this.entry).mem(Op.i32_load, TLB_OFF);
    c.get(this.addr).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).op(Op.i32_add);
  }

  private addrHalves(): void {
    this.c.get(this.addr).op(Op.i32_wrap_i64).get(this.addr).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  }

  private valueHalves(): void {
    this.c.get(this.value).op(Op.i32_wrap_i64).get(this.value).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  }

  /** The H extension's transformed instruction for this load or store (see decoder.transformedInsn). */
  private htinst(): void {
    const c = this.c;
    const load = this.row.kind === 'load';
    c.i32(this.row.match & 0x707f);
    this.regField(load ? 'rd' : 'rs2');
    c.i32(load ? 7 : 20).op(Op.i32_shl).op(Op.i32_or);
    // Bit 1 clear for a compressed original: mask ~2 | ((len == 4) << 1).
    c.i32(~2);
    this.length();
    c.i32(4).op(Op.i32_eq).i32(1).op(Op.i32_shl).op(Op.i32_or).op(Op.i32_and);
  }

  load(width: 1 | 2 | 4 | 8, signed: boolean, addr: () => void): void {
    const c = this.c;
    addr();
    c.set(this.addr);
    this.tlbHit(Access.Read, width);
    c.if();
    this.hostAddress();
    c.mem(LOAD_OPS[`${width}${signed ? 's' : 'u'}`], RAM_OFFSET).set(this.value);
    c.else();
    this.addrHalves();
    c.i32(LOG2[width] | (signed || width === 8 ? 0 : 4));
    this.htinst();
    c.call(this.imports.load).if();
    this.onTrap();
    c.end();
    c.i32(0).mem(Op.i64_load, S.SCRATCH).set(this.value);
    c.end();
    c.get(this.value);
  }

  store(width: 1 | 2 | 4 | 8, addr: () => void, value: () => void): void {
    const c = this.c;
    addr();
    c.set(this.addr);
    value();
    c.set(this.value);
    this.tlbHit(Access.Write, width);
    c.if();
    this.hostAddress();
    c.get(this.value).mem(STORE_OPS[width], RAM_OFFSET);
    c.else();
    this.addrHalves();
    c.i32(LOG2[width]);
    this.valueHalves();
    this.htinst();
    c.call(this.imports.store).tee(this.st).i32(1).op(Op.i32_eq).if();
    this.onTrap();
    c.end();
    c.get(this.st).if();
    this.afterCodeWrite();
    c.end();
    c.end();
  }

  atomic(funct5: number, width: 4 | 8): void {
    const c = this.c;
    this.x('rs1');
    c.set(this.addr);
    this.x('rs2');
    c.set(this.value);
    this.addrHalves();
    c.i32(width === 8 ? 3 : 2).i32(funct5);
    this.valueHalves();
    c.call(this.imports.atomic).tee(this.st).i32(1).op(Op.i32_eq).if();
    this.onTrap();
    c.end();
    this.setRd(() => c.i32(0).mem(Op.i64_load, S.SCRATCH));
    c.get(this.st).if();
    this.afterCodeWrite();
    c.end();
  }

  /** Pushes the i32 address of f[field] (its 64-bit pattern lives at S.F + 8 * number). */
  private fAddr(field: 'rd' | 'rs1' | 'rs2' | 'rs3'): void {
    this.operand(field);
    this.c.i32(3).op(Op.i32_shl);
  }

  /** Pushes f[field] as an i64 bit pattern (F registers are never cached in locals: the slow path writes them). */
  f(field: 'rs1' | 'rs2' | 'rs3'): Code {
    this.fAddr(field);
    return this.c.mem(Op.i64_load, S.F);
  }

  /** f[rd] = the i64 `value` pushes; sstatus.FS becomes Dirty. */
  setFd(value: () => void): void {
    const c = this.c;
    this.fAddr('rd');
    value();
    c.mem(Op.i64_store, S.F);
    this.fsDirty();
  }

  private fsDirty(): void {
    this.c.i32(0).i32(0).mem(Op.i32_load, S.SSTATUS).i32(SSTATUS_FS).op(Op.i32_or).mem(Op.i32_store, S.SSTATUS);
  }

  /** Calls the slow path; leaves with the trap it raised, if any. */
  private fpSlow(): void {
    const c = this.c;
    const files = this.row.files ?? '';
    c.i32(this.row.id);
    this.operand('rd');
    this.operand('rs1');
    this.operand('rs2');
    // Loads and stores have no rs3 or rm: their offset and length go there (the length for a compressed one's stval).
    if (this.row.kind === 'load' || this.row.kind === 'store') {
      this.imm32();
      this.length();
    } else {
      this.operand('rs3');
      this.operand('rm');
    }
    if (files[1] === 'x') {
      this.x('rs1');
      c.set(this.value);
      this.valueHalves();
    } else {
      c.i32(0).i32(0);
    }
    c.call(this.imports.fp).if();
    this.onTrap();
    c.end();
  }

  /** Pushes 1 when the FPU is on (sstatus.FS != Off). */
  protected fsOn(): void {
    this.c.i32(0).mem(Op.i32_load, S.SSTATUS).i32(SSTATUS_FS).op(Op.i32_and);
  }

  /**
   * Pushes 1 when the instruction's effective rounding mode is `mode` (static, or dynamic with frm = mode) and
   * inexact is already raised: the condition of the FP fast paths (fp-fast.ts).
   */
  fastMode(mode: number): void {
    const c = this.c;
    const rm = this.tmps32[0], fcsr = this.tmps32[1];
    this.operand('rm');
    c.set(rm);
    c.i32(0).mem(Op.i32_load, S.FCSR).set(fcsr);
    c.get(rm).i32(mode).op(Op.i32_eq).get(fcsr).i32(1).op(Op.i32_and).op(Op.i32_and);
    c.get(rm).i32(7).op(Op.i32_eq).get(fcsr).i32(0xe1).op(Op.i32_and).i32((mode << 5) | 1).op(Op.i32_eq).op(Op.i32_and);
    c.op(Op.i32_or);
  }

  /** With the FPU off, the instruction is illegal (the slow path raises it). */
  private fsGuard(): void {
    const c = this.c;
    this.fsOn();
    c.op(Op.i32_eqz).if();
    this.fpSlow();
    c.end();
  }

  rmField(): void {
    this.operand('rm');
  }

  fp(): void {
    const c = this.c;
    this.fsGuard();
    const done = c.block();
    const slow = c.block();
    if (emitFastPath(this, this.row, slow)) c.br(done);
    c.end();
    this.fpSlow();
    if ((this.row.files ?? '')[0] === 'x') this.setRd(() => c.i32(0).mem(Op.i64_load, S.SCRATCH));
    c.end();
  }

  fpLoad(width: 4 | 8): void {
    const c = this.c;
    this.fsGuard();
    this.load(width, false, () => { this.x('rs1'); this.imm(); c.op(Op.i64_add); });
    c.set(this.tmps64[0]);
    this.setFd(() => {
      c.get(this.tmps64[0]);
      // A single is NaN-boxed: the upper half all ones.
      if (width === 4) c.i64(0, -1).op(Op.i64_or);
    });
  }

  fpStore(width: 4 | 8): void {
    this.fsGuard();
    this.store(width, () => { this.x('rs1'); this.imm(); this.c.op(Op.i64_add); }, () => this.f('rs2'));
  }

  illegal(): void {
    const c = this.c;
    c.i32(0).i32(2).mem(Op.i32_store, S.TRAP_CAUSE);
    c.i32(0);
    this.imm32();
    c.op(Op.i64_extend_i32_u).mem(Op.i64_store, S.TRAP_TVAL);
    c.i32(0).i64(0).mem(Op.i64_store, S.TRAP_GPA);
    c.i32(0).i32(0).mem(Op.i32_store, S.TRAP_HTINST);
    c.i32(0).i32(1).mem(Op.i32_store, S.TRAP_PENDING);
    this.onTrap();
  }
}
