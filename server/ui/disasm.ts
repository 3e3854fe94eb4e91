/**
 * The instructions around a pc, read from a VM's guest memory (read-mem through its worker, so a replay session
 * shows the traveller's memory) and disassembled with sim/isa's disassembler, objdump-style, with symbols.
 */
import { disassemble, insnLength } from '../../sim/isa/index.js';
import type { Symbolizer } from '../export/symbolizer.js';

export interface DisasmLine {
  pc: string;
  /** The instruction's bytes as objdump shows them: the 16- or 32-bit word in hex. */
  bytes: string;
  text: string;
  /** The symbol the line starts, when it starts one. */
  label?: string;
}

const CONTROL = /^(j|jal|jr|jalr|call|tail|b[a-z]*)\s/;

/** Decodes forward from `start` over `mem` (guest bytes from `base`): the lines, or null when `pc` is not on an instruction boundary. */
function decodeFrom(mem: Uint8Array, base: number, start: number, pc: number): { at: number; bits: number; len: number }[] | null {
  const out = [];
  let hitPc = false;
  for (let at = start; at + 2 <= base + mem.length; ) {
    const i = at - base;
    const lo = mem[i] | (mem[i + 1] << 8);
    const len = insnLength(lo);
    if (at + len > base + mem.length) break;
    const bits = len === 2 ? lo : (lo | (mem[i + 2] << 16) | (mem[i + 3] << 24)) >>> 0;
    if (at === pc) hitPc = true;
    if (at > pc && !hitPc) return null;
    out.push({ at, bits, len });
    at += len;
  }
  return hitPc ? out : null;
}

/**
 * Where to start decoding so that the stream lands on `pc` with every instruction before it certain, when no
 * symbol says where the code starts: variable-length code cannot be read backwards, so every 2-byte-aligned start
 * in the window is tried, and an address counts as an instruction boundary when three quarters of the starts
 * before it that land on pc pass through it (and at least three do). The earliest start whose whole path is made
 * of such boundaries wins (at worst, pc itself).
 */
function agreedStart(mem: Uint8Array, base: number, pc: number): number {
  const paths: { start: number; at: Set<number> }[] = [];
  for (let s = base; s <= pc; s += 2) {
    const insns = decodeFrom(mem, base, s, pc);
    if (insns !== null) paths.push({ start: s, at: new Set(insns.filter((i) => i.at <= pc).map((i) => i.at)) });
  }
  // Passed through by most of the starts before it, and by at least three (near the window's start too few are
  // tried to tell): a stream read from the wrong byte falls back into step within an instruction or two.
  const agreed = (a: number) => {
    if (a === pc) return true;
    let before = 0, through = 0;
    for (const p of paths) {
      if (p.start > a) continue;
      before++;
      if (p.at.has(a)) through++;
    }
    return through >= 3 && through * 4 >= before * 3;
  };
  for (const p of paths) {
    if (!agreed(p.start)) continue;
    if ([...p.at].every(agreed)) return p.start;
  }
  return pc;
}

/**
 * Lines around `pc` from memory read at [base, base + mem.length): `before` instructions before it and `after` from
 * it on. Decoding starts at the symbol that holds pc when the window has its start (as objdump reads code);
 * otherwise where agreedStart says.
 */
export function disassembleAround(mem: Uint8Array, base: number, pc: number, before: number, after: number, symbols: Symbolizer | null): DisasmLine[] {
  const sym = symbols?.lookup(pc);
  const start = sym && pc - sym.offset >= base ? pc - sym.offset : agreedStart(mem, base, pc);
  const insns = decodeFrom(mem, base, start, pc);
  if (insns === null) return [];
  const at = insns.findIndex((i) => i.at === pc);
  return insns.slice(Math.max(0, at - before), at + after).map(({ at: a, bits, len }) => {
    const addr = BigInt(a);
    let text = disassemble(bits, addr);
    const m = CONTROL.test(text) ? /0x([0-9a-f]+)$/.exec(text) : null;
    const target = m === null ? undefined : symbols?.format(Number.parseInt(m[1], 16));
    if (target !== undefined) text += ` <${target}>`;
    const line: DisasmLine = { pc: `0x${a.toString(16)}`, bytes: bits.toString(16).padStart(len * 2, '0'), text };
    const here = symbols?.lookup(a);
    if (here && here.offset === 0) line.label = here.name;
    return line;
  });
}
