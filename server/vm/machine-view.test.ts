import { describe, expect, it } from 'vitest';
import { registersSchema } from '../../client-sdk/protocol-schema.js';
import { Machine } from '../../sim/index.js';
import { guestImage } from '../test-helpers.js';
import { checkFpu, registersOf } from './machine-view.js';

describe('registersOf: the get-regs reply', () => {
  it('on a machine with F/D holds f0..f31 as raw bits and fcsr, and passes the SDK\'s schema unchanged', () => {
    const m = new Machine(guestImage('hello'));
    m.hart.setFreg(10, 0xffff_ffff_3fc0_0000n);
    m.hart.setFreg(31, 0x7ff4_0000_0000_0abcn);
    m.hart.csr.fcsr = 0x69;
    const regs = registersOf(m);
    expect(regs.f).toHaveLength(32);
    expect(regs.f![10]).toBe(0xffff_ffff_3fc0_0000n);
    expect(regs.f![31]).toBe(0x7ff4_0000_0000_0abcn);
    expect(regs.fcsr).toBe(0x69);
    expect(registersSchema.parse(regs)).toEqual(regs);
    expect(() => checkFpu(m)).not.toThrow();
  });

  it('on a machine without F/D (rv64imac) has neither, and refuses F/D writes with NOT_SUPPORTED', () => {
    const m = new Machine(guestImage('hello'), { isa: 'rv64imac_zicsr_zifencei_zicntr' });
    const regs = registersOf(m);
    expect('f' in regs).toBe(false);
    expect('fcsr' in regs).toBe(false);
    expect(registersSchema.parse(regs)).toEqual(regs);
    expect(() => checkFpu(m)).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED' }));
  });

  it('the schema takes f and fcsr together or not at all, 32 registers of 64 bits and an 8-bit fcsr', () => {
    const regs = registersOf(new Machine(guestImage('hello')));
    const { fcsr: _fcsr, ...noFcsr } = regs;
    expect(() => registersSchema.parse(noFcsr)).toThrow(/'f' and 'fcsr' come together/);
    expect(() => registersSchema.parse({ ...regs, f: regs.f!.slice(1) })).toThrow(/f/);
    expect(() => registersSchema.parse({ ...regs, f: [...regs.f!.slice(1), 1n << 64n] })).toThrow(/64 bits/);
    expect(() => registersSchema.parse({ ...regs, fcsr: 0x100 })).toThrow(/fcsr/);
  });
});
