import { interpreterModule, InterpreterImportName } from './interpreter.js';
import type { Hart } from './hart.js';

/** Table slots the compiled blocks start with (the table grows as blocks are compiled). */
const INITIAL_TABLE = 1024;

/**
 * Instantiates the interpreter for a hart: its imports are the hart's host functions, its memory the machine's, and
 * its table the one compiled blocks are put in. Returns the `run` entry point and the table.
 */
export function instantiateInterpreter(memory: WebAssembly.Memory, hart: Hart): { run: () => number; table: WebAssembly.Table } {
  const table = new WebAssembly.Table({ initial: INITIAL_TABLE, element: 'anyfunc' });
  const env: Record<InterpreterImportName, (...args: number[]) => number | void> = {
    load: (lo, hi, f3, htinst) => hart.hostLoad(lo, hi, f3, htinst),
    store: (lo, hi, log2, vlo, vhi, htinst) => hart.hostStore(lo, hi, log2, vlo, vhi, htinst),
    atomic: (lo, hi, f3, f5, vlo, vhi) => hart.hostAtomic(lo, hi, f3, f5, vlo, vhi),
    fetch: (lo, hi) => hart.hostFetch(lo, hi),
    host: (row, rd, rs1, rs2, imm, len) => hart.hostInsn(row, rd, rs1, rs2, imm, len),
    trap: () => hart.hostTrap(),
    irq: () => hart.hostIrq(),
    breakpoint: (lo, hi) => hart.hostBreakpoint(lo, hi),
    decode: (off, lo, hi) => hart.hostDecode(off, lo, hi),
    codePage: (page) => hart.code.codePage(page),
    hot: (ent, off, lo, hi) => hart.jit?.hot(ent, off, lo, hi),
    pageClear: (lo, hi) => hart.hostPageClear(lo, hi),
    fp: (row, rd, rs1, rs2, rs3, rm, xlo, xhi) => hart.hostFp(row, rd, rs1, rs2, rs3, rm, xlo, xhi),
  };
  const instance = new WebAssembly.Instance(interpreterModule(), { env: { ...env, memory, blocks: table } });
  return { run: instance.exports.run as () => number, table };
}
