import { describe, expect, it } from 'vitest';
import { PageStore } from './page-store.js';

const PAGE = 4096;

/** RAM of `pages` pages, page p filled with `fill[p]` (0 = zeros). */
function ram(fill: number[]): Uint8Array {
  const r = new Uint8Array(fill.length * PAGE);
  fill.forEach((v, p) => r.fill(v, p * PAGE, (p + 1) * PAGE));
  return r;
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);
const byte = (store: PageStore, page: number, id: number) => store.at(page, id)?.[0] ?? 0;

describe('PageStore', () => {
  it('keeps a version only of pages that changed, and answers any checkpoint with the latest version at or before it', () => {
    const s = new PageStore(4);
    expect(s.addCheckpoint(0, -1, all(4), ram([0, 1, 0, 2]))).toBe(2); // zero pages need no copy
    expect(s.addCheckpoint(1, 0, all(4), ram([0, 1, 3, 2]))).toBe(1); // pages 0, 1 and 3 did not change
    expect(s.addCheckpoint(2, 1, [1], ram([0, 4, 3, 2]))).toBe(1);
    expect([0, 1, 2, 3].map((p) => byte(s, p, 0))).toEqual([0, 1, 0, 2]);
    expect([0, 1, 2, 3].map((p) => byte(s, p, 1))).toEqual([0, 1, 3, 2]);
    expect([0, 1, 2, 3].map((p) => byte(s, p, 2))).toEqual([0, 4, 3, 2]);
    expect(s.pages).toBe(4);
    expect(s.bytes).toBe(4 * PAGE);
    const changed = new Set<number>();
    s.changedBetween(2, 0, changed);
    expect([...changed].sort()).toEqual([1, 2]);
  });

  it('dropping a checkpoint keeps every other checkpoint exact and frees what no one needs', () => {
    const s = new PageStore(3);
    s.addCheckpoint(0, -1, all(3), ram([1, 1, 1]));
    s.addCheckpoint(1, 0, all(3), ram([2, 2, 1]));
    s.addCheckpoint(2, 1, all(3), ram([3, 2, 1]));
    s.addCheckpoint(3, 2, all(3), ram([3, 2, 4]));
    const before = [0, 2, 3].map((id) => [0, 1, 2].map((p) => byte(s, p, id)));
    s.dropCheckpoint(1, 2);
    expect([0, 2, 3].map((id) => [0, 1, 2].map((p) => byte(s, p, id)))).toEqual(before);
    // Page 0's version at 1 was superseded at 2 and freed; page 1's moved to 2.
    expect(s.pages).toBe(3 + 2 + 1 + 1 - 1);
    const changed = new Set<number>();
    s.changedBetween(0, 2, changed);
    expect([...changed].sort()).toEqual([0, 1]);
  });
});
