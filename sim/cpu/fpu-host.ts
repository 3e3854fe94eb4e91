import { FP_OPS, Rm } from '../fpu/index.js';
import type { FpOperands, FpOutcome } from '../fpu/index.js';
import { compressedBits, encodeRow, ROWS } from '../isa/index.js';
import { S } from './layout.js';
import { SSTATUS_FS } from './csr.js';

const w = (byteOffset: number): number => byteOffset >>> 2;
const ILLEGAL_INST = 2;

/**
 * The F/D slow path: what the tiers call for an FP operation they do not finish inline. It checks the FPU is on
 * and the rounding mode valid (else raises illegal instruction), runs the exact operation (sim/fpu), writes the
 * result (an f register, or S.SCRATCH for the tier to put in x[rd]), accumulates fflags and marks the FPU Dirty.
 * Bigint lives only here: the fast paths handle the common cases inline.
 */
export class FpuHost {
  private readonly s: Int32Array;
  private readonly q: BigUint64Array;
  /** Each row's operation, by row id (undefined for rows that are not F/D operations). */
  private readonly ops: ((o: FpOperands) => FpOutcome)[] = ROWS.map((r) => FP_OPS[r.name]);
  private readonly operands: FpOperands = { a: 0n, b: 0n, c: 0n, x: 0n, rm: Rm.RNE };

  constructor(memory: WebAssembly.Memory) {
    this.s = new Int32Array(memory.buffer, 0, 256);
    this.q = new BigUint64Array(memory.buffer, 0, 128);
  }

  exec(rowId: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number, xlo: number, xhi: number): number {
    const s = this.s;
    const row = ROWS[rowId];
    const memoryForm = row.kind === 'load' || row.kind === 'store';
    // (For a load or store, rs3 holds its offset and rm its length.)
    if ((s[w(S.SSTATUS)] & SSTATUS_FS) === 0) {
      if (!memoryForm) return this.illegal(encodeRow(row, { rd, rs1, rs2, rs3, rm }));
      const fields = { rd, rs1, rs2, imm: rs3 };
      return this.illegal((rm === 2 ? compressedBits(row, fields) : null) ?? encodeRow(row, fields));
    }
    const op = this.ops[rowId];
    if (op === undefined) throw new Error(`${row.name} has no slow path`);
    const fcsr = s[w(S.FCSR)];
    const effective = rm === Rm.DYN ? (fcsr >>> 5) & 7 : rm;
    // Rows without a rounding-mode field ignore it; elsewhere 5, 6 (and frm 5..7) are reserved.
    const hasRm = row.format === 'FR' || row.format === 'FR4' || row.format === 'FR1';
    if (hasRm && effective > Rm.RMM) return this.illegal(encodeRow(row, { rd, rs1, rs2, rs3, rm }));
    const o = this.operands;
    const f = w(S.F) >>> 1;
    o.a = this.q[f + rs1];
    o.b = this.q[f + rs2];
    o.c = this.q[f + rs3];
    o.x = (BigInt(xhi >>> 0) << 32n) | BigInt(xlo >>> 0);
    o.rm = hasRm ? effective : Rm.RNE;
    const r = op(o);
    if (r.dest === 'f') this.q[f + rd] = r.bits;
    else this.q[w(S.SCRATCH) >>> 1] = r.bits;
    s[w(S.FCSR)] = fcsr | r.flags;
    // A change to the FPU's state (an f register, or fflags) makes it Dirty; an x result alone does not.
    if (r.dest === 'f' || r.flags !== 0) s[w(S.SSTATUS)] |= SSTATUS_FS;
    return 0;
  }

  /** Raises illegal instruction with stval = `bits` (the instruction as fetched). */
  private illegal(bits: number): number {
    const s = this.s;
    s[w(S.TRAP_PENDING)] = 1;
    s[w(S.TRAP_CAUSE)] = ILLEGAL_INST;
    s[w(S.TRAP_TVAL)] = bits;
    s[w(S.TRAP_TVAL) + 1] = 0;
    s[w(S.TRAP_GPA)] = 0;
    s[w(S.TRAP_GPA) + 1] = 0;
    s[w(S.TRAP_HTINST)] = 0;
    return 1;
  }
}
