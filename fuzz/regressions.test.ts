/** What the fuzz campaign found, kept as tests: each input here once broke something. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runElf } from '../client-sdk/index.js';
import { parseClientMessage, MessageError } from '../server/channel/validate.js';
import { decodeRecord } from '../sim/journal/codec.js';
import { packr } from '../sim/journal/format.js';

const HELLO = readFileSync(join(import.meta.dirname, '..', 'guests', 'build', 'hello.elf'));

describe('fuzz findings', () => {
  it('an ELF whose entry is odd runs from the even address below it (the engine threw a wasm RuntimeError)', () => {
    const image = Uint8Array.from(HELLO);
    const v = new DataView(image.buffer);
    v.setBigUint64(24, v.getBigUint64(24, true) | 1n, true);
    const odd = runElf(image, { maxInsns: 1_000_000 });
    expect(odd.console).toBe(runElf(HELLO).console);
  });

  it('an odd pc is refused where it could come in: a set-pc request, a set-pc input in a journal', () => {
    expect(() => parseClientMessage({ type: 'req', id: 1, op: 'set-pc', value: 0x8020_0001 })).toThrow(MessageError);
    expect(() => decodeRecord(Uint8Array.from([0, ...packr.pack({ t: 'input', icount: 0, input: { kind: 'set-pc', value: 0x8020_0001n } })]))).toThrow(/must be even/);
  });
});
