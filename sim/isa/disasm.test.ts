import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRow } from './decoder.js';
import { disassemble } from './disasm.js';
import { ROWS } from './table.js';

const BUILD = join(__dirname, '../../guests/build');
const OBJDUMP = 'riscv64-unknown-elf-objdump';

/** objdump 2.40 prints the register-immediate ALU forms under the register mnemonic (`add a0,a0,-12`). */
const IMMEDIATE_FORMS: Record<string, string> = {
  add: 'addi', addw: 'addiw', and: 'andi', or: 'ori', xor: 'xori', sll: 'slli', srl: 'srli', sra: 'srai',
  sllw: 'slliw', srlw: 'srliw', sraw: 'sraiw', slt: 'slti', sltu: 'sltiu',
  ror: 'rori', rorw: 'roriw', bclr: 'bclri', bext: 'bexti', binv: 'binvi', bset: 'bseti',
};

/** objdump's text in our conventions: absolute 0x targets without symbols, no trailing comment. */
function normalize(mnemonic: string, operands: string): string {
  let ops = operands.replace(/\s+#.*$/, '').replace(/\b([0-9a-f]+) <[^>]*>/, '0x$1').trim();
  const last = ops.split(',').pop() ?? '';
  if (IMMEDIATE_FORMS[mnemonic] !== undefined && /^-?(0x)?[0-9a-f]+$/.test(last) && !/^[a-z]/.test(last)) mnemonic = IMMEDIATE_FORMS[mnemonic];
  ops = ops.replace(/\b0x0*([0-9a-f])/g, '0x$1');
  return ops === '' ? mnemonic : `${mnemonic} ${ops}`;
}

/** objdump's listing of `words` (assembled with .insn under `march`), as [address, word, normalized text]. */
function objdumpOf(words: readonly number[], march: string): [string, string, string][] {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-disasm-'));
  try {
    writeFileSync(join(dir, 'w.S'), words.map((w) => `.insn 0x${(w >>> 0).toString(16)}\n`).join(''));
    const as = spawnSync('riscv64-unknown-elf-as', [`-march=${march}`, '-o', join(dir, 'w.o'), join(dir, 'w.S')], { encoding: 'utf8' });
    expect(as.status, as.stderr).toBe(0);
    const out = spawnSync(OBJDUMP, ['-d', join(dir, 'w.o')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(out.status).toBe(0);
    const lines: [string, string, string][] = [];
    for (const line of out.stdout.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t(\S+)\t?(.*)$/.exec(line);
      if (m !== null) lines.push([m[1], m[2], normalize(m[3], m[4])]);
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('disassembler', () => {
  it('prints what GNU objdump prints for every instruction of every guest ELF', () => {
    const elves = readdirSync(BUILD).filter((f) => f.endsWith('.elf'));
    expect(elves.length).toBeGreaterThan(10);
    let compared = 0;
    const mismatches: string[] = [];
    for (const elf of elves) {
      const out = spawnSync(OBJDUMP, ['-d', join(BUILD, elf)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(out.status).toBe(0);
      for (const line of out.stdout.split('\n')) {
        const m = /^\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t(\S+)\t?(.*)$/.exec(line);
        if (m === null || m[3].startsWith('.')) continue;
        const expected = normalize(m[3], m[4]);
        const actual = disassemble(parseInt(m[2], 16), BigInt(`0x${m[1]}`));
        compared++;
        if (actual !== expected) mismatches.push(`${elf} ${m[1]}: ${m[2]} objdump '${expected}' ours '${actual}'`);
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
  });

  it('prints what GNU objdump prints for Zba, Zbb, Zbs and pause (assembled with those extensions on)', () => {
    // Operands: the usual ones, x0 in every place (zext.w is add.uw with rs2 = x0), rd = rs1 = rs2, and shift
    // amounts 0, 1, 31, 32 and 63 (the W forms keep the low five bits).
    const operands = [
      { rd: 10, rs1: 11, rs2: 12, imm: 7 }, { rd: 0, rs1: 31, rs2: 0, imm: 63 }, { rd: 31, rs1: 0, rs2: 31, imm: 32 },
      { rd: 5, rs1: 5, rs2: 5, imm: 31 }, { rd: 1, rs1: 2, rs2: 0, imm: 1 }, { rd: 8, rs1: 9, rs2: 3, imm: 0 },
    ];
    const words: number[] = [];
    for (const row of ROWS.filter((r) => r.ext === 'Zba' || r.ext === 'Zbb' || r.ext === 'Zbs')) {
      for (const f of operands) words.push(encodeRow(row, { ...f, imm: row.format === 'SH5' ? f.imm & 31 : f.imm }));
    }
    // pause, and the fence next to it
    words.push(0x0100000f, 0x0110000f);
    const listing = objdumpOf(words, 'rv64gc_zba_zbb_zbs_zihintpause');
    expect(listing.length).toBe(words.length);
    const mismatches = listing
      .map(([addr, hex, expected]) => [addr, hex, expected, disassemble(parseInt(hex, 16), BigInt(`0x${addr}`))])
      .filter(([, , expected, actual]) => expected !== actual)
      .map(([addr, hex, expected, actual]) => `${addr}: ${hex} objdump '${expected}' ours '${actual}'`);
    expect(mismatches).toEqual([]);
    expect(listing.map(([, , text]) => text.split(' ')[0])).toContain('pause');
    expect(listing.map(([, , text]) => text.split(' ')[0])).toContain('zext.w');
  });

  it('names illegal words and shows ordering bits on atomics', () => {
    expect(disassemble(0x0000)).toBe('unimp');
    expect(disassemble(0xffffffff)).toBe('.word 0xffffffff');
    expect(disassemble(0x0405262f)).toBe('amoadd.w.aq a2,zero,(a0)');
    expect(disassemble(0x0605262f)).toBe('amoadd.w.aqrl a2,zero,(a0)');
    expect(disassemble(0x1005262f)).toBe('lr.w a2,(a0)');
    // pause is one word: with rd, rs1 or fm set it is a plain (reserved-form) fence
    expect(disassemble(0x0100000f)).toBe('pause');
    expect(disassemble(0x0100008f)).toBe('fence w,0');
    expect(disassemble(0x8100000f)).toBe('fence w,0');
  });
});
