import { describe, it, expect } from 'vitest';
import { expectSimError } from './test-helpers.js';
import { spawnSync } from 'node:child_process';
import { FDT_MAGIC, FdtTree, parseFdt } from './fdt.js';


const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Runs dtc; fails the test (never skips) when dtc is not installed. */
function dtc(args: string[], input: Uint8Array | string): { stdout: Buffer; stderr: string } {
  const r = spawnSync('dtc', args, { input });
  if (r.error !== undefined) {
    expect.fail(`dtc could not be run (${r.error.message}): install device-tree-compiler (CI installs it)`);
  }
  expect(r.status, r.stderr.toString()).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A tree that exercises every kind of property. */
function sampleTree(): FdtTree {
  const tree = new FdtTree();
  const root = tree.root;
  root.setU32('#address-cells', 2).setU32('#size-cells', 2).setString('compatible', 'acme,board');
  const intc = root.addNode('intc@1000');
  intc.phandle();
  intc.setEmpty('interrupt-controller').setU32('#interrupt-cells', 1).setU32('#address-cells', 0);
  intc.setU64s('reg', [0x1000, 0x100]);
  const dev = root.addNode('dev@2000');
  dev
    .setStrings('compatible', ['acme,dev2', 'acme,dev'])
    .setU64s('reg', [0x2000, 0x100])
    .setU64('big', 0x1234_5678_9abc_def0n)
    .setCells('interrupts-extended', [intc, 7, intc, 9])
    .setPhandleRef('interrupt-parent', intc)
    .setBytes('blob', Uint8Array.from([1, 2, 3]))
    .setU32('status-code', 0xffff_ffff)
    .setCells('list', [1, 2, 3]);
  dev.addNode('child').setString('label', 'x');
  return tree;
}

describe('FdtTree.build', () => {
  it('writes the exact bytes of a small tree (header, rsvmap, struct, strings)', () => {
    const tree = new FdtTree();
    tree.root.setU32('a', 1);
    tree.root.addNode('n@1').setEmpty('b');
    const blob = tree.build();
    const expected =
      // header: magic, totalsize 116, off_struct 56, off_strings 112, off_rsvmap 40, v17, lcv16, cpu 0,
      // size_strings 4, size_struct 56
      'd00dfeed' + '00000074' + '00000038' + '00000070' + '00000028' + '00000011' + '00000010' + '00000000' +
      '00000004' + '00000038' +
      '0000000000000000' + '0000000000000000' + // rsvmap terminator
      '00000001' + '00000000' + // BEGIN_NODE ""
      '00000003' + '00000004' + '00000000' + '00000001' + // PROP a = <1>
      '00000001' + '6e403100' + // BEGIN_NODE "n@1"
      '00000003' + '00000000' + '00000002' + // PROP b (empty)
      '00000002' + '00000002' + '00000009' + // END_NODE END_NODE END
      '61006200'; // "a\0b\0"
    expect(hex(blob)).toBe(expected);
  });

  it('is deterministic and puts each property name in the strings block once', () => {
    const a = sampleTree().build();
    const b = sampleTree().build();
    expect(hex(a)).toBe(hex(b));
    const view = new DataView(a.buffer);
    const strings = Buffer.from(a.subarray(view.getUint32(12), view.getUint32(12) + view.getUint32(32))).toString('latin1');
    const names = strings.split('\0').filter((s) => s !== '');
    expect(new Set(names).size).toBe(names.length);
    expect(strings.startsWith('#address-cells\0#size-cells\0compatible\0phandle\0')).toBe(true);
    // "#interrupt-cells" is new; "cells" alone would have shared the tail of "#address-cells".
    expect(names).toContain('#interrupt-cells');
  });

  it('writes memory reservations and boot_cpuid_phys', () => {
    const tree = new FdtTree();
    tree.bootCpuidPhys = 3;
    tree.reserve(0x8000_0000, 0x20_0000).reserve(0x1_0000_0000n, 0x1000);
    const fdt = parseFdt(tree.build());
    expect(fdt.bootCpuidPhys).toBe(3);
    expect(fdt.reservations).toEqual([
      { address: 0x8000_0000n, size: 0x20_0000n },
      { address: 0x1_0000_0000n, size: 0x1000n },
    ]);
  });

  it('rejects bad names, duplicates and out-of-range values with coded errors', () => {
    const root = new FdtTree().root;
    expectSimError(() => root.addNode(''), 'FDT_BAD_NODE');
    expectSimError(() => root.addNode('has space'), 'FDT_BAD_NODE', /"has space"/);
    expectSimError(() => root.addNode('a'.repeat(32)), 'FDT_BAD_NODE');
    root.addNode('uart@10');
    expectSimError(() => root.addNode('uart@10'), 'FDT_BAD_NODE', /already has a child named uart@10/);
    expectSimError(() => root.setU32('bad name', 1), 'FDT_BAD_PROPERTY');
    expectSimError(() => root.setU32('x', -1), 'FDT_BAD_PROPERTY', /not a u32/);
    expectSimError(() => root.setU32('x', 2 ** 32), 'FDT_BAD_PROPERTY', /not a u32/);
    expectSimError(() => root.setU32('x', 1.5), 'FDT_BAD_PROPERTY', /not a u32/);
    expectSimError(() => root.setU64('x', -1), 'FDT_BAD_PROPERTY');
    expectSimError(() => root.setU64('x', 2n ** 64n), 'FDT_BAD_PROPERTY', /not a u64/);
    expectSimError(() => root.setString('x', 'a\0b'), 'FDT_BAD_PROPERTY', /contains NUL/);
    root.setU32('once', 1);
    expectSimError(() => root.setU32('once', 2), 'FDT_BAD_PROPERTY', /already set/);
  });
});

describe('parseFdt', () => {
  it('reads back every property kind, phandles and paths', () => {
    const fdt = parseFdt(sampleTree().build());
    expect(fdt.version).toBe(17);
    expect(fdt.lastCompVersion).toBe(16);
    expect(fdt.reservations).toEqual([]);
    const root = fdt.root;
    expect(root.path).toBe('/');
    expect(root.u32('#address-cells')).toBe(2);
    expect(root.string('compatible')).toBe('acme,board');
    const intc = root.find('/intc@1000')!;
    expect(intc.u32('phandle')).toBe(1);
    expect(intc.has('interrupt-controller')).toBe(true);
    expect(intc.bytes('interrupt-controller')!.length).toBe(0);
    const dev = root.find('dev@2000')!;
    expect(dev.strings('compatible')).toEqual(['acme,dev2', 'acme,dev']);
    expect(dev.u64s('reg')).toEqual([0x2000n, 0x100n]);
    expect(dev.u32s('reg')).toEqual([0, 0x2000, 0, 0x100]);
    expect(dev.u64('big')).toBe(0x1234_5678_9abc_def0n);
    expect(dev.u32s('interrupts-extended')).toEqual([1, 7, 1, 9]);
    expect(dev.u32('interrupt-parent')).toBe(1);
    expect(Array.from(dev.bytes('blob')!)).toEqual([1, 2, 3]);
    expect(dev.u32('status-code')).toBe(0xffff_ffff);
    expect(dev.u32s('list')).toEqual([1, 2, 3]);
    expect(dev.u32('missing')).toBeUndefined();
    expect(root.find('dev@2000/child')!.path).toBe('/dev@2000/child');
    expect(root.find('/dev@2000/child')!.string('label')).toBe('x');
    expect(root.find('/nope')).toBeUndefined();
    expect(fdt.byPhandle(1)).toBe(intc);
    // Property order is insertion order.
    expect([...dev.properties.keys()]).toEqual([
      'compatible',
      'reg',
      'big',
      'interrupts-extended',
      'interrupt-parent',
      'blob',
      'status-code',
      'list',
    ]);
  });

  it('numbers phandles in the order they are first asked for', () => {
    const tree = new FdtTree();
    const a = tree.root.addNode('a');
    const b = tree.root.addNode('b');
    tree.root.addNode('user').setCells('refs', [b, a, b]);
    expect(b.phandle()).toBe(1);
    expect(a.phandle()).toBe(2);
    const fdt = parseFdt(tree.build());
    expect(fdt.root.find('user')!.u32s('refs')).toEqual([1, 2, 1]);
    expect(fdt.byPhandle(2)!.name).toBe('a');
  });

  it('rejects malformed blobs with FDT_BAD_BLOB', () => {
    const good = sampleTree().build();
    expectSimError(() => parseFdt(good.subarray(0, 20)), 'FDT_BAD_BLOB', /smaller than the 40-byte header/);
    const badMagic = good.slice();
    badMagic[0] = 0;
    expectSimError(() => parseFdt(badMagic), 'FDT_BAD_BLOB', /magic/);
    expectSimError(() => parseFdt(good.subarray(0, good.length - 4)), 'FDT_BAD_BLOB', /totalsize/);
    const badToken = good.slice();
    const view = new DataView(badToken.buffer);
    view.setUint32(view.getUint32(8), 0x77); // first struct token
    expectSimError(() => parseFdt(badToken), 'FDT_BAD_BLOB', /expected FDT_BEGIN_NODE/);
    const oldVersion = good.slice();
    new DataView(oldVersion.buffer).setUint32(20, 15);
    expectSimError(() => parseFdt(oldVersion), 'FDT_BAD_BLOB', /version 15/);
    expect(new DataView(good.buffer).getUint32(0)).toBe(FDT_MAGIC);
  });
});

describe('agreement with dtc (device-tree-compiler)', () => {
  it('dtc decompiles our blob without warnings, and recompiling it gives the same bytes', () => {
    const blob = sampleTree().build();
    const dts = dtc(['-I', 'dtb', '-O', 'dts'], blob);
    expect(dts.stderr).toBe('');
    const text = dts.stdout.toString();
    expect(text).toContain('compatible = "acme,dev2\\0acme,dev";');
    expect(text).toContain('interrupts-extended = <0x01 0x07 0x01 0x09>;');
    expect(text).toContain('big = <0x12345678 0x9abcdef0>;');
    const again = dtc(['-I', 'dts', '-O', 'dtb'], dts.stdout);
    expect(hex(new Uint8Array(again.stdout))).toBe(hex(blob));
  });

  it('shares string tails the way dtc does, so the bytes still match', () => {
    const tree = new FdtTree();
    tree.root.setU32('#size-cells', 1).setU32('size-cells', 2).setU32('cells', 3);
    tree.reserve(0x8000_0000, 0x1000);
    const blob = tree.build();
    const view = new DataView(blob.buffer);
    expect(view.getUint32(32)).toBe('#size-cells\0'.length); // size_dt_strings: one string serves all three
    const dts = dtc(['-I', 'dtb', '-O', 'dts'], blob);
    expect(dts.stderr).toBe('');
    expect(dts.stdout.toString()).toMatch(/\/memreserve\/\s+0x0*80000000 0x0*1000;/);
    const again = dtc(['-I', 'dts', '-O', 'dtb'], dts.stdout);
    expect(hex(new Uint8Array(again.stdout))).toBe(hex(blob));
  });

  it('parses a blob compiled by dtc, with a /memreserve/ and a phandle made from a label', () => {
    const source = `/dts-v1/;
/memreserve/ 0x80000000 0x10000;
/ {
  #address-cells = <1>;
  #size-cells = <1>;
  pic: pic@0 { interrupt-controller; #interrupt-cells = <1>; reg = <0 0x100>; };
  uart@100 { compatible = "ns16550a"; reg = <0x100 0x8>; interrupt-parent = <&pic>; interrupts = <3>; };
};
`;
    const out = dtc(['-I', 'dts', '-O', 'dtb'], source);
    const fdt = parseFdt(new Uint8Array(out.stdout));
    expect(fdt.reservations).toEqual([{ address: 0x8000_0000n, size: 0x10000n }]);
    const uart = fdt.root.find('uart@100')!;
    expect(uart.string('compatible')).toBe('ns16550a');
    expect(uart.u32s('reg')).toEqual([0x100, 8]);
    expect(fdt.byPhandle(uart.u32('interrupt-parent')!)!.name).toBe('pic@0');
  });
});
