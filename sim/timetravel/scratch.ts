import type { VcpuState } from '../kvm/vcpu.js';
import type { ReplayPosition } from '../journal/replay.js';
import { PAGE_SIZE } from '../memory.js';
import type { Checkpoint } from './checkpoints.js';

/**
 * A scratch point: a place between two checkpoints that a debugger works near (the instructions a run of
 * reverse-steps goes back over, the interval a reverse-continue scans), kept so that going there again replays
 * a few thousand instructions instead of a whole checkpoint interval. It holds the vCPU state, the replay's
 * position, and the RAM pages that differ from its base checkpoint's: restoring it rewrites only the pages that
 * differ between where the machine stands and there. Points on one base share the copies of pages that did not change
 * between them (a copy is never written). Scratch points are not part of the checkpoint list: they are
 * kept in a small, bounded set and forgotten freely (their base checkpoint dropped, or the set full).
 */
export interface ScratchPoint {
  readonly base: Checkpoint;
  readonly icount: number;
  readonly nextSeq: number;
  readonly position: ReplayPosition;
  readonly vcpu: VcpuState;
  /** Page number to its bytes here, for every page written since the base (a page not here is as at the base). */
  readonly pages: Map<number, Uint8Array>;
}

/** At most this many scratch points, and this many bytes of their pages: the least recently used go first. */
export const SCRATCH_LIMIT = 24;
export const SCRATCH_BUDGET_BYTES = 96 * 1024 * 1024;

export class ScratchPoints {
  private points: ScratchPoint[] = [];
  /** Each page copy the points hold, and how many hold it: points taken a stretch apart share what did not change. */
  private readonly holders = new Map<Uint8Array, number>();
  private pageRefs = 0;

  get list(): readonly ScratchPoint[] {
    return this.points;
  }

  /** The points kept, the bytes of the page copies they hold (each counted once), and the pages they name. */
  stats(): { points: number; bytes: number; pageRefs: number } {
    return { points: this.points.length, bytes: this.holders.size * PAGE_SIZE, pageRefs: this.pageRefs };
  }

  add(p: ScratchPoint): void {
    this.points.push(p);
    for (const bytes of p.pages.values()) this.holders.set(bytes, (this.holders.get(bytes) ?? 0) + 1);
    this.pageRefs += p.pages.size;
    while (this.points.length > SCRATCH_LIMIT || (this.holders.size * PAGE_SIZE > SCRATCH_BUDGET_BYTES && this.points.length > 1)) this.remove(this.points[0]);
  }

  /** Marks `p` as just used: it is the last to be forgotten. */
  touch(p: ScratchPoint): void {
    const i = this.points.indexOf(p);
    if (i < 0 || i === this.points.length - 1) return;
    this.points.splice(i, 1);
    this.points.push(p);
  }

  /** Forgets the points whose base checkpoint is no longer kept (thinning dropped it). */
  keepBases(kept: readonly Checkpoint[]): void {
    const alive = new Set(kept);
    for (const p of [...this.points]) if (!alive.has(p.base)) this.remove(p);
  }

  private remove(p: ScratchPoint): void {
    const i = this.points.indexOf(p);
    if (i < 0) return;
    this.points.splice(i, 1);
    this.pageRefs -= p.pages.size;
    for (const bytes of p.pages.values()) {
      const n = this.holders.get(bytes)! - 1;
      if (n === 0) this.holders.delete(bytes);
      else this.holders.set(bytes, n);
    }
  }
}
