import { describe, expect, it } from 'vitest';
import { Plic, PLIC_LAYOUT } from './plic.js';

const w32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
const r32 = (b: Uint8Array) => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;

function setup() {
  const levels: boolean[] = [];
  const plic = new Plic({ set: (l) => levels.push(l) });
  const write = (off: number, v: number) => plic.write(off, w32(v));
  const read = (off: number) => r32(plic.read(off, 4));
  return { plic, levels, write, read };
}

const CLAIM = PLIC_LAYOUT.CONTEXT_BASE + 4;

describe('Plic (one S-mode context)', () => {
  it('forwards an enabled source with priority above the threshold, and claims it', () => {
    const { plic, levels, write, read } = setup();
    const uart = plic.line(10);
    uart.set(true);
    expect(levels).toEqual([]); // priority 0 = never
    write(4 * 10, 1);
    expect(levels).toEqual([]); // not enabled
    write(PLIC_LAYOUT.ENABLE_BASE, 1 << 10);
    expect(levels).toEqual([true]);
    expect(read(PLIC_LAYOUT.PENDING_BASE)).toBe(1 << 10);
    expect(read(CLAIM)).toBe(10);
    expect(levels).toEqual([true, false]);
    expect(read(CLAIM)).toBe(0); // nothing else
  });

  it('does not forward a claimed source again until it is completed, then again while its line is high', () => {
    const { plic, levels, write, read } = setup();
    const line = plic.line(10);
    write(4 * 10, 1);
    write(PLIC_LAYOUT.ENABLE_BASE, 1 << 10);
    line.set(true);
    expect(read(CLAIM)).toBe(10);
    expect(levels).toEqual([true, false]);
    write(CLAIM, 10); // complete, line still high
    expect(levels).toEqual([true, false, true]);
    expect(read(CLAIM)).toBe(10);
    line.set(false);
    write(CLAIM, 10);
    expect(levels).toEqual([true, false, true, false]);
  });

  it('masks sources at or below the threshold and picks the highest priority first', () => {
    const { plic, levels, write, read } = setup();
    write(4 * 1, 2);
    write(4 * 10, 5);
    write(PLIC_LAYOUT.ENABLE_BASE, (1 << 1) | (1 << 10));
    write(PLIC_LAYOUT.CONTEXT_BASE, 2);
    plic.line(1).set(true);
    expect(levels).toEqual([]); // priority 2 is not above threshold 2
    plic.line(10).set(true);
    expect(read(CLAIM)).toBe(10);
    write(PLIC_LAYOUT.CONTEXT_BASE, 1);
    expect(read(CLAIM)).toBe(1);
  });

  it('rejects sources outside the range it was built with', () => {
    const { plic } = setup();
    expect(() => plic.line(0)).toThrow(RangeError);
    expect(() => plic.line(96)).toThrow(RangeError);
  });
});
