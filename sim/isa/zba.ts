import { Op } from '../wasm/opcodes.js';
import type { RowSpec } from './row.js';
import type { Sem } from './sem.js';

/**
 * Zba (address generation): rd = x[rs2] + (index << n), where the index is x[rs1], or in the .uw forms its low
 * word zero-extended (an unsigned 32-bit array index); slli.uw shifts that zero-extended word alone.
 */

/** Pushes x[rs1] (i64), or its low word zero-extended. */
function index(s: Sem, unsignedWord: boolean): void {
  if (!unsignedWord) {
    s.x('rs1');
    return;
  }
  s.x32('rs1');
  s.c.op(Op.i64_extend_i32_u);
}

function shiftAdd(name: string, pattern: string, shift: 0 | 1 | 2 | 3, unsignedWord: boolean): RowSpec {
  return {
    name, pattern, format: 'R', ext: 'Zba', kind: 'alu',
    sem: (s) => s.setRd(() => {
      index(s, unsignedWord);
      if (shift !== 0) s.c.i64(shift).op(Op.i64_shl);
      s.x('rs2');
      s.c.op(Op.i64_add);
    }),
  };
}

export const ZBA: RowSpec[] = [
  shiftAdd('add.uw', '0000100 ----- ----- 000 ----- 0111011', 0, true),
  shiftAdd('sh1add', '0010000 ----- ----- 010 ----- 0110011', 1, false),
  shiftAdd('sh2add', '0010000 ----- ----- 100 ----- 0110011', 2, false),
  shiftAdd('sh3add', '0010000 ----- ----- 110 ----- 0110011', 3, false),
  shiftAdd('sh1add.uw', '0010000 ----- ----- 010 ----- 0111011', 1, true),
  shiftAdd('sh2add.uw', '0010000 ----- ----- 100 ----- 0111011', 2, true),
  shiftAdd('sh3add.uw', '0010000 ----- ----- 110 ----- 0111011', 3, true),
  {
    name: 'slli.uw', pattern: '000010- ----- ----- 001 ----- 0011011', format: 'SH6', ext: 'Zba', kind: 'alu',
    sem: (s) => s.setRd(() => { index(s, true); s.imm(); s.c.op(Op.i64_shl); }),
  },
];
