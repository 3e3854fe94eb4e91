import { describe, expect, it } from 'vitest';
import { SbiConsole, SBI_EXT_DBCN, SBI_LEGACY_GETCHAR, SBI_LEGACY_PUTCHAR } from './sbi-console.js';

function setup(input: number[] = []) {
  const out: number[] = [];
  const mem = new Uint8Array(64);
  const BASE = 0x8000_0000;
  const console = new SbiConsole(
    { write: (b) => out.push(...b), readByte: () => (input.length ? input.shift()! : -1) },
    {
      readPhys: (a, n) => (a >= BASE && a + n <= BASE + mem.length ? mem.slice(a - BASE, a - BASE + n) : null),
      writePhys: (a, d) => {
        if (a < BASE || a + d.length > BASE + mem.length) return false;
        mem.set(d, a - BASE);
        return true;
      },
    },
  );
  return { console, out, mem, BASE: BigInt(BASE) };
}

describe('SbiConsole', () => {
  it('legacy putchar writes a byte; getchar returns the next input byte or -1', () => {
    const { console, out } = setup([0x61]);
    expect(console.call(SBI_LEGACY_PUTCHAR, 0, [0x141n])).toEqual([0n, 0n]);
    expect(out).toEqual([0x41]);
    expect(console.call(SBI_LEGACY_GETCHAR, 0, [])).toEqual([0x61n, 0n]);
    expect(console.call(SBI_LEGACY_GETCHAR, 0, [])).toEqual([-1n, 0n]);
  });

  it('DBCN write reads guest-physical memory (base_lo + base_hi << 32) and returns the count', () => {
    const { console, out, mem, BASE } = setup();
    mem.set([104, 105], 8);
    expect(console.call(SBI_EXT_DBCN, 0, [2n, BASE + 8n, 0n])).toEqual([0n, 2n]);
    expect(String.fromCharCode(...out)).toBe('hi');
  });

  it('DBCN read stores what input there is into guest memory and returns how many bytes', () => {
    const { console, mem, BASE } = setup([1, 2, 3]);
    expect(console.call(SBI_EXT_DBCN, 1, [8n, BASE + 4n, 0n])).toEqual([0n, 3n]);
    expect([...mem.slice(4, 8)]).toEqual([1, 2, 3, 0]);
  });

  it('DBCN checks addresses: outside RAM is SBI_ERR_INVALID_PARAM; unknown functions are not supported', () => {
    const { console, BASE } = setup();
    expect(console.call(SBI_EXT_DBCN, 0, [4n, 0x1000n, 0n])).toEqual([-3n, 0n]);
    expect(console.call(SBI_EXT_DBCN, 0, [100n, BASE, 0n])).toEqual([-3n, 0n]);
    expect(console.call(SBI_EXT_DBCN, 1, [1n, BASE, 1n])).toEqual([-3n, 0n]); // base_hi puts it above 4 GiB
    expect(console.call(SBI_EXT_DBCN, 9, [])).toEqual([-2n, 0n]);
  });
});
