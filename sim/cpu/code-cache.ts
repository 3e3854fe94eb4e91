import { decodeWithout, Decoded, Extension, insnLength } from '../isa/index.js';
import type { GuestRam } from '../memory.js';
import { PAGE_SHIFT } from '../memory.js';
import { CODE_MAP_BASE, D, DECODE_BASE, DECODE_ENTRY_SIZE, DECODE_SLOT_SIZE, DECODE_SLOTS, RAM_OFFSET, S } from './layout.js';
import type { Mmu } from './mmu.js';

/** Code is tracked per 4-byte granule within a page, so data next to code does not drop decoded instructions. */
const GRANULE_SHIFT = 2;
const GRANULES = 0x1000 >>> GRANULE_SHIFT;

/** Told when a page's decoded code is dropped, so compiled blocks from it go too. */
export interface CodeDropListener {
  pageDropped(ramPage: number): void;
}

/**
 * The decoded-instruction cache in linear memory, keyed by physical address (RAM offset), as QEMU keys its
 * translations: a page of RAM that runs gets a slot with a 16-byte decoded entry per halfword (layout.ts D), filled
 * as instructions are first executed. The interpreter reads entries directly; a block compiled from a page is found
 * through the entry of its first instruction.
 *
 * Self-modifying code: the page is marked as holding code (the write TLB then keeps stores to it off the inline
 * path), and granules record which bytes were decoded. A store that hits a decoded granule drops the page's
 * entries (and its compiled blocks); data next to code does not. Slots are recycled round-robin when all are taken.
 */
export class CodeCache {
  private readonly ram: GuestRam;
  private readonly mmu: Mmu;
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly u16: Uint16Array;
  /** Per RAM page: 1 while decoded code was fetched from it (shared with the MMU). */
  readonly codePages: Uint8Array;
  /** Per RAM page: bumped each time its code is dropped, so that work queued for the old code is discarded. */
  readonly generation: Uint32Array;
  private readonly granules = new Map<number, Uint8Array>();
  /** Per slot: the RAM page it holds, or -1. */
  private readonly slotPage = new Int32Array(DECODE_SLOTS).fill(-1);
  private nextSlot = 0;
  private readonly drop: CodeDropListener[] = [];
  /** Counters for statistics. */
  decoded = 0;
  pagesDropped = 0;

  /**
   * `without`: the table's extensions this hart lacks (their words decode as illegal); the compiler decodes through
   * decode() here too, so both tiers agree.
   */
  constructor(ram: GuestRam, mmu: Mmu, private readonly without: ReadonlySet<Extension> = new Set()) {
    this.ram = ram;
    this.mmu = mmu;
    const buffer = ram.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer, 0, RAM_OFFSET >>> 1);
    this.i32 = new Int32Array(buffer, 0, RAM_OFFSET >>> 2);
    this.codePages = new Uint8Array(ram.pageCount);
    this.generation = new Uint32Array(ram.pageCount);
    mmu.codePages = this.codePages;
    mmu.codeListener = this;
  }

  onDrop(listener: CodeDropListener): void {
    this.drop.push(listener);
  }

  /** The slot address of a RAM page's decoded entries, taking a slot (and recycling one) when it has none. */
  codePage(ramPage: number): number {
    const mapped = this.i32[(CODE_MAP_BASE >>> 2) + ramPage];
    if (mapped !== 0) return mapped;
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot + 1) % DECODE_SLOTS;
    const old = this.slotPage[slot];
    if (old >= 0) this.dropPage(old);
    const base = DECODE_BASE + slot * DECODE_SLOT_SIZE;
    this.slotPage[slot] = ramPage;
    this.i32[(CODE_MAP_BASE >>> 2) + ramPage] = base;
    return base;
  }

  /** The entry address of a RAM page's halfword if the page has a slot, else 0. */
  entryAddress(ramOff: number): number {
    const base = this.i32[(CODE_MAP_BASE >>> 2) + (ramOff >>> PAGE_SHIFT)];
    return base === 0 ? 0 : base + (ramOff & 0xfff) * (DECODE_ENTRY_SIZE / 2);
  }

  /** Whether the instruction at a RAM offset has run (it has a decoded entry). */
  hasRun(ramOff: number): boolean {
    const ent = this.entryAddress(ramOff);
    return ent !== 0 && this.u16[(ent + D.ROW) >>> 1] !== 0;
  }

  /**
   * Decodes the instruction at a RAM offset into its entry and returns the entry's address. An instruction whose
   * second half lies on the next page is decoded into a scratch entry every time (that half comes through the
   * MMU, which may fault: then -1, with the fault left in the MMU for the caller).
   */
  decodeAt(ramOff: number, pcLo: number, pcHi: number): number {
    const lo16 = this.ram.u16[ramOff >>> 1];
    let bits = lo16;
    if (insnLength(lo16) === 4) {
      if ((ramOff & 0xfff) === 0xffe) {
        const nextLo = (pcLo + 2) | 0;
        const nextHi = (pcHi + ((nextLo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
        const off2 = this.mmu.fetch(nextLo, nextHi);
        if (off2 < 0) return -1;
        bits |= this.ram.u16[off2 >>> 1] << 16;
        this.write(S.DECODE_SCRATCH, this.decode(bits));
        return S.DECODE_SCRATCH;
      }
      bits |= this.ram.u16[(ramOff + 2) >>> 1] << 16;
    }
    const d = this.decode(bits);
    const ent = this.codePage(ramOff >>> PAGE_SHIFT) + (ramOff & 0xfff) * (DECODE_ENTRY_SIZE / 2);
    this.write(ent, d);
    this.markCode(ramOff, d.len);
    this.decoded++;
    return ent;
  }

  /** Decodes an instruction word as this hart sees it. */
  decode(bits: number): Decoded {
    return decodeWithout(bits, this.without);
  }

  private write(ent: number, d: Decoded): void {
    const u8 = this.u8;
    this.u16[(ent + D.ROW) >>> 1] = d.row.id + 1;
    u8[ent + D.RD] = d.rd;
    u8[ent + D.RS1] = d.rs1;
    u8[ent + D.RS2] = d.rs2;
    u8[ent + D.RS3] = d.rs3;
    u8[ent + D.LEN] = d.len;
    u8[ent + D.RM] = d.rm;
    this.i32[(ent + D.IMM) >>> 2] = d.imm;
    this.i32[(ent + D.BLOCK) >>> 2] = 0;
  }

  /** Marks bytes of a page as decoded code (the compiler marks what it compiles too). */
  markCode(ramOff: number, len: number): void {
    const page = ramOff >>> PAGE_SHIFT;
    if (this.codePages[page] === 0) {
      this.codePages[page] = 1;
      this.mmu.setWritePageCodeMark(page, true);
    }
    let g = this.granules.get(page);
    if (g === undefined) this.granules.set(page, (g = new Uint8Array(GRANULES)));
    const first = (ramOff & 0xfff) >>> GRANULE_SHIFT;
    const last = Math.min(((ramOff & 0xfff) + len - 1) >>> GRANULE_SHIFT, GRANULES - 1);
    for (let i = first; i <= last; i++) g[i] = 1;
  }

  /** A store hit a code page: drop the page's code if the bytes written held code. The range lies in one page. */
  codeWritten(ramOff: number, len: number): boolean {
    const page = ramOff >>> PAGE_SHIFT;
    const g = this.granules.get(page);
    if (g === undefined) return false;
    const first = (ramOff & 0xfff) >>> GRANULE_SHIFT;
    const last = Math.min(((ramOff & 0xfff) + len - 1) >>> GRANULE_SHIFT, GRANULES - 1);
    let hit = false;
    for (let i = first; i <= last; i++) if (g[i] !== 0) hit = true;
    if (!hit) return false;
    this.dropPage(page);
    return true;
  }

  /** Drops a page's decoded entries (its slot goes back to being free) and tells the compiled tier. */
  dropPage(page: number): void {
    const base = this.i32[(CODE_MAP_BASE >>> 2) + page];
    if (base !== 0) {
      this.u8.fill(0, base, base + DECODE_SLOT_SIZE);
      this.i32[(CODE_MAP_BASE >>> 2) + page] = 0;
      this.slotPage[(base - DECODE_BASE) / DECODE_SLOT_SIZE] = -1;
    }
    this.granules.delete(page);
    this.generation[page]++;
    this.pagesDropped++;
    if (this.codePages[page] !== 0) {
      this.codePages[page] = 0;
      // Its write-TLB entries still carry the code mark: stores there may take the inline path again.
      this.mmu.setWritePageCodeMark(page, false);
    }
    for (const l of this.drop) l.pageDropped(page);
  }

  /** Forgets every compiled block and hotness count (the compiled tier dropped its code). */
  resetBlockWords(): void {
    for (let slot = 0; slot < DECODE_SLOTS; slot++) {
      if (this.slotPage[slot] < 0) continue;
      const base = DECODE_BASE + slot * DECODE_SLOT_SIZE;
      for (let e = base + D.BLOCK; e < base + DECODE_SLOT_SIZE; e += DECODE_ENTRY_SIZE) this.i32[e >>> 2] = 0;
    }
  }

  /** Drops everything (after a checkpoint restore replaced memory, say). */
  clear(): void {
    for (let slot = 0; slot < DECODE_SLOTS; slot++) {
      const page = this.slotPage[slot];
      if (page >= 0) this.dropPage(page);
    }
    for (const page of [...this.granules.keys()]) this.dropPage(page);
    this.nextSlot = 0;
  }

  /** Pages with decoded code. */
  get pages(): number {
    let n = 0;
    for (const p of this.slotPage) if (p >= 0) n++;
    return n;
  }
}
