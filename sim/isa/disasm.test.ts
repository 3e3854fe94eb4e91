import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { disassemble } from './disasm.js';

const BUILD = join(__dirname, '../../guests/build');
const OBJDUMP = 'riscv64-unknown-elf-objdump';

/** objdump 2.40 prints the register-immediate ALU forms under the register mnemonic (`add a0,a0,-12`). */
const IMMEDIATE_FORMS: Record<string, string> = {
  add: 'addi', addw: 'addiw', and: 'andi', or: 'ori', xor: 'xori', sll: 'slli', srl: 'srli', sra: 'srai',
  sllw: 'slliw', srlw: 'srliw', sraw: 'sraiw', slt: 'slti', sltu: 'sltiu',
};

/** objdump's text in our conventions: absolute 0x targets without symbols, no trailing comment. */
function normalize(mnemonic: string, operands: string): string {
  let ops = operands.replace(/\s+#.*$/, '').replace(/\b([0-9a-f]+) <[^>]*>/, '0x$1').trim();
  const last = ops.split(',').pop() ?? '';
  if (IMMEDIATE_FORMS[mnemonic] !== undefined && /^-?(0x)?[0-9a-f]+$/.test(last) && !/^[a-z]/.test(last)) mnemonic = IMMEDIATE_FORMS[mnemonic];
  ops = ops.replace(/\b0x0*([0-9a-f])/g, '0x$1');
  return ops === '' ? mnemonic : `${mnemonic} ${ops}`;
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

  it('names illegal words and shows ordering bits on atomics', () => {
    expect(disassemble(0x0000)).toBe('unimp');
    expect(disassemble(0xffffffff)).toBe('.word 0xffffffff');
    expect(disassemble(0x0405262f)).toBe('amoadd.w.aq a2,zero,(a0)');
    expect(disassemble(0x0605262f)).toBe('amoadd.w.aqrl a2,zero,(a0)');
    expect(disassemble(0x1005262f)).toBe('lr.w a2,(a0)');
  });
});
