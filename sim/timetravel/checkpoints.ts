import type { VcpuState } from '../kvm/vcpu.js';
import type { Machine } from '../machine.js';
import type { ReplayPosition } from '../journal/replay.js';
import { SimError } from '../errors.js';
import { PageStore } from './page-store.js';

/** One place a replay can start again from: the complete machine state there and the replay's position. */
export interface Checkpoint {
  /** Grows with the position; the page store's id for the RAM at this checkpoint. */
  readonly id: number;
  readonly icount: number;
  /** The number of exits taken before this point (the next exit's seq). */
  readonly nextSeq: number;
  readonly position: ReplayPosition;
  readonly vcpu: VcpuState;
}

export interface CheckpointOptions {
  intervalInsns: number;
  intervalExits: number;
  budgetBytes: number;
}

/** What the checkpoints cost and how they are spaced. */
export interface CheckpointStats {
  count: number;
  /** Bytes of RAM pages held, and the number of those pages. */
  pageBytes: number;
  pages: number;
  /** A rough figure for the CPU state the checkpoints hold (TLBs, registers, statistics). */
  stateBytes: number;
  intervalInsns: number;
  intervalExits: number;
  budgetBytes: number;
  /** Checkpoints dropped to stay within the budget. */
  dropped: number;
  /** The checkpoints hold more than the budget: thinning them further would not free enough to matter. */
  overBudget: boolean;
}

/** The TLBs dominate a checkpoint's CPU state (2 privilege sets x 3 access kinds x 3 arrays x 1024 entries x 4 bytes). */
const STATE_BYTES_PER_CHECKPOINT = 2 * 3 * 3 * 1024 * 4 + 1024;

/**
 * The checkpoints of one machine, in order of position, and the RAM they hold (a PageStore). It knows which pages
 * the machine changed since it last stood on a checkpoint (its own dirty tracker), so that both taking a checkpoint
 * and going back to one cost what changed, not what the RAM holds.
 */
export class CheckpointList {
  readonly list: Checkpoint[] = [];
  private readonly machine: Machine;
  private readonly store: PageStore;
  private readonly dirty: Uint8Array;
  /** The checkpoint whose RAM the machine's RAM is, plus the pages in `dirty`; -1 before the first. */
  private base = -1;
  private nextId = 0;
  private droppedCount = 0;
  intervalInsns: number;
  intervalExits: number;
  readonly budgetBytes: number;

  /** Set for a list that reads another machine's checkpoints: it restores them, it takes none. */
  readonly borrowed: boolean;

  constructor(machine: Machine, options: CheckpointOptions, from?: CheckpointList) {
    this.machine = machine;
    this.dirty = machine.ram.addDirtyTracker();
    this.intervalInsns = options.intervalInsns;
    this.intervalExits = options.intervalExits;
    this.budgetBytes = options.budgetBytes;
    this.borrowed = from !== undefined;
    if (from === undefined) {
      this.store = new PageStore(machine.ram.pageCount);
    } else {
      // The checkpoints a recording took of its own machine, restored into this one (a traveller's): the pages are
      // shared, not copied. The recording must not take (or drop) checkpoints while this list is in use.
      if (from.machine.ram.pageCount !== machine.ram.pageCount) throw new SimError('CONFIG_INVALID', 'checkpoints of a machine with another RAM size');
      this.store = from.store;
      this.list.push(...from.list);
      this.nextId = from.nextId;
    }
  }

  /** Whether a checkpoint is due at this place (the spacing since the last one is reached). */
  due(icount: number, nextSeq: number): boolean {
    const last = this.last;
    return last === undefined || icount - last.icount >= this.intervalInsns || nextSeq - last.nextSeq >= this.intervalExits;
  }

  get last(): Checkpoint | undefined {
    return this.list[this.list.length - 1];
  }

  /** Takes a checkpoint of the machine as it stands (at `position`, after every checkpoint so far). */
  take(position: ReplayPosition): Checkpoint {
    if (this.borrowed) throw new SimError('VCPU_BAD_STATE', 'borrowed checkpoints: this list takes none');
    const { machine } = this;
    const vcpu = machine.vcpu.saveState();
    const last = this.last;
    const candidates = this.changedPages(last?.id ?? -1);
    const id = this.nextId++;
    this.store.addCheckpoint(id, last?.id ?? -1, candidates, machine.ram.u8);
    const c: Checkpoint = { id, icount: machine.hart.icount, nextSeq: machine.vcpu.nextSeq, position, vcpu };
    this.list.push(c);
    this.base = id;
    this.dirty.fill(0);
    if (this.bytes() > this.budgetBytes) this.thin();
    return c;
  }

  /** Puts the machine back in the state of checkpoint `c` (the caller restores the replay position with it). */
  restore(c: Checkpoint): void {
    const { machine } = this;
    const pages = this.changedPages(c.id);
    const ram = machine.ram;
    const zero = new Uint8Array(4096);
    for (const page of pages) {
      const bytes = this.store.at(page, c.id) ?? zero;
      ram.u8.set(bytes, page * 4096);
      // Logged as written: the state digest (its own tracker) sees the change; this list's tracker is cleared below.
      ram.markDirty(page * 4096, 4096);
    }
    machine.vcpu.restoreState(c.vcpu);
    machine.hart.collectDirtyPages();
    this.dirty.fill(0);
    this.base = c.id;
  }

  /** A RAM page as it was at checkpoint `c` (null: it held zeros then). */
  pageAt(page: number, c: Checkpoint): Uint8Array | null {
    return this.store.at(page, c.id);
  }

  /** The latest checkpoint at or before a place (by icount, then by exits taken), or undefined. */
  latestWhere(test: (c: Checkpoint) => boolean): Checkpoint | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (test(this.list[i])) return this.list[i];
    return undefined;
  }

  stats(): CheckpointStats {
    return {
      count: this.list.length, pageBytes: this.store.bytes, pages: this.store.pages, stateBytes: this.list.length * STATE_BYTES_PER_CHECKPOINT,
      intervalInsns: this.intervalInsns, intervalExits: this.intervalExits, budgetBytes: this.budgetBytes, dropped: this.droppedCount,
      overBudget: this.bytes() > this.budgetBytes,
    };
  }

  private bytes(): number {
    return this.store.bytes + this.list.length * STATE_BYTES_PER_CHECKPOINT;
  }

  /**
   * The pages that may differ between the machine's RAM now and the RAM at checkpoint `id`: those written since
   * the machine stood on its base checkpoint, and those some checkpoint between the base and `id` holds. With no
   * base yet (a machine fresh from its image), every page some checkpoint up to `id` holds.
   */
  private changedPages(id: number): Set<number> {
    this.machine.hart.collectDirtyPages();
    const pages = new Set<number>();
    const d = this.dirty;
    for (let p = 0; p < d.length; p++) if (d[p] !== 0) pages.add(p);
    if (id >= 0 && this.base !== id) this.store.changedBetween(this.base, id, pages);
    return pages;
  }

  /**
   * Over budget: drop every other checkpoint (never the first or the last) and double the spacing, so memory stays
   * bounded and seeks re-execute at most twice as much. A pass that frees little (each interval wrote pages of its
   * own, so the dropped checkpoints' pages move to the next one kept) ends the thinning: dropping more would lose
   * the spacing without winning memory; `overBudget` then says so.
   */
  private thin(): void {
    while (this.bytes() > this.budgetBytes && this.list.length > 2) {
      const before = this.bytes();
      const kept: Checkpoint[] = [this.list[0]];
      for (let i = 1; i < this.list.length - 1; i++) {
        if (i % 2 === 1) {
          this.store.dropCheckpoint(this.list[i].id, this.list[i + 1].id);
          this.droppedCount++;
        } else kept.push(this.list[i]);
      }
      kept.push(this.list[this.list.length - 1]);
      this.list.length = 0;
      this.list.push(...kept);
      this.intervalInsns *= 2;
      this.intervalExits *= 2;
      if (before - this.bytes() < before / 8) break;
    }
  }
}
