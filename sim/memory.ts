/// <reference path="./wasm/webassembly.d.ts" />
import { MAX_RAM, RAM_OFFSET, WASM_PAGE } from './cpu/layout.js';
import { SimError } from './errors.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/**
 * Guest RAM, with typed views of every width. It lives at the end of the machine's WebAssembly.Memory (see
 * cpu/layout.ts), after the hart's state, TLBs and code cache, so that compiled code reaches it with plain loads and
 * stores; the views here start at RAM's first byte. The host is little-endian (as every platform Node runs on),
 * like RISC-V, so multi-byte views need no swapping.
 *
 * It also keeps `dirty`, a per-page log of the pages written since it was last collected. Several parts need to
 * know what changed, each since its own last look (the state digest, the checkpoints of time travel): each asks
 * for a tracker of its own, and collectDirty() moves the log into every tracker. Stores through the MMU's write
 * TLB entries mark it only on their first store of a period (see Mmu.rearmDirtyLog), so callers collect through the
 * hart, which starts the next period.
 */
export class GuestRam {
  readonly base: number;
  readonly size: number;
  /** The machine's one linear memory: hart state, TLBs, code cache, then RAM at RAM_OFFSET. */
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  readonly pageCount: number;
  readonly dirty: Uint8Array;
  private readonly trackers: Uint8Array[] = [];
  private collected = false;

  constructor(base: number, size: number) {
    if (size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_RAM) {
      throw new SimError('CONFIG_INVALID', `RAM size ${size} must be a positive multiple of 4 KiB, at most 2 GiB`);
    }
    this.base = base;
    this.size = size;
    // A fixed size: growing would detach every view (and the compiled code's assumptions stay simple).
    const pages = Math.ceil((RAM_OFFSET + size) / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer, RAM_OFFSET, size);
    this.i8 = new Int8Array(buffer, RAM_OFFSET, size);
    this.u16 = new Uint16Array(buffer, RAM_OFFSET, size >>> 1);
    this.i16 = new Int16Array(buffer, RAM_OFFSET, size >>> 1);
    this.i32 = new Int32Array(buffer, RAM_OFFSET, size >>> 2);
    this.view = new DataView(buffer, RAM_OFFSET, size);
    this.pageCount = size >>> PAGE_SHIFT;
    this.dirty = new Uint8Array(this.pageCount);
  }

  /** RAM offset of a guest-physical address, or -1 when the address is not RAM (then it is MMIO). */
  offsetOf(phys: number, len = 1): number {
    const off = phys - this.base;
    return off >= 0 && off + len <= this.size ? off : -1;
  }

  contains(phys: number, len = 1): boolean {
    return this.offsetOf(phys, len) >= 0;
  }

  /** Copies bytes into RAM at a guest-physical address (loaders, debugger writes). */
  write(phys: number, bytes: Uint8Array): void {
    const off = this.offsetOf(phys, bytes.length);
    if (off < 0) throw new SimError('RAM_OUT_OF_RANGE', `write of ${bytes.length} bytes at 0x${phys.toString(16)} is outside RAM`);
    this.u8.set(bytes, off);
    this.markDirty(off, bytes.length);
  }

  read(phys: number, len: number): Uint8Array {
    const off = this.offsetOf(phys, len);
    if (off < 0) throw new SimError('RAM_OUT_OF_RANGE', `read of ${len} bytes at 0x${phys.toString(16)} is outside RAM`);
    return this.u8.slice(off, off + len);
  }

  /**
   * A bitmap of its own for one consumer of dirty pages: collectDirty() sets a page's byte, the consumer clears it.
   * A tracker added before the first collection starts clear (the log still holds every write since the RAM was
   * made, and a page never written holds zeros); one added later starts with every page marked.
   */
  addDirtyTracker(): Uint8Array {
    const t = new Uint8Array(this.pageCount).fill(this.collected ? 1 : 0);
    this.trackers.push(t);
    return t;
  }

  /** Moves the write log into every tracker and clears it. */
  collectDirty(): void {
    const dirty = this.dirty, trackers = this.trackers;
    this.collected = true;
    for (let p = 0; p < dirty.length; p++) {
      if (dirty[p] === 0) continue;
      dirty[p] = 0;
      for (let t = 0; t < trackers.length; t++) trackers[t][p] = 1;
    }
  }

  markDirty(off: number, len: number): void {
    const last = (off + len - 1) >>> PAGE_SHIFT;
    for (let p = off >>> PAGE_SHIFT; p <= last; p++) this.dirty[p] = 1;
  }
}
