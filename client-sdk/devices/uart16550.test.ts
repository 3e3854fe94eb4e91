import { describe, expect, it } from 'vitest';
import { Uart16550 } from './uart16550.js';

function setup() {
  const out: number[] = [];
  const levels: boolean[] = [];
  const uart = new Uart16550((b) => out.push(...b), { set: (l) => levels.push(l) });
  const rd = (reg: number) => uart.read(reg, 1)[0];
  const wr = (reg: number, v: number) => uart.write(reg, Uint8Array.of(v));
  return { uart, out, levels, rd, wr };
}

describe('Uart16550', () => {
  it('transmits THR writes and always reports the transmitter empty', () => {
    const { out, rd, wr } = setup();
    wr(0, 0x41);
    wr(0, 0x0a);
    expect(out).toEqual([0x41, 0x0a]);
    expect(rd(5) & 0x60).toBe(0x60); // LSR: THRE | TEMT
  });

  it('receives bytes in order, with LSR.DR while any are left', () => {
    const { uart, rd } = setup();
    uart.receive(Uint8Array.of(1, 2));
    expect(rd(5) & 1).toBe(1);
    expect(rd(0)).toBe(1);
    expect(rd(0)).toBe(2);
    expect(rd(5) & 1).toBe(0);
  });

  it('raises its line for received data only when IER enables it, and drops it when the data is read', () => {
    const { uart, levels, rd, wr } = setup();
    uart.receive(Uint8Array.of(0x33));
    expect(levels).toEqual([]);
    wr(1, 0x01); // IER: receive data available
    expect(levels).toEqual([true]);
    expect(rd(2) & 0x0f).toBe(0x04); // IIR: received data available
    expect(rd(0)).toBe(0x33);
    expect(levels).toEqual([true, false]);
    expect(rd(2) & 0x0f).toBe(0x01); // no interrupt pending
  });

  it('raises the transmit-empty interrupt when enabled, clears it on an IIR read, re-arms it on a THR write', () => {
    const { levels, rd, wr } = setup();
    wr(1, 0x02); // IER: THR empty
    expect(levels).toEqual([true]);
    expect(rd(2) & 0x0f).toBe(0x02);
    expect(levels).toEqual([true, false]);
    wr(0, 0x58);
    expect(levels).toEqual([true, false, true]);
  });

  it('keeps the divisor latch behind LCR.DLAB and the scratch register', () => {
    const { rd, wr } = setup();
    wr(3, 0x83);
    wr(0, 0x01);
    wr(1, 0x02);
    expect([rd(0), rd(1)]).toEqual([0x01, 0x02]);
    wr(3, 0x03);
    expect(rd(1)).toBe(0); // IER again
    wr(7, 0x5a);
    expect(rd(7)).toBe(0x5a);
  });

  it('loops transmitted bytes back to the receiver in loopback mode', () => {
    const { out, rd, wr } = setup();
    wr(4, 0x10);
    wr(0, 0x77);
    expect(out).toEqual([]);
    expect(rd(0)).toBe(0x77);
  });

  it('holds host input until the guest enables the receive interrupt, surviving a driver clearing its FIFO first', () => {
    const { uart, levels, rd, wr } = setup();
    uart.receive(Uint8Array.of(0x61, 0x0a));
    wr(1, 0x00); // the driver touches IER: from now on only RDI means listening
    wr(2, 0x07); // FCR: enable and clear both FIFOs, as Linux's 8250 startup does
    expect(rd(5) & 1).toBe(0); // LSR: nothing received yet
    expect(rd(0)).toBe(0); // the drain read takes nothing
    expect(uart.rxQueued).toBe(2);
    wr(1, 0x05); // IER: RLSI | RDI
    expect(levels).toEqual([true]);
    expect([rd(0), rd(0)]).toEqual([0x61, 0x0a]);
    uart.receive(Uint8Array.of(0x62)); // once listening, input goes straight in
    expect(rd(5) & 1).toBe(1);
  });

  it('lets a polled driver that never writes IER receive input as soon as it reads LSR', () => {
    const { uart, rd } = setup();
    uart.receive(Uint8Array.of(0x7a));
    expect(rd(5) & 1).toBe(1);
    expect(rd(0)).toBe(0x7a);
  });

  it('lets the SBI console take held input', () => {
    const { uart, wr } = setup();
    wr(1, 0x00);
    uart.receive(Uint8Array.of(0x31));
    expect(uart.takeByte()).toBe(0x31);
    expect(uart.takeByte()).toBe(-1);
  });
});
