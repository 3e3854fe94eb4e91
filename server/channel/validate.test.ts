import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../client-sdk/protocol.js';
import { MessageError, parseClientMessage } from './validate.js';

const code = (value: unknown): string => {
  try {
    parseClientMessage(value);
  } catch (e) {
    if (e instanceof MessageError) return e.code;
    throw e;
  }
  return 'OK';
};

describe('client message validation', () => {
  it('accepts every well-formed message, through a msgpack round trip', () => {
    const messages = [
      { type: 'hello', protocol: 1, role: 'observer', token: 't' },
      { type: 'req', id: 1, op: 'breakpoint', pc: 0x8020_0000n, add: true },
      { type: 'req', id: 2, op: 'watchpoint', addr: 0xffff_ffc0_0000_1000n, len: 8, read: false, write: true, add: true },
      { type: 'req', id: 3, op: 'write-mem', addr: 0x8000_0000, data: Uint8Array.of(1, 2, 3) },
      { type: 'req', id: 4, op: 'stop', reason: 'finisher', exitCode: 3 },
      { type: 'answer', answer: { seq: 9, reason: 'MMIO', data: Uint8Array.of(1, 2, 3, 4) } },
      { type: 'answer', answer: { seq: 9, reason: 'RISCV_SBI', ret: [-2n, 0n] } },
      { type: 'answer', answer: { seq: 9, reason: 'DEBUG', action: 'inject' } },
    ];
    for (const m of messages) {
      const parsed = parseClientMessage(decodeMessage(encodeMessage(m as never)));
      expect(parsed.type).toBe(m.type);
    }
  });

  it('64-bit values arrive as plain integers from other languages and come out as unsigned bigints', () => {
    expect(parseClientMessage({ type: 'req', id: 1, op: 'set-reg', reg: 5, value: -1 })).toMatchObject({ value: (1n << 64n) - 1n });
    expect(parseClientMessage({ type: 'req', id: 1, op: 'set-pc', value: 0x8020_0000 })).toMatchObject({ value: 0x8020_0000n });
    expect(parseClientMessage({ type: 'req', id: 1, op: 'set-freg', reg: 31, value: -1 })).toMatchObject({ reg: 31, value: (1n << 64n) - 1n });
    expect(parseClientMessage({ type: 'answer', answer: { seq: 0, reason: 'RISCV_SBI', ret: [0, 7] } })).toMatchObject({ answer: { ret: [0n, 7n] } });
  });

  it('names what is wrong with a stable code', () => {
    expect(code([1, 2, 3])).toBe('BAD_FRAME');
    expect(code('hello')).toBe('BAD_FRAME');
    expect(code(Uint8Array.of(1))).toBe('BAD_FRAME');
    expect(code({ type: 'nope' })).toBe('UNKNOWN_TYPE');
    expect(code({ type: 'hello', protocol: 1, role: 'admin', token: 't' })).toBe('BAD_HELLO');
    expect(code({ type: 'hello', protocol: 1, role: 'controller' })).toBe('BAD_HELLO');
    expect(code({ type: 'req', op: 'run' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1.5, op: 'run' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'format-disk' })).toBe('UNKNOWN_OP');
    expect(code({ type: 'req', id: 1, op: 'set-reg', reg: 32, value: 1 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'set-reg', reg: 3, value: 1n << 64n })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'set-freg', reg: 32, value: 1 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'set-fcsr', value: 0x100 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'read-mem', addr: 0, len: (1 << 20) + 1 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'watchpoint', addr: 0, len: 0, read: true, write: true, add: true })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'write-mem', addr: 0, data: 'text' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'irq', level: 1 })).toBe('BAD_REQUEST');
    expect(code({ type: 'answer', answer: { seq: 1, reason: 'INTR' } })).toBe('BAD_ANSWER');
    expect(code({ type: 'answer', answer: { seq: 1, reason: 'DEBUG', action: 'explode' } })).toBe('BAD_REQUEST');
    expect(code({ type: 'answer', answer: { seq: -1, reason: 'MMIO' } })).toBe('BAD_REQUEST');
    expect(code({ type: 'answer', answer: { seq: 1, reason: 'RISCV_SBI', ret: [0] } })).toBe('BAD_REQUEST');
  });

  it('time-travel requests: a seek names one target, a timeline filter is typed field by field', () => {
    expect(parseClientMessage({ type: 'req', id: 1, op: 'seek', exit: 12 })).toEqual({ type: 'req', id: 1, op: 'seek', exit: 12 });
    expect(parseClientMessage({ type: 'req', id: 1, op: 'seek', icount: 0 })).toEqual({ type: 'req', id: 1, op: 'seek', icount: 0 });
    for (const op of ['continue', 'reverse-step', 'reverse-continue', 'checkpoints', 'present']) {
      expect(parseClientMessage({ type: 'req', id: 7, op })).toEqual({ type: 'req', id: 7, op });
      // A field the op does not have is a mistake (a misspelt filter would otherwise be ignored in silence).
      expect(code({ type: 'req', id: 7, op, stray: 1 })).toBe('BAD_REQUEST');
    }
    const full = parseClientMessage(decodeMessage(encodeMessage({
      type: 'req', id: 2, op: 'timeline', reason: 'MMIO', pc: 0x8020_0000n, address: 0x1000_0000n, len: 8, fromSeq: 3, toSeq: 90, limit: 5, last: true,
    })));
    expect(full).toEqual({
      type: 'req', id: 2, op: 'timeline', reason: 'MMIO', pc: 0x8020_0000n, address: 0x1000_0000n, len: 8, fromSeq: 3, toSeq: 90, limit: 5, last: true,
    });
    // Absent and nil fields are left out, so the filter matches everything.
    expect(parseClientMessage({ type: 'req', id: 3, op: 'timeline', reason: null })).toEqual({ type: 'req', id: 3, op: 'timeline' });
    // A 64-bit pc from another language arrives as a plain integer.
    expect(parseClientMessage({ type: 'req', id: 3, op: 'timeline', pc: 0x8020_0000 })).toMatchObject({ pc: 0x8020_0000n });
  });

  it('time-travel requests: what is wrong has a stable code', () => {
    expect(code({ type: 'req', id: 1, op: 'seek' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'seek', exit: 1, icount: 2 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'seek', exit: -1 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'seek', icount: 1.5 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'seek', exit: '3' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', reason: 6 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', pc: 'main' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', len: 4 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', address: 0, len: 0 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', limit: 10_001 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', fromSeq: -2 })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'timeline', last: 'yes' })).toBe('BAD_REQUEST');
    expect(code({ type: 'req', id: 1, op: 'rewind' })).toBe('UNKNOWN_OP');
  });

  it('says which field is wrong, and echoes the id of a request and the seq of an answer', () => {
    const error = (value: unknown): MessageError => {
      try {
        parseClientMessage(value);
      } catch (e) {
        if (e instanceof MessageError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    expect(error({ type: 'req', id: 4, op: 'set-reg', reg: 40, value: 1 })).toMatchObject({ id: 4, message: "'reg' must be an integer in [0, 31]" });
    expect(error({ type: 'req', id: 4, op: 'timeline', fromSeq: 1, formSeq: 2 })).toMatchObject({ id: 4, message: expect.stringContaining('"formSeq"') });
    expect(error({ type: 'answer', answer: { seq: 12, reason: 'RISCV_SBI', ret: [0n, 'x'] } })).toMatchObject({ seq: 12, code: 'BAD_REQUEST', message: "'answer.ret[1]' must be an integer" });
    expect(error({ type: 'answer', answer: { seq: 12, reason: 'MMIO', data: new Uint8Array(9) } })).toMatchObject({ seq: 12, message: "'answer.data' must hold 1..8 bytes" });
    expect(error({ type: 'hello', protocol: 1, role: 'controller', token: 't', extra: 1 })).toMatchObject({ code: 'BAD_HELLO' });
    // A stop's reason and exit code have defaults.
    expect(parseClientMessage({ type: 'req', id: 1, op: 'stop' })).toEqual({ type: 'req', id: 1, op: 'stop', reason: 'stopped', exitCode: 0 });
  });
});
