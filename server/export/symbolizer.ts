import { parseElf, PF_X } from '../../sim/elf.js';

export interface Symbol {
  address: number;
  name: string;
}

/**
 * pc → `name+0xoff` from an ELF's symbol table (sim/elf.ts reads it), as gdb and perf print a pc. The table has no
 * sizes, so a pc is given the closest symbol at or below it, and only inside the image's executable segments: a pc
 * past the code (in a kernel module, in data) gets none rather than a wrong name.
 */
export class Symbolizer {
  /** Sorted by address; at one address the first name in table order. */
  readonly symbols: readonly Symbol[];
  private readonly ranges: readonly [number, number][];

  private constructor(symbols: Symbol[], ranges: [number, number][]) {
    this.symbols = symbols;
    this.ranges = ranges;
  }

  /** From a guest image: null when it is not an ELF (a Linux Image) or has no symbols (stripped). */
  static fromImage(image: Uint8Array): Symbolizer | null {
    let elf;
    try {
      elf = parseElf(image);
    } catch {
      return null;
    }
    const ranges = elf.segments.filter((s) => (s.flags & PF_X) !== 0).map((s) => [s.vaddr, s.vaddr + s.memSize] as [number, number]);
    const inCode = (a: number) => ranges.some(([lo, hi]) => a >= lo && a < hi);
    const symbols = [...elf.symbols].map(([name, address]) => ({ name, address })).filter((s) => inCode(s.address));
    if (symbols.length === 0) return null;
    symbols.sort((a, b) => a.address - b.address);
    const unique = symbols.filter((s, i) => i === 0 || s.address !== symbols[i - 1].address);
    return new Symbolizer(unique, ranges);
  }

  /** The symbol a pc is in and the offset into it, or null. */
  lookup(pc: bigint | number): { name: string; offset: number } | null {
    const a = typeof pc === 'bigint' ? (pc > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(pc)) : pc;
    if (a < 0 || !this.ranges.some(([lo, hi]) => a >= lo && a < hi)) return null;
    const s = this.symbols;
    let lo = 0, hi = s.length - 1;
    if (s[0].address > a) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (s[mid].address <= a) lo = mid;
      else hi = mid - 1;
    }
    return { name: s[lo].name, offset: a - s[lo].address };
  }

  /** `name` or `name+0x1c`, or undefined. Exits come from a few pcs over and over: the names are kept (up to a bound). */
  format(pc: bigint | number): string | undefined {
    const cached = this.formatted.get(pc);
    if (cached !== undefined || this.formatted.has(pc)) return cached;
    const hit = this.lookup(pc);
    const name = hit === null ? undefined : hit.offset === 0 ? hit.name : `${hit.name}+0x${hit.offset.toString(16)}`;
    if (this.formatted.size >= 4096) this.formatted.clear();
    this.formatted.set(pc, name);
    return name;
  }

  private readonly formatted = new Map<bigint | number, string | undefined>();
}
