import { MmioDevice } from './bus.js';

/** QEMU's sifive_test codes (hw/misc/sifive_test.c). */
export const FINISHER_FAIL = 0x3333, FINISHER_PASS = 0x5555, FINISHER_RESET = 0x7777;

export type FinisherResult = { kind: 'pass' } | { kind: 'fail'; code: number } | { kind: 'reset' };

/**
 * The `sifive,test` finisher: a 32-bit write of 0x5555 passes, (code << 16) | 0x3333 fails with `code`,
 * 0x7777 resets. Other values are ignored, as QEMU does.
 */
export class TestFinisher implements MmioDevice {
  readonly name = 'sifive,test';
  result: FinisherResult | null = null;

  read(_offset: number, len: number): Uint8Array {
    return new Uint8Array(len);
  }

  write(offset: number, data: Uint8Array): void {
    if (offset !== 0 || data.length < 4) return;
    const value = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
    const status = value & 0xffff;
    if (status === FINISHER_PASS) this.result = { kind: 'pass' };
    else if (status === FINISHER_FAIL) this.result = { kind: 'fail', code: value >>> 16 };
    else if (status === FINISHER_RESET) this.result = { kind: 'reset' };
  }
}
