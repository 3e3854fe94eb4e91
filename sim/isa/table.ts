import { InsnRow, parsePattern, RowSpec } from './row.js';
import { RV64A } from './rv64a.js';
import { RV64FD } from './rv64fd.js';
import { RV64I } from './rv64i.js';
import { RV64M } from './rv64m.js';
import { SYSTEM } from './system.js';
import { ZBA } from './zba.js';
import { ZBB } from './zbb.js';
import { ZBS } from './zbs.js';

/**
 * The ISA table: every instruction the hart implements, one row each. The decoder, the compressed expansion, the
 * disassembler and both execution tiers are driven by it; adding an instruction is adding a row.
 *
 * Row 0 is `illegal`, what any word that matches no row decodes to (its immediate holds the word, for stval).
 */
const ILLEGAL_SPEC: RowSpec = {
  name: 'illegal', pattern: '-'.repeat(32), format: 'N', ext: 'I', kind: 'illegal', sem: (s) => s.illegal(),
};

function build(specs: readonly RowSpec[]): InsnRow[] {
  const rows: InsnRow[] = [];
  for (const spec of specs) {
    const { mask, match } = spec === ILLEGAL_SPEC ? { mask: 0, match: 0 } : parsePattern(spec.pattern);
    if ((match & 3) !== 3 && spec !== ILLEGAL_SPEC) throw new Error(`row ${spec.name}: a 32-bit encoding ends in 11`);
    rows.push(Object.freeze({ ...spec, mask, match, id: rows.length }));
  }
  return rows;
}

export const ROWS: readonly InsnRow[] = build([ILLEGAL_SPEC, ...RV64I, ...RV64M, ...RV64A, ...RV64FD, ...SYSTEM, ...ZBA, ...ZBB, ...ZBS]);

export const ILLEGAL = ROWS[0];

const byName = new Map(ROWS.map((r) => [r.name, r]));

/** The row of a mnemonic (the table's own name, e.g. 'addi', 'lr.w'). */
export function rowNamed(name: string): InsnRow {
  const r = byName.get(name);
  if (r === undefined) throw new Error(`no instruction named ${name}`);
  return r;
}
