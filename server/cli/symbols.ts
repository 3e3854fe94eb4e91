/**
 * PCs as `function+offset`, from the symbol table of the guest's ELF (sim/elf.ts reads .symtab), wherever an
 * address is printed for people: `pc 0x8020012c <putchar+0x10>`. A pc outside the ELF's executable segments, or
 * an image without symbols (a stripped ELF, a Linux Image), gets no name rather than a wrong one.
 */
import { parseElf } from '../../sim/elf.js';
import { SimError } from '../../sim/errors.js';

const PF_X = 1;

export class Symbols {
  /** Symbol addresses, ascending, and the name at each (the first name in sorted order where several share one). */
  private readonly addrs: number[];
  private readonly names: string[];
  private readonly code: { start: number; end: number }[];

  private constructor(symbols: ReadonlyMap<string, number>, code: { start: number; end: number }[]) {
    const sorted = [...symbols].sort(([an, a], [bn, b]) => a - b || an.localeCompare(bn));
    this.addrs = [];
    this.names = [];
    for (const [name, addr] of sorted) {
      if (this.addrs[this.addrs.length - 1] === addr) continue;
      this.addrs.push(addr);
      this.names.push(name);
    }
    this.code = code;
  }

  /** The symbols of an image, or null when it is not an ELF or has none. */
  static of(image: Uint8Array): Symbols | null {
    let elf;
    try {
      elf = parseElf(image);
    } catch (e) {
      if (e instanceof SimError) return null;
      throw e;
    }
    if (elf.symbols.size === 0) return null;
    const code = elf.segments.filter((s) => (s.flags & PF_X) !== 0).map((s) => ({ start: s.vaddr, end: s.vaddr + s.memSize }));
    return new Symbols(elf.symbols, code);
  }

  /** `name+0x1c` (or `name` at its first byte) for an address in the image's code, else null. */
  lookup(address: bigint | number): string | null {
    const a = Number(address);
    if (!this.code.some((c) => a >= c.start && a < c.end)) return null;
    let lo = 0, hi = this.addrs.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addrs[mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const offset = a - this.addrs[found];
    return offset === 0 ? this.names[found] : `${this.names[found]}+0x${offset.toString(16)}`;
  }
}

/** `0x8020012c <putchar+0x10>`, or the bare hex when no symbol covers it. */
export function formatAddress(address: bigint | number, symbols: Symbols | null): string {
  const hex = `0x${BigInt.asUintN(64, BigInt(address)).toString(16)}`;
  const name = symbols?.lookup(address);
  return name ? `${hex} <${name}>` : hex;
}
