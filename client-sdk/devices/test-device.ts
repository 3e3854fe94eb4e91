import { MmioDevice } from './bus.js';

/**
 * A device for testing MMIO exits of every width: a read of N bytes at offset o returns the bytes
 * ((o + i) * 0x11 + 0x80) & 0xff for i = 0..N-1 (top bits set, so sign extension shows), and writes are recorded.
 * hindsight-specific: QEMU has nothing at its address.
 */
export class PatternTestDevice implements MmioDevice {
  readonly name = 'hindsight,test-pattern';
  readonly writes: { offset: number; data: Uint8Array }[] = [];

  read(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = ((offset + i) * 0x11 + 0x80) & 0xff;
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    this.writes.push({ offset, data: Uint8Array.from(data) });
  }
}

export const PATTERN_TEST_DEVICE_BASE = 0x1000_8000;
export const PATTERN_TEST_DEVICE_SIZE = 0x1000;
