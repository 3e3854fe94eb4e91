/**
 * gdb speaks guest-virtual addresses; the VM verbs read and write guest-physical memory. This translates through
 * the guest's own page tables (satp: Bare, Sv39, Sv48) the way a debugger's read does (QEMU's
 * get_phys_page_debug): reading the page-table entries and nothing else, so no A/D bit is set, no TLB filled, no
 * permission checked: a debugger may look at any mapped page.
 */

export const PAGE_SIZE = 4096;

/** Reads guest-physical bytes; null where there is no RAM. */
export type PhysicalReader = (addr: number, len: number) => Promise<Uint8Array | null>;

const SATP_MODE_BARE = 0n, SATP_MODE_SV39 = 8n, SATP_MODE_SV48 = 9n;
const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n, PTE_X = 8n;
const PPN_MASK = (1n << 44n) - 1n;

export class AddressSpace {
  /** Virtual page number to the physical page's address (null: not mapped). */
  private readonly pages = new Map<bigint, number | null>();
  private readonly levels: number;

  constructor(private readonly readPhys: PhysicalReader, private readonly satp: bigint) {
    const mode = satp >> 60n;
    this.levels = mode === SATP_MODE_SV39 ? 3 : mode === SATP_MODE_SV48 ? 4 : 0;
    if (mode !== SATP_MODE_BARE && this.levels === 0) this.levels = -1;
  }

  /** The guest-physical address of `va`, or null when it is not mapped (or past what a number holds exactly). */
  async translate(va: bigint): Promise<number | null> {
    const vpn = va >> 12n;
    let page = this.pages.get(vpn);
    if (page === undefined) {
      page = await this.walk(vpn << 12n);
      this.pages.set(vpn, page);
    }
    return page === null ? null : page + Number(va & 0xfffn);
  }

  /** Up to `len` bytes at `va`, page by page; fewer (maybe none) where a page is not mapped or not RAM. */
  async read(va: bigint, len: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let done = 0;
    while (done < len) {
      const at = va + BigInt(done);
      const n = Math.min(len - done, PAGE_SIZE - Number(at & 0xfffn));
      const pa = await this.translate(at);
      const bytes = pa === null ? null : await this.readPhys(pa, n);
      if (bytes === null) break;
      parts.push(bytes);
      done += n;
    }
    return Buffer.concat(parts);
  }

  /** The physical pieces of `[va, va + len)`, page by page; null when some part is not mapped. */
  async pieces(va: bigint, len: number): Promise<{ pa: number; offset: number; len: number }[] | null> {
    const out: { pa: number; offset: number; len: number }[] = [];
    for (let done = 0; done < len;) {
      const at = va + BigInt(done);
      const n = Math.min(len - done, PAGE_SIZE - Number(at & 0xfffn));
      const pa = await this.translate(at);
      if (pa === null) return null;
      out.push({ pa, offset: done, len: n });
      done += n;
    }
    return out;
  }

  private async walk(va: bigint): Promise<number | null> {
    if (this.levels === 0) return va <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(va) : null;
    if (this.levels < 0) return null;
    const vaBits = BigInt(12 + 9 * this.levels);
    // Canonical: the bits above the top one of the address space copy it.
    const top = va >> (vaBits - 1n);
    if (top !== 0n && top !== (1n << (64n - vaBits + 1n)) - 1n) return null;
    let table = (this.satp & PPN_MASK) << 12n;
    for (let level = this.levels - 1; level >= 0; level--) {
      const index = (va >> BigInt(12 + 9 * level)) & 0x1ffn;
      const pteAddr = table + index * 8n;
      if (pteAddr > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      const raw = await this.readPhys(Number(pteAddr), 8);
      if (raw === null || raw.length !== 8) return null;
      const pte = Buffer.from(raw).readBigUInt64LE(0);
      if ((pte & PTE_V) === 0n || ((pte & PTE_R) === 0n && (pte & PTE_W) !== 0n)) return null;
      const ppn = (pte >> 10n) & PPN_MASK;
      if ((pte & (PTE_R | PTE_X)) !== 0n) {
        const pageBits = BigInt(12 + 9 * level);
        // A superpage's PPN must be aligned to its size.
        if ((ppn & ((1n << (pageBits - 12n)) - 1n)) !== 0n) return null;
        const pa = (ppn << 12n) | (va & ((1n << pageBits) - 1n));
        return pa <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(pa & ~0xfffn) : null;
      }
      table = ppn << 12n;
    }
    return null;
  }
}
