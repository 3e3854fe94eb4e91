import { GuestRam, PAGE_SHIFT } from '../memory.js';
import { decode, Insn, insnLength } from './decode.js';
import { CodeWriteListener, Mmu } from './mmu.js';
import { addToPc, BLOCK_PARAMS, endsBlock, isBranch, PcPair, translateBlock } from './translate.js';

/** A translated block: the compiled function and where it came from. */
export interface Block {
  run: () => number;
  /** Number of instructions (the most it can retire). */
  len: number;
  ramOff: number;
  pcLo: number;
  pcHi: number;
  /** RAM pages the block's instructions were fetched from (two when an instruction straddles a page end). */
  pages: number[];
  /** The privilege it was translated for: it uses that privilege's TLBs (a QEMU TB flag, likewise). */
  priv: number;
  /** Its instruction straddles a page end (pages.length === 2): every lookup re-checks the second page. */
  straddles: boolean;
  valid: boolean;
}

/** What the cache needs from the hart to build block functions. */
export interface BlockHost {
  readonly x: Int32Array;
  readonly debug: { readonly hasBreakpoints: boolean; hasBreakpoint(lo: number, hi: number): boolean };
  readonly mmu: Mmu;
  readonly int64: unknown;
  readonly int64Out: unknown;
}

const MAX_BLOCK_INSNS = 128;
const JUMP_CACHE_SIZE = 8192;
/** Code is tracked per 4-byte granule within a page, so data next to code does not evict translations. */
const GRANULE_SHIFT = 2;

/**
 * Translated blocks, keyed by the RAM offset of their first instruction (QEMU keys its TBs by physical address
 * too), plus a direct-mapped jump cache in front. Writes to RAM that hold translated code invalidate it: the MMU
 * sends such writes here (the write TLB never caches those pages on its fast path).
 */
export class BlockCache implements CodeWriteListener {
  private readonly host: BlockHost;
  private readonly ram: GuestRam;
  private readonly blocks = new Map<number, Block>();
  private readonly singles = new Map<number, Block>();
  private readonly jump: (Block | undefined)[] = new Array(JUMP_CACHE_SIZE);
  /** Per RAM page: 0, or 1 when translated code was fetched from it. Shared with the MMU. */
  readonly codePages: Uint8Array;
  private readonly pageBlocks = new Map<number, Block[]>();
  private readonly granules = new Map<number, Uint8Array>();
  /** Counters for stats and benchmarks. */
  translated = 0;
  invalidated = 0;

  constructor(host: BlockHost, ram: GuestRam) {
    this.host = host;
    this.ram = ram;
    this.codePages = new Uint8Array(ram.pageCount);
    host.mmu.codePages = this.codePages;
    host.mmu.codeListener = this;
  }

  /** The block starting at this RAM offset and pc, translating it if needed; null when the fetch faulted. */
  lookup(ramOff: number, pcLo: number, pcHi: number, priv: number): Block | null {
    const slot = ((ramOff >>> 1) ^ priv) & (JUMP_CACHE_SIZE - 1);
    let b = this.jump[slot];
    if (b !== undefined && b.ramOff === ramOff && b.pcLo === pcLo && b.pcHi === pcHi && b.priv === priv) {
      return b.straddles ? this.recheckSecondPage(b, MAX_BLOCK_INSNS) : b;
    }
    const key = ramOff * 2 + priv;
    b = this.blocks.get(key);
    if (b !== undefined && b.pcLo === pcLo && b.pcHi === pcHi && b.straddles) {
      const checked = this.recheckSecondPage(b, MAX_BLOCK_INSNS);
      if (checked !== b) return checked;
    }
    if (b === undefined || b.pcLo !== pcLo || b.pcHi !== pcHi) {
      const built = this.build(ramOff, { lo: pcLo, hi: pcHi }, priv, MAX_BLOCK_INSNS);
      if (built === null) return null;
      b = built;
      this.blocks.set(key, b);
    }
    this.jump[slot] = b;
    return b;
  }

  /** A block of exactly one instruction, for stepping to an exact instruction count. */
  lookupSingle(ramOff: number, pcLo: number, pcHi: number, priv: number): Block | null {
    const key = ramOff * 2 + priv;
    let b = this.singles.get(key);
    if (b !== undefined && b.pcLo === pcLo && b.pcHi === pcHi && b.straddles) {
      const checked = this.recheckSecondPage(b, 1);
      if (checked !== b) return checked;
    }
    if (b === undefined || b.pcLo !== pcLo || b.pcHi !== pcHi) {
      const built = this.build(ramOff, { lo: pcLo, hi: pcHi }, priv, 1);
      if (built === null) return null;
      b = built;
      this.singles.set(key, b);
    }
    return b;
  }

  /**
   * A block whose (only) instruction straddles a page end depends on the second page's current mapping too: as
   * QEMU's tb_lookup does, translate it again on every lookup; a fault there is the fetch fault (null), and a
   * different physical page means a new translation.
   */
  private recheckSecondPage(b: Block, maxInsns: number): Block | null {
    const second = addToPc({ lo: b.pcLo, hi: b.pcHi }, 2);
    const off2 = this.host.mmu.fetch(second.lo, second.hi);
    if (off2 < 0) return null;
    if (off2 >>> PAGE_SHIFT === b.pages[1]) return b;
    const rebuilt = this.build(b.ramOff, { lo: b.pcLo, hi: b.pcHi }, b.priv, maxInsns);
    if (rebuilt === null) return null;
    const key = b.ramOff * 2 + b.priv;
    (maxInsns === 1 ? this.singles : this.blocks).set(key, rebuilt);
    const slot = ((b.ramOff >>> 1) ^ b.priv) & (JUMP_CACHE_SIZE - 1);
    if (this.jump[slot] === b) this.jump[slot] = maxInsns === 1 ? undefined : rebuilt;
    return rebuilt;
  }

  private build(ramOff: number, pc: PcPair, priv: number, maxInsns: number): Block | null {
    const u16 = this.ram.u16;
    const insns: Insn[] = [];
    const page = ramOff >>> PAGE_SHIFT;
    const pages = [page];
    let off = ramOff;
    let cur = pc;
    while (insns.length < maxInsns) {
      const lo16 = u16[off >>> 1];
      const len = insnLength(lo16);
      let bits = lo16;
      if (len === 4) {
        if (((off + 2) >>> PAGE_SHIFT) !== page) {
          // The instruction straddles the page end: its second half comes through translation (it may fault).
          if (insns.length > 0) break;
          const next = addToPc(cur, 2);
          const off2 = this.host.mmu.fetch(next.lo, next.hi);
          if (off2 < 0) return null;
          bits |= u16[off2 >>> 1] << 16;
          pages.push(off2 >>> PAGE_SHIFT);
          this.markCode(off2, 2);
        } else {
          bits |= u16[(off + 2) >>> 1] << 16;
        }
      }
      const insn = decode(bits);
      insns.push(insn);
      this.markCode(off, Math.min(len, 0x1000 - (off & 0xfff)));
      off += len;
      cur = addToPc(cur, len);
      if (endsBlock(insn) || (off >>> PAGE_SHIFT) !== page || pages.length > 1) break;
      // The dispatcher checks breakpoints at block entry: a breakpoint address must start a block.
      if (this.host.debug.hasBreakpoints && this.host.debug.hasBreakpoint(cur.lo, cur.hi)) break;
      // A taken backward branch most likely loops: stop there so the loop body is one block.
      if (isBranch(insn) && insn.imm < 0) break;
    }
    const source = translateBlock(insns, pc);
    const factory = new Function(...BLOCK_PARAMS, `return (function block_${(pc.lo >>> 0).toString(16)}(){\n${source}});`);
    const mmu = this.host.mmu;
    const ram = this.ram;
    const W = 1, R = 0;
    const tlb = mmu.tlbs[priv];
    const run = factory(
      this.host, this.host.x, mmu, insns, this.host.int64, this.host.int64Out,
      ram.u8, ram.i8, ram.u16, ram.i16, ram.i32,
      tlb.tag[R], tlb.tagHi[R], tlb.off[R], tlb.tag[W], tlb.tagHi[W], tlb.off[W],
    ) as () => number;
    const block: Block = { run, len: insns.length, ramOff, pcLo: pc.lo, pcHi: pc.hi, pages, priv, straddles: pages.length > 1, valid: true };
    for (const p of pages) {
      let list = this.pageBlocks.get(p);
      if (list === undefined) this.pageBlocks.set(p, (list = []));
      list.push(block);
    }
    this.translated++;
    return block;
  }

  private markCode(off: number, len: number): void {
    const page = off >>> PAGE_SHIFT;
    if (this.codePages[page] === 0) {
      this.codePages[page] = 1;
      this.host.mmu.setWritePageCodeMark(page, true);
    }
    let g = this.granules.get(page);
    if (g === undefined) this.granules.set(page, (g = new Uint8Array(0x1000 >>> GRANULE_SHIFT)));
    const first = (off & 0xfff) >>> GRANULE_SHIFT, last = ((off & 0xfff) + len - 1) >>> GRANULE_SHIFT;
    for (let i = first; i <= last; i++) g[i] = 1;
  }

  /** A store hit a code page: drop every block of the page if the bytes written held code. The range lies in one page. */
  codeWritten(ramOff: number, len: number): boolean {
    const page = ramOff >>> PAGE_SHIFT;
    const g = this.granules.get(page);
    if (g === undefined) return false;
    const first = (ramOff & 0xfff) >>> GRANULE_SHIFT;
    const last = Math.min(((ramOff & 0xfff) + len - 1) >>> GRANULE_SHIFT, g.length - 1);
    let hit = false;
    for (let i = first; i <= last; i++) if (g[i] !== 0) hit = true;
    if (!hit) return false;
    this.invalidatePage(page);
    return true;
  }

  invalidatePage(page: number): void {
    const list = this.pageBlocks.get(page);
    this.pageBlocks.delete(page);
    this.granules.delete(page);
    this.codePages[page] = 0;
    // Its write-TLB entries still carry the code mark: stores there may take the inline fast path again.
    this.host.mmu.setWritePageCodeMark(page, false);
    if (list === undefined) return;
    for (const b of list) {
      if (!b.valid) continue;
      b.valid = false;
      this.invalidated++;
      const key = b.ramOff * 2 + b.priv;
      if (this.blocks.get(key) === b) this.blocks.delete(key);
      if (this.singles.get(key) === b) this.singles.delete(key);
      const slot = ((b.ramOff >>> 1) ^ b.priv) & (JUMP_CACHE_SIZE - 1);
      if (this.jump[slot] === b) this.jump[slot] = undefined;
      // A block on two pages is listed under the other one too; drop it there on its own invalidation.
    }
  }

  /** Drops every translation (after a restore of memory, for example). */
  clear(): void {
    for (const page of [...this.pageBlocks.keys()]) this.invalidatePage(page);
    this.blocks.clear();
    this.singles.clear();
    this.jump.fill(undefined);
  }

  get size(): number {
    return this.blocks.size;
  }
}
