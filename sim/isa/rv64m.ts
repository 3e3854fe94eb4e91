import { Op } from '../wasm/opcodes.js';
import type { RowSpec } from './row.js';
import type { RuntimeFn } from './sem.js';

/** RV64M: multiply and divide. Division's corner cases (by zero, overflow) live in the runtime helpers. */

function call64(name: string, pattern: string, fn: RuntimeFn): RowSpec {
  return { name, pattern, format: 'R', ext: 'M', kind: 'alu', sem: (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); s.c.call(s.fn(fn)); }) };
}

function call32(name: string, pattern: string, fn: RuntimeFn): RowSpec {
  return { name, pattern, format: 'R', ext: 'M', kind: 'alu', sem: (s) => s.setRdW(() => { s.x32('rs1'); s.x32('rs2'); s.c.call(s.fn(fn)); }) };
}

export const RV64M: RowSpec[] = [
  { name: 'mul', pattern: '0000001 ----- ----- 000 ----- 0110011', format: 'R', ext: 'M', kind: 'alu', sem: (s) => s.setRd(() => { s.x('rs1'); s.x('rs2'); s.c.op(Op.i64_mul); }) },
  call64('mulh', '0000001 ----- ----- 001 ----- 0110011', 'mulh'),
  call64('mulhsu', '0000001 ----- ----- 010 ----- 0110011', 'mulhsu'),
  call64('mulhu', '0000001 ----- ----- 011 ----- 0110011', 'mulhu'),
  call64('div', '0000001 ----- ----- 100 ----- 0110011', 'div'),
  call64('divu', '0000001 ----- ----- 101 ----- 0110011', 'divu'),
  call64('rem', '0000001 ----- ----- 110 ----- 0110011', 'rem'),
  call64('remu', '0000001 ----- ----- 111 ----- 0110011', 'remu'),
  { name: 'mulw', pattern: '0000001 ----- ----- 000 ----- 0111011', format: 'R', ext: 'M', kind: 'alu', sem: (s) => s.setRdW(() => { s.x32('rs1'); s.x32('rs2'); s.c.op(Op.i32_mul); }) },
  call32('divw', '0000001 ----- ----- 100 ----- 0111011', 'divw'),
  call32('divuw', '0000001 ----- ----- 101 ----- 0111011', 'divuw'),
  call32('remw', '0000001 ----- ----- 110 ----- 0111011', 'remw'),
  call32('remuw', '0000001 ----- ----- 111 ----- 0111011', 'remuw'),
];
