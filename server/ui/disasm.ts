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
 * Lines around `pc` from memory read at [base, base + mem.length): `before` instructions before it and `after` from
 * it on. Decoding starts at the symbol that holds pc when it is near (the way objdump does), otherwise at the first
 * place from which the instruction stream lands on pc (a compressed stream has no other way to be read backwards).
 */
export function disassembleAround(mem: Uint8Array, base: number, pc: number, before: number, after: number, symbols: Symbolizer | null): DisasmLine[] {
  const starts: number[] = [];
  const sym = symbols?.lookup(pc);
  if (sym && pc - sym.offset >= base) starts.push(pc - sym.offset);
  for (let s = base; s <= pc; s += 2) starts.push(s);
  let insns = null;
  for (const s of starts) {
    insns = decodeFrom(mem, base, s, pc);
    if (insns !== null) break;
  }
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
