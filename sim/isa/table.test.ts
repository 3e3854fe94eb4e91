import { describe, expect, it } from 'vitest';
import { COMPRESSED } from './compressed.js';
import { decode, encode, expandedBits } from './decoder.js';
import { compilable, endsBlock } from './row.js';
import { ILLEGAL, ROWS } from './table.js';

describe('the ISA table', () => {
  it('has no two rows that match the same word', () => {
    const overlaps: string[] = [];
    for (const a of ROWS) {
      for (const b of ROWS) {
        if (a.id >= b.id || a === ILLEGAL) continue;
        if (((a.match ^ b.match) & a.mask & b.mask) === 0) overlaps.push(`${a.name}/${b.name}`);
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('decodes the encoding of every row back to that row, with its fields', () => {
    for (const row of ROWS) {
      if (row === ILLEGAL) continue;
      const fields = { rd: 5, rs1: 6, rs2: row.name.startsWith('lr.') ? 0 : 7, imm: 0 };
      const bits = encode(row.name, fields);
      const d = decode(bits);
      expect(d.row.name, row.name).toBe(row.name);
      expect(expandedBits(d), row.name).toBe(bits);
    }
  });

  it('derives block ends and what the compiler takes from the kind column', () => {
    const byName = (n: string) => ROWS.find((r) => r.name === n)!;
    expect(endsBlock(byName('jal'))).toBe(true);
    expect(endsBlock(byName('beq'))).toBe(false);
    expect(endsBlock(byName('csrrw'))).toBe(true);
    expect(endsBlock(byName('fence.i'))).toBe(true);
    expect(endsBlock(byName('sd'))).toBe(false);
    expect(compilable(byName('ecall'))).toBe(false);
    expect(compilable(byName('lr.d'))).toBe(true);
    expect(compilable(ILLEGAL)).toBe(false);
  });

  it('expands every compressed row to a 32-bit row', () => {
    for (const c of COMPRESSED) {
      // A representative word: the match bits with every field bit set (reserved zero forms aside).
      const h = c.match | (~c.mask & 0xffff);
      const d = decode(h);
      expect(d.len).toBe(2);
      expect(d.row === ILLEGAL || d.row === c.base || d.compressed !== c, c.name).toBe(true);
    }
  });
});
