/**
 * Debug state kept by the hypervisor, not in guest memory (KVM_SET_GUEST_DEBUG with hardware-style triggers):
 * address breakpoints and load/store watchpoints on guest-virtual addresses. Guest memory is never patched, so a
 * recording stays replayable whatever breakpoints a debugger sets later.
 *
 * Triggers have owners. `Recorded` ones were set by the session's debugger through journal inputs: they are part
 * of the run (their stops are exits in the journal) and of its checkpoints. `Observer` ones are set by someone
 * travelling through a recording: they stop the replay without being exits, and no checkpoint holds them. A trigger
 * both own fires once; `hitOwners` says whose it was.
 *
 * Addresses are (lo, hi) pairs like the rest of the hart. A watchpoint must not straddle a 4 GiB boundary.
 */
export const enum DebugStopKind { None = 0, AddressBreakpoint = 1, WatchRead = 2, WatchWrite = 3 }

export const enum TriggerOwner { Recorded = 1, Observer = 2 }

export interface Watchpoint {
  lo: number;
  hi: number;
  len: number;
  read: boolean;
  write: boolean;
}

interface OwnedWatchpoint extends Watchpoint {
  owner: TriggerOwner;
}

/** The recorded triggers, as a checkpoint holds them. */
export interface DebugTriggerState {
  breakpoints: string[];
  watchpoints: Watchpoint[];
}

const key = (lo: number, hi: number): string => `${hi | 0}:${lo | 0}`;
const pageKey = (lo: number, hi: number): string => `${hi | 0}:${lo >>> 12}`;

export class DebugTriggers {
  /** Breakpoint address key to the owners' mask. */
  private readonly breakpoints = new Map<string, number>();
  private readonly watchpoints: OwnedWatchpoint[] = [];
  private readonly watchedPages = new Set<string>();
  /**
   * While set, breakpoints (and, for the other, watchpoints) do not fire: stepping over the instruction that
   * stopped. Stepping over a breakpoint leaves the watchpoints armed, so the instruction's own access still fires
   * them (a recording's watchpoint hit on an instruction an observer breakpoint stopped at must still happen).
   */
  breakpointsSuspended = false;
  watchpointsSuspended = false;
  /** Where the last watchpoint fired. */
  hitLo = 0;
  hitHi = 0;
  hitKind: DebugStopKind = DebugStopKind.None;
  /** Whose triggers the last hit matched (a TriggerOwner mask). */
  hitOwners = 0;

  /** A plain field, read once per block by the dispatcher. */
  hasBreakpoints = false;

  get hasWatchpoints(): boolean {
    return this.watchpoints.length > 0;
  }

  hasBreakpoint(lo: number, hi: number): boolean {
    return this.breakpoints.has(key(lo, hi));
  }

  /** The owners of the breakpoint at this address (0 when there is none). */
  breakpointOwners(lo: number, hi: number): number {
    return this.breakpoints.get(key(lo, hi)) ?? 0;
  }

  addBreakpoint(lo: number, hi: number, owner = TriggerOwner.Recorded): void {
    const k = key(lo, hi);
    this.breakpoints.set(k, (this.breakpoints.get(k) ?? 0) | owner);
    this.hasBreakpoints = true;
    this.listCache = null;
  }

  removeBreakpoint(lo: number, hi: number, owner = TriggerOwner.Recorded): boolean {
    const k = key(lo, hi);
    const owners = this.breakpoints.get(k) ?? 0;
    if ((owners & owner) === 0) return false;
    if (owners === owner) this.breakpoints.delete(k);
    else this.breakpoints.set(k, owners & ~owner);
    this.hasBreakpoints = this.breakpoints.size > 0;
    this.listCache = null;
    return true;
  }

  /**
   * Whether a breakpoint lies at (lo, hi) + [from, from + bytes): the bytes a compiled block covers after its first
   * instruction. Blocks never cross a page, so only the low word moves.
   */
  anyBreakpointIn(lo: number, hi: number, from: number, bytes: number): boolean {
    const list = this.breakpointList();
    for (let i = 0; i < list.length; i += 2) {
      if (list[i + 1] !== hi) continue;
      const d = (list[i] - lo) >>> 0;
      if (d >= from && d < bytes) return true;
    }
    return false;
  }

  /** Every breakpoint address as (lo, hi) pairs, rebuilt after a change. */
  breakpointList(): Int32Array {
    if (this.listCache === null) {
      const pairs = [...this.breakpoints.keys()].flatMap((k) => {
        const [hi, lo] = k.split(':').map(Number);
        return [lo, hi];
      });
      this.listCache = Int32Array.from(pairs);
    }
    return this.listCache;
  }

  private listCache: Int32Array | null = null;

  listBreakpoints(owner = TriggerOwner.Recorded): { lo: number; hi: number }[] {
    return [...this.breakpoints].filter(([, owners]) => (owners & owner) !== 0).map(([k]) => {
      const [hi, lo] = k.split(':').map(Number);
      return { lo, hi };
    });
  }

  addWatchpoint(w: Watchpoint, owner = TriggerOwner.Recorded): void {
    if (w.len <= 0 || (w.lo >>> 0) + w.len > 0x1_0000_0000) throw new RangeError('a watchpoint must not straddle a 4 GiB boundary');
    this.watchpoints.push({ lo: w.lo, hi: w.hi, len: w.len, read: w.read, write: w.write, owner });
    this.rebuildPages();
  }

  removeWatchpoint(lo: number, hi: number, len: number, owner = TriggerOwner.Recorded): boolean {
    const i = this.watchpoints.findIndex((w) => w.lo === lo && w.hi === hi && w.len === len && w.owner === owner);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    this.rebuildPages();
    return true;
  }

  listWatchpoints(owner = TriggerOwner.Recorded): Watchpoint[] {
    return this.watchpoints.filter((w) => w.owner === owner).map(({ lo, hi, len, read, write }) => ({ lo, hi, len, read, write }));
  }

  /** The recorded triggers (the observer's are not part of the run). */
  saveState(): DebugTriggerState {
    return {
      breakpoints: [...this.breakpoints].filter(([, o]) => (o & TriggerOwner.Recorded) !== 0).map(([k]) => k),
      watchpoints: this.listWatchpoints(TriggerOwner.Recorded),
    };
  }

  /** Puts back the recorded triggers of a checkpoint, keeping the observer's. */
  restoreState(state: DebugTriggerState): void {
    for (const [k, o] of [...this.breakpoints]) {
      if (o === TriggerOwner.Recorded) this.breakpoints.delete(k);
      else this.breakpoints.set(k, o & ~TriggerOwner.Recorded);
    }
    for (const k of state.breakpoints) this.breakpoints.set(k, (this.breakpoints.get(k) ?? 0) | TriggerOwner.Recorded);
    this.hasBreakpoints = this.breakpoints.size > 0;
    this.listCache = null;
    const observed = this.watchpoints.filter((w) => w.owner === TriggerOwner.Observer);
    this.watchpoints.length = 0;
    for (const w of state.watchpoints) this.watchpoints.push({ ...w, owner: TriggerOwner.Recorded });
    this.watchpoints.push(...observed);
    this.rebuildPages();
    this.breakpointsSuspended = false;
    this.watchpointsSuspended = false;
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

  /** The owners of the watchpoints an access of `size` bytes at (lo, hi) hits (0 when none does). */
  watchOwners(lo: number, hi: number, size: number, isWrite: boolean): number {
    const a = lo >>> 0;
    let owners = 0;
    for (const w of this.watchpoints) {
      if (w.hi !== hi || !(isWrite ? w.write : w.read)) continue;
      const b = w.lo >>> 0;
      if (a < b + w.len && b < a + size) owners |= w.owner;
    }
    return owners;
  }

  /** Checks a data access; on a hit records it (with every owner whose watchpoint matched) and returns true. */
  checkAccess(lo: number, hi: number, size: number, isWrite: boolean): boolean {
    if (this.watchpointsSuspended) return false;
    const owners = this.watchOwners(lo, hi, size, isWrite);
    if (owners === 0) return false;
    this.hitLo = lo;
    this.hitHi = hi;
    this.hitKind = isWrite ? DebugStopKind.WatchWrite : DebugStopKind.WatchRead;
    this.hitOwners = owners;
    return true;
  }
}
