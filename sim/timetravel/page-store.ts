import { PAGE_SIZE } from '../memory.js';

/**
 * RAM pages as they were at each checkpoint, stored incrementally: a checkpoint holds a copy of a page only when the
 * page changed since the checkpoint before it. The page at checkpoint c is its latest version at or before c (no
 * version at all: the page still holds zeros, as every page does before the guest is loaded).
 *
 * Checkpoint ids grow with the position in the run. Dropping a checkpoint (to stay within the memory budget) hands
 * its versions to the next checkpoint kept, unless that one has its own version of the page already.
 */
export class PageStore {
  /** Per page: the ids of the checkpoints holding a version (ascending), and the versions. */
  private readonly ids: (number[] | undefined)[];
  private readonly copies: (Uint8Array[] | undefined)[];
  /** Per checkpoint id: the pages it holds a version of. */
  private readonly pagesOf = new Map<number, number[]>();
  private storedBytes = 0;
  private storedPages = 0;

  constructor(pageCount: number) {
    this.ids = new Array(pageCount);
    this.copies = new Array(pageCount);
  }

  get bytes(): number {
    return this.storedBytes;
  }

  get pages(): number {
    return this.storedPages;
  }

  /** The page as it was at checkpoint `id`, or null when it held zeros then. */
  at(page: number, id: number): Uint8Array | null {
    const ids = this.ids[page];
    if (ids === undefined) return null;
    // The latest version with an id <= `id` (binary search: a page changes at most once per checkpoint).
    let lo = 0, hi = ids.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] <= id) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found < 0 ? null : this.copies[page]![found];
  }

  /**
   * Records checkpoint `id` (larger than every id so far): of the candidate pages, those whose bytes differ from
   * the version at `previous` get a copy. Returns how many did.
   */
  addCheckpoint(id: number, previous: number, candidates: Iterable<number>, ram: Uint8Array): number {
    const kept: number[] = [];
    for (const page of candidates) {
      const bytes = ram.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
      const before = previous < 0 ? null : this.at(page, previous);
      if (before === null ? isZero(bytes) : equal(before, bytes)) continue;
      let ids = this.ids[page], copies = this.copies[page];
      if (ids === undefined) { this.ids[page] = ids = []; this.copies[page] = copies = []; }
      ids.push(id);
      copies!.push(bytes.slice());
      kept.push(page);
    }
    this.pagesOf.set(id, kept);
    this.storedPages += kept.length;
    this.storedBytes += kept.length * PAGE_SIZE;
    return kept.length;
  }

  /** The pages some checkpoint with an id in (from, to] holds a version of: the pages that differ between the two. */
  changedBetween(from: number, to: number, into: Set<number>): void {
    const lo = Math.min(from, to), hi = Math.max(from, to);
    for (const [id, pages] of this.pagesOf) {
      if (id > lo && id <= hi) for (const p of pages) into.add(p);
    }
  }

  /** Forgets checkpoint `id`; its versions go to `next` (the next checkpoint kept) where that has none of its own. */
  dropCheckpoint(id: number, next: number): void {
    const pages = this.pagesOf.get(id);
    if (pages === undefined) return;
    this.pagesOf.delete(id);
    const nextPages = this.pagesOf.get(next) ?? [];
    for (const page of pages) {
      const ids = this.ids[page]!, copies = this.copies[page]!;
      const i = ids.indexOf(id);
      if (i + 1 < ids.length && ids[i + 1] === next) {
        ids.splice(i, 1);
        copies.splice(i, 1);
        this.storedPages--;
        this.storedBytes -= PAGE_SIZE;
      } else {
        ids[i] = next;
        nextPages.push(page);
      }
    }
    this.pagesOf.set(next, nextPages);
  }
}

function isZero(bytes: Uint8Array): boolean {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  const wa = new Int32Array(a.buffer, a.byteOffset, a.length >>> 2), wb = new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
  return true;
}
