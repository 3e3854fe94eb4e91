/**
 * The MMIO bus on the userspace side: it owns addresses, devices only see offsets (as in Firecracker's bus).
 * Registering a device over a range that another already covers is an error, never a silent shadow.
 */
export interface MmioDevice {
  readonly name: string;
  /** Reads `len` bytes at `offset` from the device's base (little-endian in the returned bytes). */
  read(offset: number, len: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
}

interface Mapping { base: number; size: number; device: MmioDevice }

export class MmioBus {
  private readonly mappings: Mapping[] = [];

  register(base: number, size: number, device: MmioDevice): void {
    for (const m of this.mappings) {
      if (base < m.base + m.size && m.base < base + size) {
        throw new Error(`BUS_OVERLAP: ${device.name} at 0x${base.toString(16)}+0x${size.toString(16)} overlaps ${m.device.name}`);
      }
    }
    this.mappings.push({ base, size, device });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  find(addr: number, len: number): { device: MmioDevice; offset: number } | null {
    for (const m of this.mappings) {
      if (addr >= m.base && addr + len <= m.base + m.size) return { device: m.device, offset: addr - m.base };
    }
    return null;
  }
}

export function bytesToNumber(data: Uint8Array): number {
  let v = 0;
  for (let i = Math.min(data.length, 6) - 1; i >= 0; i--) v = v * 256 + data[i];
  return v;
}

export function numberToBytes(value: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let v = value;
  for (let i = 0; i < len; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}
