import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../sim/index.js';
import { Symbolizer } from '../export/symbolizer.js';
import { disassembleAround } from './disasm.js';

const ELF = join(import.meta.dirname, '..', '..', 'guests', 'build', 'hello.elf');

/** objdump -d's instructions: address → [bytes, text] (binutils, the reference nobody here wrote), and its labels. */
function objdump(): { insns: Map<number, { bytes: string; text: string }>; labels: Map<number, string> } {
  const out = spawnSync('riscv64-unknown-elf-objdump', ['-d', ELF], { encoding: 'utf8' });
  expect(out.status).toBe(0);
  const insns = new Map<number, { bytes: string; text: string }>(), labels = new Map<number, string>();
  for (const line of out.stdout.split('\n')) {
    const label = /^([0-9a-f]+) <([^>]+)>:$/.exec(line);
    if (label) labels.set(parseInt(label[1], 16), label[2]);
    const m = /^\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t(.*)$/.exec(line);
    if (m) insns.set(parseInt(m[1], 16), { bytes: m[2], text: m[3].replace(/\s+#.*$/, '').trim() });
  }
  return { insns, labels };
}

describe('disassembly around a pc', () => {
  const elf = parseElf(readFileSync(ELF));
  const text = elf.segments.find((s) => s.flags & 1)!;
  const symbols = Symbolizer.fromImage(readFileSync(ELF))!;
  const ref = objdump();

  it("lines up with objdump's listing wherever it starts reading: addresses, bytes, labels and call targets", () => {
    const pcs = [...ref.insns.keys()].filter((a) => a >= text.vaddr && a < text.vaddr + text.fileBytes.length);
    expect(pcs.length).toBeGreaterThan(100);
    // Windows that start on a boundary, in the middle of a 4-byte instruction, and at the image's first byte.
    for (const pc of [pcs[3], pcs[Math.floor(pcs.length / 2)], pcs[pcs.length - 5], pcs[0], ...pcs.filter((_, i) => i % 7 === 1)]) {
      for (const back of [0, 2, 6, 34, 70]) {
        const base = Math.max(text.vaddr, pc - back);
        const mem = text.fileBytes.subarray(base - text.vaddr, base - text.vaddr + back + 64);
        for (const syms of [symbols, null]) {
          const lines = disassembleAround(mem, base, pc, 4, 8, syms);
          const at = lines.findIndex((l) => l.pc === `0x${pc.toString(16)}`);
          expect(at, `pc 0x${pc.toString(16)} back ${back}`).toBeGreaterThanOrEqual(0);
          // With room before pc, lines before it are shown (at most the 4 asked for), not just pc on.
          if (back >= 34 && pc - back >= text.vaddr) expect(at).toBeGreaterThanOrEqual(syms === null ? 3 : Math.min(4, pcs.indexOf(pc) - pcs.indexOf(pc - symbols.lookup(pc)!.offset)));
          const lastCode = Math.max(...ref.insns.keys());
          for (const l of lines) {
            // Past the code (read-only data follows it in the segment) objdump lists nothing to compare with.
            if (parseInt(l.pc, 16) > lastCode) continue;
            // Zero padding between functions: objdump elides it ("..."), here it is `unimp` two bytes at a time.
            if (l.bytes === '0000' && !ref.insns.has(parseInt(l.pc, 16))) continue;
            const r = ref.insns.get(parseInt(l.pc, 16));
            expect(r, `${l.pc} (pc 0x${pc.toString(16)}, ${back} bytes back, symbols ${syms !== null}) is an instruction start for objdump`).toBeDefined();
            expect(l.bytes).toBe(r!.bytes);
            if (syms !== null) expect(l.label).toBe(ref.labels.get(parseInt(l.pc, 16)));
            // objdump: `jal ra,80200180 <puts>`; here: `jal ra,0x80200180 <puts>`.
            const target = /<([^>]+)>$/.exec(r!.text);
            if (syms !== null && target && /^(j|jal|b)/.test(r!.text)) expect(l.text.endsWith(`<${target[1]}>`)).toBe(true);
          }
        }
      }
    }
  });
});
