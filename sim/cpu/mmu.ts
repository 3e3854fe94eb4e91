import { widenToDouble } from './double-fields.js';
import { GuestRam } from '../memory.js';
import { S, TLB_BASE, TLB_ENTRIES, TLB_KIND_SIZE, TLB_SET_SIZE } from './layout.js';
import { DebugTriggers } from './debug.js';
import { Cause, DEBUG_TRIGGER_CAUSE } from './trap.js';

/** Access kinds; the TLBs are kept per kind so that a hit needs no permission check. */
export const enum Access { Read = 0, Write = 1, Fetch = 2 }

export const TLB_SIZE = TLB_ENTRIES;
const TLB_MASK = TLB_SIZE - 1;
/**
 * A tag that no access can match: page tags have their low 12 bits clear, and the address an access compares
 * (its low bits masked to the alignment bits, at most 0..7) never has bit 10 set.
 */
const NO_TAG = 0x400;
/** Set in a write-TLB tag for pages holding translated code: the inline fast path misses, the slow path hits. */
const CODE_TAG_BIT = 0x800;
/**
 * Set in a write-TLB tag until a store through the entry has logged its page in the current dirty-log period (as
 * KVM's dirty logging write-protects pages): the inline fast path misses, the slow path logs the page and clears
 * the bit, later stores stay inline. Collecting the log sets it again on every write entry.
 */
const UNLOGGED_TAG_BIT = 0x200;
const SLOW_TAG_BITS = CODE_TAG_BIT | UNLOGGED_TAG_BIT;

const TWO32 = 4294967296;
/** Guest-physical addresses at or above this are not representable exactly and cannot be RAM or MMIO here. */
const MAX_PHYS = 2 ** 53;

export const SATP_MODE_BARE = 0, SATP_MODE_SV39 = 8, SATP_MODE_SV48 = 9;

/** A page-table entry's flag bits. */
const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

/** What the MMU reports when an access cannot complete: the hart turns it into a trap. */
export interface MmuFault {
  cause: number;
  tvalLo: number;
  tvalHi: number;
  /** Guest-physical address for guest page faults (MMIO), else 0. */
  gpa: number;
}

/** Notified when a store hits a page holding translated code; returns true when translations were dropped. */
export interface CodeWriteListener {
  codeWritten(ramOff: number, len: number): boolean;
}

/**
 * First-stage address translation (vsatp: Bare, Sv39, Sv48) with TLBs per access kind, and every guest memory
 * access that the translated code's inline fast path cannot do itself.
 *
 * A TLB entry maps a virtual page (tag = low word & ~0xfff, plus the high word) to a RAM offset. Only RAM pages are
 * ever cached: MMIO always takes the slow path, where it becomes a guest page fault for the hypervisor layer.
 * Inline fast paths compare `tag === (addr & (~0xfff | (size - 1)))`, so a misaligned access misses and comes here.
 */
/**
 * The TLB sets, as QEMU's MMU indexes: U-mode, S-mode, and S-mode with sstatus.SUM (which may touch U pages), so
 * that the kernel toggling SUM around every user copy selects a set instead of flushing (Linux does it thousands
 * of times a second). Each set has a TLB per access kind.
 */
const TLB_SETS = 3;
const SET_U = 0, SET_S = 1, SET_S_SUM = 2;
/** Bytes of the TLBs in the machine's memory. */
export const TLB_BYTES = TLB_SETS * TLB_SET_SIZE;

/** A TLB entry in 32-bit words: tag low, tag high, RAM offset of the page, unused. */
const E_TAG = 0, E_TAG_HI = 1, E_OFF = 2;

export class Mmu {
  readonly ram: GuestRam;
  /**
   * The TLBs per set (SET_U, SET_S, SET_S_SUM) and access kind, [set][access]: views of the machine's memory,
   * where compiled code reads them too. Entry i is words 4i..4i+3 (see E_TAG, E_TAG_HI, E_OFF).
   */
  readonly tlbs: Int32Array[][] = [];
  /** Every TLB, as one array (a flush fills it). */
  private readonly all: Int32Array;
  /** The current set. */
  private cur: Int32Array[];
  /** The hart state (words), where the current set's address and the LR reservation live. */
  private readonly state: Int32Array;

  // Translation context, set by the hart. A privilege switch selects the other TLB set; SUM, MXR, satp flush.
  private privValue = 1;
  private sumValue = false;
  mxr = false;
  satpMode = SATP_MODE_BARE;
  rootPpn = 0;

  /** Result of the last slow load / AMO. */
  vlo = 0;
  vhi = 0;
  readonly fault: MmuFault = { cause: 0, tvalLo: 0, tvalHi: 0, gpa: 0 };
  codeListener: CodeWriteListener | null = null;
  /** The hypervisor's watchpoints: watched pages never enter the data TLBs, so every access to them comes here. */
  debug: DebugTriggers | null = null;

  constructor(ram: GuestRam, state: Int32Array) {
    this.ram = ram;
    this.state = state;
    const buffer = ram.memory.buffer;
    for (let p = 0; p < TLB_SETS; p++) {
      const set: Int32Array[] = [];
      for (let k = 0; k < 3; k++) set.push(new Int32Array(buffer, TLB_BASE + p * TLB_SET_SIZE + k * TLB_KIND_SIZE, TLB_ENTRIES * 4));
      this.tlbs.push(set);
    }
    this.all = new Int32Array(buffer, TLB_BASE, TLB_BYTES >>> 2);
    this.all.fill(NO_TAG);
    widenToDouble(this, ['rootPpn']);
    widenToDouble(this.fault, ['gpa']);
    this.cur = this.tlbs[SET_S];
    this.priv = 1;
  }

  get priv(): number {
    return this.privValue;
  }

  set priv(p: number) {
    this.privValue = p;
    this.selectSet();
  }

  /** sstatus.SUM: S-mode may read and write U pages (a set of its own: no flush when it changes). */
  get sum(): boolean {
    return this.sumValue;
  }

  set sum(v: boolean) {
    this.sumValue = v;
    this.selectSet();
  }

  private selectSet(): void {
    const set = this.privValue === 0 ? SET_U : this.sumValue ? SET_S_SUM : SET_S;
    this.cur = this.tlbs[set];
    this.state[S.TLB_SET >>> 2] = TLB_BASE + set * TLB_SET_SIZE;
  }

  // The LR reservation, kept in the hart state (it is part of checkpoints and of the state digest).
  get resValid(): boolean { return this.state[S.RES_VALID >>> 2] !== 0; }
  set resValid(v: boolean) { this.state[S.RES_VALID >>> 2] = v ? 1 : 0; }
  get resLo(): number { return this.state[S.RES_ADDR >>> 2]; }
  get resHi(): number { return this.state[(S.RES_ADDR >>> 2) + 1]; }
  get resValLo(): number { return this.state[S.RES_VALUE >>> 2]; }
  get resValHi(): number { return this.state[(S.RES_VALUE >>> 2) + 1]; }

  private reserve(lo: number, hi: number, vlo: number, vhi: number): void {
    const st = this.state;
    st[S.RES_VALID >>> 2] = 1;
    st[S.RES_ADDR >>> 2] = lo;
    st[(S.RES_ADDR >>> 2) + 1] = hi;
    st[S.RES_VALUE >>> 2] = vlo;
    st[(S.RES_VALUE >>> 2) + 1] = vhi;
  }

  flush(): void {
    // Every store through a write entry has logged its page already (UNLOGGED_TAG_BIT): nothing to log here. Every
    // word becomes NO_TAG (a memset): only the tag word matters in an entry that cannot match.
    this.all.fill(NO_TAG);
  }

  /** Whether the current set caches a translation of the page of (lo, hi) for `access` (tests, diagnostics). */
  isCached(lo: number, hi: number, access: Access): boolean {
    const e = ((lo >>> 12) & TLB_MASK) << 2;
    const t = this.cur[access];
    return (t[e + E_TAG] & ~SLOW_TAG_BITS) === (lo & ~0xfff) && t[e + E_TAG_HI] === hi;
  }

  /**
   * sfence.vma with an address: drops that virtual page's entries in every set and kind (QEMU's tlb_flush_page).
   * Entries are per 4 KiB virtual page, superpages included, so the page's one slot per TLB is all there is.
   */
  flushPage(lo: number, hi: number): void {
    const e = ((lo >>> 12) & TLB_MASK) << 2;
    const page = lo & ~0xfff;
    for (const set of this.tlbs) {
      for (const t of set) {
        if ((t[e + E_TAG] & ~SLOW_TAG_BITS) === page && t[e + E_TAG_HI] === hi) t[e + E_TAG] = NO_TAG;
      }
    }
  }

  /**
   * A new dirty-log period (the log was just collected, or the TLB bytes were just restored from a checkpoint):
   * every write entry must log its page again on its next store. (Flushing the entries instead would change when
   * page walks, and so A/D updates, happen: a guest-visible difference that a replay or a seek could not reproduce.)
   */
  rearmDirtyLog(): void {
    for (const set of this.tlbs) {
      const t = set[Access.Write];
      for (let i = 0; i < TLB_SIZE; i++) if (t[(i << 2) + E_TAG] !== NO_TAG) t[(i << 2) + E_TAG] |= UNLOGGED_TAG_BIT;
    }
  }

  /**
   * Marks or unmarks the write entries of one RAM page as mapping code (it now holds translated code, or stopped
   * holding it). The entries stay: what the TLB caches must not depend on what happens to be translated, or a
   * restored checkpoint (whose translations start empty) would walk page tables where the run did not.
   */
  setWritePageCodeMark(ramPage: number, code: boolean): void {
    for (const set of this.tlbs) {
      const t = set[Access.Write];
      for (let i = 0; i < TLB_SIZE; i++) {
        const e = i << 2;
        if (t[e + E_TAG] !== NO_TAG && t[e + E_OFF] >>> 12 === ramPage) t[e + E_TAG] = code ? t[e + E_TAG] | CODE_TAG_BIT : t[e + E_TAG] & ~CODE_TAG_BIT;
      }
    }
  }

  /** Takes the code mark off every write entry (no page holds decoded code any more). */
  clearCodeMarks(): void {
    for (const set of this.tlbs) {
      const t = set[Access.Write];
      for (let i = 0; i < TLB_SIZE; i++) if (t[(i << 2) + E_TAG] !== NO_TAG) t[(i << 2) + E_TAG] &= ~CODE_TAG_BIT;
    }
  }

  setFault(cause: number, tvalLo: number, tvalHi: number, gpa = 0): void {
    const f = this.fault;
    f.cause = cause;
    f.tvalLo = tvalLo;
    f.tvalHi = tvalHi;
    f.gpa = gpa;
  }

  /**
   * Translates a virtual address to a guest-physical one, filling the TLB for RAM pages.
   * Returns the guest-physical address, or -1 with `fault` set.
   */
  translate(lo: number, hi: number, access: Access): number {
    if (this.satpMode === SATP_MODE_BARE) {
      // Bare: no translation, and no U/S distinction on memory.
      const phys = (hi >>> 0) * TWO32 + (lo >>> 0);
      if (phys >= MAX_PHYS) {
        this.setFault(accessFaultCause(access), lo, hi);
        return -1;
      }
      this.fill(lo, hi, access, phys);
      return phys;
    }
    return this.walk(lo, hi, access);
  }

  private fill(lo: number, hi: number, access: Access, phys: number): void {
    const pageOff = phys - (lo & 0xfff) - this.ram.base;
    if (pageOff < 0 || pageOff >= this.ram.size) return;
    if (access !== Access.Fetch && this.debug !== null && this.debug.hasWatchpoints && this.debug.pageWatched(lo, hi)) return;
    const e = ((lo >>> 12) & TLB_MASK) << 2;
    const tlb = this.cur[access];
    let t = lo & ~0xfff;
    if (access === Access.Write) {
      // Writes to a page with translated code must go through codeWritten(). The store that filled the entry logs
      // its page (the slow path writes through writeRam), so the entry starts logged.
      if (this.codeListener !== null && this.isCodePage(pageOff >>> 12)) t |= CODE_TAG_BIT;
      this.ram.dirty[pageOff >>> 12] = 1;
    }
    tlb[e + E_TAG] = t;
    tlb[e + E_TAG_HI] = hi;
    tlb[e + E_OFF] = pageOff;
  }

  /** Set by the block cache: which RAM pages hold translated code. */
  codePages: Uint8Array | null = null;

  private isCodePage(ramPage: number): boolean {
    return this.codePages !== null && this.codePages[ramPage] !== 0;
  }

  private walk(lo: number, hi: number, access: Access): number {
    const levels = this.satpMode === SATP_MODE_SV39 ? 3 : 4;
    const vaBits = 12 + 9 * levels;
    // The address must be the sign extension of its top implemented bit.
    const topShift = vaBits - 1 - 32;
    if (hi >> topShift !== (hi << (31 - topShift)) >> 31) {
      this.setFault(pageFaultCause(access), lo, hi);
      return -1;
    }
    const va = (hi & ((1 << (vaBits - 32)) - 1)) * TWO32 + (lo >>> 0);
    const i32 = this.ram.i32;
    let table = this.rootPpn * 4096;
    for (let level = levels - 1; level >= 0; level--) {
      const vpn = Math.floor(va / 2 ** (12 + 9 * level)) % 512;
      const pteAddr = table + vpn * 8;
      const off = this.ram.offsetOf(pteAddr, 8);
      if (off < 0) {
        this.setFault(accessFaultCause(access), lo, hi);
        return -1;
      }
      let pteLo = i32[off >> 2];
      const pteHi = i32[(off >> 2) + 1];
      if ((pteLo & PTE_V) === 0 || ((pteLo & PTE_R) === 0 && (pteLo & PTE_W) !== 0) || pteHi >>> 22 !== 0) break;
      const ppn = (pteLo >>> 10) + (pteHi & 0x3fffff) * 4194304;
      if ((pteLo & (PTE_R | PTE_X)) === 0) {
        table = ppn * 4096;
        continue;
      }
      if (!this.permits(pteLo, access)) break;
      const superPages = 2 ** (9 * level);
      if (ppn % superPages !== 0) break; // misaligned superpage
      const wantFlags = PTE_A | (access === Access.Write ? PTE_D : 0);
      if ((pteLo & wantFlags) !== wantFlags) {
        // Hardware A/D update, as QEMU does it (an atomic read-modify-write of the PTE).
        pteLo |= wantFlags;
        i32[off >> 2] = pteLo;
        this.ram.dirty[off >>> 12] = 1;
        if (this.codeListener !== null && this.isCodePage(off >>> 12)) this.codeListener.codeWritten(off, 8);
      }
      const vpnLow = Math.floor(va / 4096) % superPages;
      const phys = (ppn + vpnLow) * 4096 + (lo & 0xfff);
      if (phys >= MAX_PHYS) {
        this.setFault(accessFaultCause(access), lo, hi);
        return -1;
      }
      this.fill(lo, hi, access, phys);
      return phys;
    }
    this.setFault(pageFaultCause(access), lo, hi);
    return -1;
  }

  private permits(pte: number, access: Access): boolean {
    const user = (pte & PTE_U) !== 0;
    if (access === Access.Fetch) {
      if ((pte & PTE_X) === 0) return false;
      return this.priv === 0 ? user : !user;
    }
    if (access === Access.Read) {
      if ((pte & PTE_R) === 0 && !(this.mxr && (pte & PTE_X) !== 0)) return false;
    } else if ((pte & PTE_W) === 0) {
      return false;
    }
    if (this.priv === 0) return user;
    return !user || this.sum;
  }

  /** RAM offset of a translated RAM address, or -1 with `fault` set (guest page fault when it is MMIO). */
  private ramOffset(lo: number, hi: number, access: Access, len: number): number {
    // The TLB first: slow paths also serve misaligned accesses and stores to code pages, whose pages are cached.
    const e = ((lo >>> 12) & TLB_MASK) << 2;
    const tlb = this.cur[access];
    const tag = tlb[e + E_TAG];
    if ((tag & ~SLOW_TAG_BITS) === (lo & ~0xfff) && tlb[e + E_TAG_HI] === hi && (lo & 0xfff) + len <= 0x1000) {
      // A write through an entry not yet logged in this period: the caller's write logs the page; later stores
      // through the entry may take the inline path.
      if (access === Access.Write && (tag & UNLOGGED_TAG_BIT) !== 0) tlb[e + E_TAG] = tag & ~UNLOGGED_TAG_BIT;
      return tlb[e + E_OFF] + (lo & 0xfff);
    }
    const phys = this.translate(lo, hi, access);
    if (phys < 0) return -1;
    const off = this.ram.offsetOf(phys, len);
    if (off < 0) {
      this.setFault(access === Access.Write ? Cause.StoreGuestPageFault : Cause.LoadGuestPageFault, lo, hi, phys);
      return -1;
    }
    return off;
  }

  /** Instruction fetch translation for a block start: RAM offset, or -1 with `fault` set. */
  fetch(lo: number, hi: number): number {
    const e = ((lo >>> 12) & TLB_MASK) << 2;
    const tlb = this.cur[Access.Fetch];
    if (tlb[e + E_TAG] === (lo & ~0xfff) && tlb[e + E_TAG_HI] === hi) return tlb[e + E_OFF] + (lo & 0xfff);
    const phys = this.translate(lo, hi, Access.Fetch);
    if (phys < 0) return -1;
    const off = this.ram.offsetOf(phys, 2);
    if (off < 0) {
      // Fetching from a guest-physical address that is not RAM: an instruction access fault (see the
      // EXC_INST_ACCESS patch in KVM), which the hypervisor layer redirects into the guest.
      this.setFault(Cause.InstAccess, lo, hi);
      return -1;
    }
    return off;
  }

  /** Whether a watchpoint fires for this access; if so the fault is set to the debug stop. */
  private watched(lo: number, hi: number, size: number, isWrite: boolean): boolean {
    if (this.debug === null || !this.debug.hasWatchpoints || !this.debug.checkAccess(lo, hi, size, isWrite)) return false;
    this.setFault(DEBUG_TRIGGER_CAUSE, lo, hi);
    return true;
  }

  /** Slow-path load of `1 << (f3 & 3)` bytes (f3 = LB..LWU). Value in vlo/vhi. False with `fault` set. */
  load(lo: number, hi: number, f3: number): boolean {
    const size = 1 << (f3 & 3);
    const ram = this.ram;
    if (this.watched(lo, hi, size, false)) return false;
    let vlo: number, vhi = 0;
    if ((lo & 0xfff) + size <= 0x1000) {
      const off = this.ramOffset(lo, hi, Access.Read, size);
      if (off < 0) return false;
      vlo = size === 1 ? ram.u8[off] : size === 2 ? ram.u8[off] | (ram.u8[off + 1] << 8) : ram.view.getInt32(off, true);
      if (size === 8) vhi = ram.view.getInt32(off + 4, true);
    } else {
      // Misaligned across a page boundary: QEMU performs it (no trap), byte by byte through translation.
      let bytesLo = 0, bytesHi = 0;
      for (let b = 0; b < size; b++) {
        const blo = (lo + b) | 0;
        const bhi = (hi + ((blo >>> 0) < (lo >>> 0) ? 1 : 0)) | 0;
        const off = this.ramOffset(blo, bhi, Access.Read, 1);
        if (off < 0) {
          if (this.fault.cause === Cause.LoadGuestPageFault) this.setFault(Cause.LoadGuestPageFault, lo, hi, this.fault.gpa - b);
          return false;
        }
        if (b < 4) bytesLo |= ram.u8[off] << (8 * b);
        else bytesHi |= ram.u8[off] << (8 * (b - 4));
      }
      vlo = bytesLo;
      vhi = bytesHi;
    }
    this.extend(f3, vlo, vhi);
    return true;
  }

  private extend(f3: number, lo: number, hi: number): void {
    switch (f3) {
      case 0: this.vlo = (lo << 24) >> 24; this.vhi = this.vlo >> 31; break;
      case 1: this.vlo = (lo << 16) >> 16; this.vhi = this.vlo >> 31; break;
      case 2: this.vlo = lo | 0; this.vhi = this.vlo >> 31; break;
      case 3: this.vlo = lo | 0; this.vhi = hi | 0; break;
      case 4: this.vlo = lo & 0xff; this.vhi = 0; break;
      case 5: this.vlo = lo & 0xffff; this.vhi = 0; break;
      default: this.vlo = lo | 0; this.vhi = 0; break;
    }
  }

  /**
   * Slow-path store. Returns 0 when done, 1 with `fault` set, 2 when done but it overwrote translated code
   * (the running block must end after this instruction).
   */
  store(lo: number, hi: number, f3: number, vlo: number, vhi: number): number {
    const size = 1 << f3;
    if (this.watched(lo, hi, size, true)) return 1;
    if ((lo & 0xfff) + size <= 0x1000) {
      const off = this.ramOffset(lo, hi, Access.Write, size);
      if (off < 0) return 1;
      const smc = this.codeListener !== null && this.isCodePage(off >>> 12) && this.codeListener.codeWritten(off, size);
      this.writeRam(off, size, vlo, vhi);
      return smc ? 2 : 0;
    }
    // Misaligned across a page boundary: translate every byte first so that a fault leaves memory untouched.
    const offs: number[] = [];
    for (let b = 0; b < size; b++) {
      const blo = (lo + b) | 0;
      const bhi = (hi + ((blo >>> 0) < (lo >>> 0) ? 1 : 0)) | 0;
      const off = this.ramOffset(blo, bhi, Access.Write, 1);
      if (off < 0) {
        if (this.fault.cause === Cause.StoreGuestPageFault) this.setFault(Cause.StoreGuestPageFault, lo, hi, this.fault.gpa - b);
        return 1;
      }
      offs.push(off);
    }
    let smc = false;
    for (let b = 0; b < size; b++) {
      const off = offs[b];
      if (this.codeListener !== null && this.isCodePage(off >>> 12) && this.codeListener.codeWritten(off, 1)) smc = true;
      this.ram.u8[off] = (b < 4 ? vlo >>> (8 * b) : vhi >>> (8 * (b - 4))) & 0xff;
      this.ram.dirty[off >>> 12] = 1;
    }
    return smc ? 2 : 0;
  }

  private writeRam(off: number, size: number, vlo: number, vhi: number): void {
    const ram = this.ram;
    if (size === 1) ram.u8[off] = vlo;
    else if (size === 2) ram.view.setInt16(off, vlo, true);
    else {
      ram.view.setInt32(off, vlo, true);
      if (size === 8) ram.view.setInt32(off + 4, vhi, true);
    }
    ram.dirty[off >>> 12] = 1;
  }

  /** LR.W/LR.D (f3 = 2/3). */
  loadReserved(lo: number, hi: number, f3: number): boolean {
    const size = f3 === 2 ? 4 : 8;
    if ((lo & (size - 1)) !== 0) {
      this.setFault(Cause.LoadMisaligned, lo, hi);
      return false;
    }
    if (this.watched(lo, hi, size, false)) return false;
    const off = this.ramOffset(lo, hi, Access.Read, size);
    if (off < 0) return false;
    const i32 = this.ram.i32;
    this.vlo = i32[off >> 2];
    this.vhi = size === 8 ? i32[(off >> 2) + 1] : this.vlo >> 31;
    this.reserve(lo, hi, this.vlo, this.vhi);
    return true;
  }

  /**
   * SC.W/SC.D with QEMU's semantics: it succeeds when the reservation is for this address and memory still holds
   * the value LR loaded (a compare-and-swap). Without a matching reservation it fails without touching memory.
   * Result (0 success / 1 failure) in vlo/vhi. Returns 0, 1 (fault) or 2 (overwrote code), as store().
   */
  storeConditional(lo: number, hi: number, f3: number, vlo: number, vhi: number): number {
    const size = f3 === 2 ? 4 : 8;
    const reserved = this.resValid && this.resLo === lo && this.resHi === hi;
    this.resValid = false;
    this.vlo = 1;
    this.vhi = 0;
    if (!reserved) return 0;
    if ((lo & (size - 1)) !== 0) {
      this.setFault(Cause.StoreMisaligned, lo, hi);
      return 1;
    }
    if (this.watched(lo, hi, size, true)) {
      this.resValid = true; // the SC did not happen yet: it runs again when the debugger resumes
      return 1;
    }
    const off = this.ramOffset(lo, hi, Access.Write, size);
    if (off < 0) return 1;
    const i32 = this.ram.i32;
    const curLo = i32[off >> 2];
    const curHi = size === 8 ? i32[(off >> 2) + 1] : curLo >> 31;
    if (curLo !== this.resValLo || curHi !== this.resValHi) return 0;
    const smc = this.codeListener !== null && this.isCodePage(off >>> 12) && this.codeListener.codeWritten(off, size);
    this.writeRam(off, size, vlo, vhi);
    this.vlo = 0;
    return smc ? 2 : 0;
  }

  /** AMO*.W / AMO*.D: old value (sign-extended for .W) in vlo/vhi. Returns 0, 1 (fault) or 2, as store(). */
  amo(lo: number, hi: number, f3: number, f5: number, slo: number, shi: number): number {
    const size = f3 === 2 ? 4 : 8;
    if ((lo & (size - 1)) !== 0) {
      this.setFault(Cause.StoreMisaligned, lo, hi);
      return 1;
    }
    if (this.watched(lo, hi, size, true)) return 1;
    const off = this.ramOffset(lo, hi, Access.Write, size);
    if (off < 0) return 1;
    const i32 = this.ram.i32;
    const oldLo = i32[off >> 2];
    const oldHi = size === 8 ? i32[(off >> 2) + 1] : oldLo >> 31;
    if (size === 4) shi = slo >> 31;
    let nlo: number, nhi: number;
    switch (f5) {
      case 0x00: { // add
        nlo = (oldLo + slo) | 0;
        nhi = (oldHi + shi + ((nlo >>> 0) < (oldLo >>> 0) ? 1 : 0)) | 0;
        break;
      }
      case 0x01: nlo = slo; nhi = shi; break;
      case 0x04: nlo = oldLo ^ slo; nhi = oldHi ^ shi; break;
      case 0x08: nlo = oldLo | slo; nhi = oldHi | shi; break;
      case 0x0c: nlo = oldLo & slo; nhi = oldHi & shi; break;
      default: {
        const signed = f5 === 0x10 || f5 === 0x14;
        const less = signed
          ? oldHi < shi || (oldHi === shi && (oldLo >>> 0) < (slo >>> 0))
          : (oldHi >>> 0) < (shi >>> 0) || (oldHi === shi && (oldLo >>> 0) < (slo >>> 0));
        const takeOld = f5 === 0x10 || f5 === 0x18 ? less : !less;
        nlo = takeOld ? oldLo : slo;
        nhi = takeOld ? oldHi : shi;
      }
    }
    const smc = this.codeListener !== null && this.isCodePage(off >>> 12) && this.codeListener.codeWritten(off, size);
    this.writeRam(off, size, nlo, nhi);
    this.vlo = oldLo;
    this.vhi = oldHi;
    return smc ? 2 : 0;
  }

}

export function accessFaultCause(access: Access): number {
  return access === Access.Fetch ? Cause.InstAccess : access === Access.Read ? Cause.LoadAccess : Cause.StoreAccess;
}

export function pageFaultCause(access: Access): number {
  return access === Access.Fetch ? Cause.InstPageFault : access === Access.Read ? Cause.LoadPageFault : Cause.StorePageFault;
}

