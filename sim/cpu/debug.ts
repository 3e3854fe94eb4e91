/**
 * Debug state kept by the hypervisor, not in guest memory (KVM_SET_GUEST_DEBUG with hardware-style triggers):
 * address breakpoints and load/store watchpoints on guest-virtual addresses. Guest memory is never patched, so a
 * recording stays replayable whatever breakpoints a debugger sets later.
 *
 * Addresses are (lo, hi) pairs like the rest of the hart. A watchpoint must not straddle a 4 GiB boundary.
 */
export const enum DebugStopKind { None = 0, AddressBreakpoint = 1, WatchRead = 2, WatchWrite = 3 }

export interface Watchpoint {
  lo: number;
  hi: number;
  len: number;
  read: boolean;
  write: boolean;
}

const key = (lo: number, hi: number): string => `${hi | 0}:${lo | 0}`;
const pageKey = (lo: number, hi: number): string => `${hi | 0}:${lo >>> 12}`;

export class DebugTriggers {
  private readonly breakpoints = new Set<string>();
  private readonly watchpoints: Watchpoint[] = [];
  private readonly watchedPages = new Set<string>();
  /** While set, triggers do not fire (stepping over the instruction that stopped). */
  suspended = false;
  /** Where the last watchpoint fired. */
  hitLo = 0;
  hitHi = 0;
  hitKind: DebugStopKind = DebugStopKind.None;

  /** A plain field, read once per block by the dispatcher. */
  hasBreakpoints = false;

  get hasWatchpoints(): boolean {
    return this.watchpoints.length > 0;
  }

  hasBreakpoint(lo: number, hi: number): boolean {
    return this.breakpoints.has(key(lo, hi));
  }

  addBreakpoint(lo: number, hi: number): void {
    this.breakpoints.add(key(lo, hi));
    this.hasBreakpoints = true;
  }

  removeBreakpoint(lo: number, hi: number): boolean {
    const removed = this.breakpoints.delete(key(lo, hi));
    this.hasBreakpoints = this.breakpoints.size > 0;
    return removed;
  }

  listBreakpoints(): { lo: number; hi: number }[] {
    return [...this.breakpoints].map((k) => {
      const [hi, lo] = k.split(':').map(Number);
      return { lo, hi };
    });
  }

  addWatchpoint(w: Watchpoint): void {
    if (w.len <= 0 || (w.lo >>> 0) + w.len > 0x1_0000_0000) throw new RangeError('a watchpoint must not straddle a 4 GiB boundary');
    this.watchpoints.push({ ...w });
    this.rebuildPages();
  }

  removeWatchpoint(lo: number, hi: number, len: number): boolean {
    const i = this.watchpoints.findIndex((w) => w.lo === lo && w.hi === hi && w.len === len);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    this.rebuildPages();
    return true;
  }

  listWatchpoints(): Watchpoint[] {
    return this.watchpoints.map((w) => ({ ...w }));
  }

  private rebuildPages(): void {
    this.watchedPages.clear();
    for (const w of this.watchpoints) {
      const first = w.lo >>> 12, last = ((w.lo >>> 0) + w.len - 1) >>> 12;
      for (let p = first; p <= last; p++) this.watchedPages.add(pageKey(p << 12, w.hi));
    }
  }

  /** Whether the TLB may cache this virtual page for data accesses (watched pages always take the slow path). */
  pageWatched(lo: number, hi: number): boolean {
    return this.watchedPages.has(pageKey(lo, hi));
  }

  /** Checks a data access; on a hit records it and returns true. */
  checkAccess(lo: number, hi: number, size: number, isWrite: boolean): boolean {
    if (this.suspended) return false;
    const a = lo >>> 0;
    for (const w of this.watchpoints) {
      if (w.hi !== hi || !(isWrite ? w.write : w.read)) continue;
      const b = w.lo >>> 0;
      if (a < b + w.len && b < a + size) {
        this.hitLo = lo;
        this.hitHi = hi;
        this.hitKind = isWrite ? DebugStopKind.WatchWrite : DebugStopKind.WatchRead;
        return true;
      }
    }
    return false;
  }
}
