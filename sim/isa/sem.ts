import type { Code } from '../wasm/code.js';

/**
 * What an instruction's semantics are written against: a builder of WebAssembly code. Each row of the ISA table
 * describes its instruction once, as calls on a Sem; each execution tier supplies its own Sem:
 * - the interpreter's reads the operands from the decoded-instruction cache at run time (one case per row in a
 *   dispatch loop compiled once);
 * - the compiler's knows them as constants and caches registers in locals (one function per hot block).
 * So the tiers cannot disagree about what an instruction does; they differ only in where operands come from and
 * how control leaves (a side exit, a trap).
 *
 * Values on the wasm stack: x registers are i64; `x32` gives the low word as i32; conditions are i32.
 */
export interface Sem {
  /** The code being built, for plain wasm operators. */
  readonly c: Code;
  /** Pushes x[rs1] or x[rs2] (i64). */
  x(reg: 'rs1' | 'rs2'): Code;
  /** Pushes the low 32 bits of x[rs1] or x[rs2] (i32). */
  x32(reg: 'rs1' | 'rs2'): Code;
  /** Writes the i64 that `value` pushes to rd (writes to x0 are dropped; the value is still computed). */
  setRd(value: () => void): void;
  /** Writes the i32 that `value` pushes to rd, sign-extended to 64 bits (the W instructions). */
  setRdW(value: () => void): void;
  /** Pushes the sign-extended immediate (i64), or the i32 form. */
  imm(): Code;
  imm32(): Code;
  /** Pushes this instruction's address, or the next instruction's (i64). */
  pc(): Code;
  nextPc(): Code;
  /** An unconditional control transfer to the i64 address `target` pushes; ends the instruction. */
  jump(target: () => void): void;
  /** A conditional branch to pc + imm when the i32 `cond` pushes is non-zero. */
  branch(cond: () => void): void;
  /** A load of `width` bytes from the i64 address `addr` pushes, extended to i64 and pushed. */
  load(width: 1 | 2 | 4 | 8, signed: boolean, addr: () => void): void;
  /** A store of the low `width` bytes of the i64 `value` to the i64 address `addr`. */
  store(width: 1 | 2 | 4 | 8, addr: () => void, value: () => void): void;
  /** LR, SC or an AMO (funct5) of `width` bytes at x[rs1], with x[rs2] as the operand; rd gets the result. */
  atomic(funct5: number, width: 4 | 8): void;
  /**
   * The instruction is carried out by the hart's host side (CSR access, sret, wfi, ecall, ...): it may complete,
   * move the pc, or trap. Instructions like these always end a block.
   */
  host(): void;
  /**
   * An F/D operation (arithmetic, conversion, compare, move, classify): on the FPU's operands and fcsr, the result
   * to rd in the row's file. Raises illegal instruction when the FPU is off or the rounding mode is invalid.
   */
  fp(): void;
  /** flw / fld: f[rd] = the value at x[rs1] + imm (a single NaN-boxed). */
  fpLoad(width: 4 | 8): void;
  /** fsw / fsd: the low `width` bytes of f[rs2] to x[rs1] + imm. */
  fpStore(width: 4 | 8): void;
  /** Raises an illegal-instruction exception (stval = the instruction bits). */
  illegal(): void;
  /** Scratch locals shared by all rows (a row must not rely on them keeping values across other Sem calls). */
  tmp64(i: 0 | 1 | 2 | 3): number;
  tmp32(i: 0 | 1 | 2 | 3): number;
  /** A helper function of the module (multiply-high, division with RISC-V's corner cases, ...). */
  fn(name: RuntimeFn): number;
}

/** Helper functions every module built from the table carries (see sim/cpu/runtime-fns.ts). */
export type RuntimeFn = 'mulh' | 'mulhsu' | 'mulhu' | 'div' | 'divu' | 'rem' | 'remu' | 'divw' | 'divuw' | 'remw' | 'remuw' | 'fmad' | 'fmas';
