import { describe, expect, it } from 'vitest';
import { doubleText, fflagsText, FP_ABI_NAMES, fpValue, frmText, isNanBoxed, singleText } from './fp-value.js';

describe('F/D register values for people', () => {
  it('names f0..f31 as objdump does: ft0-7, fs0-1, fa0-7, fs2-11, ft8-11', () => {
    expect(FP_ABI_NAMES).toHaveLength(32);
    expect([FP_ABI_NAMES[0], FP_ABI_NAMES[8], FP_ABI_NAMES[10], FP_ABI_NAMES[17], FP_ABI_NAMES[18], FP_ABI_NAMES[27], FP_ABI_NAMES[28], FP_ABI_NAMES[31]])
      .toEqual(['ft0', 'fs0', 'fa0', 'fa7', 'fs2', 'fs11', 'ft8', 'ft11']);
  });

  it('reads a NaN-boxed pattern as the single it boxes and anything else as a double', () => {
    expect(isNanBoxed(0xffff_ffff_3fc0_0000n)).toBe(true);
    expect(isNanBoxed(0xffff_fffe_3fc0_0000n)).toBe(false);
    expect(fpValue(0xffff_ffff_3fc0_0000n)).toBe('float 1.5');
    // Almost boxed: a double NaN whose payload holds the rest.
    expect(fpValue(0xffff_fffe_3fc0_0000n)).toBe('double -nan(0xffffe3fc00000)');
    expect(fpValue(0x3fc0_0000n)).toBe('double 5.28426686e-315');
  });

  it('prints the shortest decimal that reads back to the same bits, signed zeros kept', () => {
    expect(doubleText(0x3fb9_9999_9999_999an)).toBe('0.1');
    expect(doubleText(0x3fe0_0000_0000_0001n)).toBe('0.5000000000000001');
    expect(doubleText(0x8000_0000_0000_0000n)).toBe('-0');
    expect(doubleText(1n)).toBe('5e-324');
    expect(singleText(0x3dcc_cccd)).toBe('0.1');
    expect(singleText(0xc049_0fdb)).toBe('-3.1415927');
    expect(singleText(0x8000_0000)).toBe('-0');
    expect(singleText(1)).toBe('1e-45');
    expect(singleText(0x7f7f_ffff)).toBe('3.4028235e+38');
  });

  it('shows infinities and NaNs with their sign and payload', () => {
    expect(doubleText(0xfff0_0000_0000_0000n)).toBe('-inf');
    expect(doubleText(0x7ff8_0000_0000_0000n)).toBe('nan(0x8000000000000)');
    expect(doubleText(0x7ff0_0000_0000_0001n)).toBe('nan(0x1)');
    expect(singleText(0xff80_0000)).toBe('-inf');
    expect(singleText(0x7fa0_0123)).toBe('nan(0x200123)');
  });

  it('spells fflags as gdb does and frm by name', () => {
    expect(fflagsText(0x09)).toBe('NV:0 DZ:1 OF:0 UF:0 NX:1');
    expect(fflagsText(0x10)).toBe('NV:1 DZ:0 OF:0 UF:0 NX:0');
    expect(frmText(0)).toBe('RNE (round to nearest, ties to even)');
    expect(frmText(4)).toBe('RMM (round to nearest, ties to max magnitude)');
    expect(frmText(5)).toBe('invalid (5)');
  });
});
