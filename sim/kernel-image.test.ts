import { describe, expect, it } from 'vitest';
import { parseFdt } from './fdt.js';
import { isLinuxImage, parseLinuxImage } from './kernel-image.js';
import { KERNEL_LOAD_ADDR, RAM_BASE } from './layout.js';
import { initrdAddress, Machine } from './machine.js';
import { expectSimError } from './test-helpers.js';

/** A synthetic Image: the header Linux's head.S writes, then `body`. */
function image(opts: { textOffset?: number; imageSize?: number; flags?: number; body?: number[] } = {}): Uint8Array {
  const body = opts.body ?? [];
  const bytes = new Uint8Array(64 + body.length);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0x0400006f, true); // j 0x40: jump over the header
  v.setBigUint64(0x08, BigInt(opts.textOffset ?? 0x20_0000), true);
  v.setBigUint64(0x10, BigInt(opts.imageSize ?? 0x10_0000), true);
  v.setBigUint64(0x18, BigInt(opts.flags ?? 0), true);
  v.setUint32(0x20, 2, true); // version 0.2
  bytes.set(new TextEncoder().encode('RISCV\0\0\0'), 0x30);
  bytes.set(new TextEncoder().encode('RSC\x05'), 0x38);
  bytes.set(body, 64);
  return bytes;
}

describe('Linux Image header', () => {
  it('reads text_offset, image_size and the version', () => {
    const h = parseLinuxImage(image({ textOffset: 0x20_0000, imageSize: 0x123_4000 }));
    expect(h).toEqual({ textOffset: 0x20_0000, imageSize: 0x123_4000, version: { major: 0, minor: 2 } });
  });

  it('tells an Image from an ELF and from garbage', () => {
    expect(isLinuxImage(image())).toBe(true);
    expect(isLinuxImage(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, ...new Array(60).fill(0)]))).toBe(false);
    expect(isLinuxImage(new Uint8Array(10))).toBe(false);
  });

  it('refuses bad headers with IMAGE_BAD_HEADER, naming the field', () => {
    expectSimError(() => parseLinuxImage(new Uint8Array(64)), 'IMAGE_BAD_HEADER', /magic/);
    expectSimError(() => parseLinuxImage(image({ flags: 1 })), 'IMAGE_BAD_HEADER', /big-endian/);
    expectSimError(() => parseLinuxImage(image({ textOffset: 0x20_0010 })), 'IMAGE_BAD_HEADER', /text_offset/);
    expectSimError(() => parseLinuxImage(image({ imageSize: 8, body: [1, 2, 3] })), 'IMAGE_BAD_HEADER', /image_size/);
  });
});

describe('Machine booting an Image', () => {
  it('loads it at RAM + text_offset and enters its first byte with a0 = hart 0, a1 = the device tree', () => {
    const m = new Machine(image({ body: [0xaa, 0xbb] }), { ramSize: 64 << 20 });
    expect(m.entry).toBe(KERNEL_LOAD_ADDR);
    expect(m.hart.pc).toBe(BigInt(KERNEL_LOAD_ADDR));
    expect(m.ram.u8[KERNEL_LOAD_ADDR - RAM_BASE + 64]).toBe(0xaa);
    expect(m.hart.getReg(10)).toBe(0n);
    expect(m.hart.getReg(11)).toBe(BigInt(m.dtbAddress));
  });

  it('places the initrd as QEMU does and names it in /chosen', () => {
    const initrd = Uint8Array.from([0x30, 0x37, 0x30, 0x37, 0x30, 0x31]);
    for (const ramSize of [64 << 20, 512 << 20]) {
      const m = new Machine(image(), { ramSize, initrd, bootargs: 'console=ttyS0' });
      const start = initrdAddress(ramSize);
      expect(start).toBe(RAM_BASE + Math.min(ramSize / 2, 128 << 20));
      const chosen = parseFdt(m.dtb).root.find('chosen')!;
      expect(chosen.u64('linux,initrd-start')).toBe(BigInt(start));
      expect(chosen.u64('linux,initrd-end')).toBe(BigInt(start + initrd.length));
      expect(chosen.string('bootargs')).toBe('console=ttyS0');
      expect(Array.from(m.ram.u8.subarray(start - RAM_BASE, start - RAM_BASE + initrd.length))).toEqual(Array.from(initrd));
    }
  });

  it('names both formats when an image is neither an ELF nor an Image', () => {
    expectSimError(() => new Machine(new Uint8Array(100).fill(0x41)), 'ELF_BAD_MAGIC', /nor is it a RISC-V Linux Image/);
    expectSimError(() => new Machine(Uint8Array.of(1, 2, 3)), 'ELF_TOO_SHORT', /nor is it a RISC-V Linux Image/);
  });

  it('refuses a kernel too big for RAM, or one that would overlap the initrd', () => {
    expectSimError(() => new Machine(image({ imageSize: 80 << 20 }), { ramSize: 64 << 20 }), 'IMAGE_TOO_LARGE');
    expectSimError(() => new Machine(image({ imageSize: 40 << 20 }), { ramSize: 64 << 20, initrd: new Uint8Array(16) }), 'INITRD_TOO_LARGE', /kernel ends/);
    expectSimError(() => new Machine(image(), { ramSize: 64 << 20, initrd: new Uint8Array(33 << 20) }), 'INITRD_TOO_LARGE', /device tree/);
  });
});
