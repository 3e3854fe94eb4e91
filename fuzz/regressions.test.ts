/** What the fuzz campaign found, kept as tests: each input here once broke something. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMessage, RemoteVmm, runElf, type ProtocolError } from '../client-sdk/index.js';
import { parseClientMessage, MessageError } from '../server/channel/validate.js';
import { useTestServer } from '../server/test-helpers.js';
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

describe('fuzz findings on a running server', () => {
  const server = useTestServer();

  it('an error frame stays short whatever it quotes (a 70,000-character field name made one the SDK refused)', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const conn = await server().client.connect(vm, 'controller');
    const codes: string[] = [];
    for (const bad of [{ ['f'.repeat(70_000)]: 1 }, { id: 'v'.repeat(70_000) }]) {
      const err = new Promise<ProtocolError>((resolve) => conn.once('error', resolve));
      conn.sendRaw(encodeMessage({ type: 'req', op: 'status', ...(bad.id === undefined ? { id: 1 } : {}), ...bad } as never));
      const e = await err;
      codes.push(e.code);
      expect(e.message.length).toBeLessThanOrEqual('BAD_REQUEST: '.length + 1001);
    }
    expect(codes).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    // The SDK took those errors as the protocol's: the channel is still open and answers.
    expect(conn.closed).toBeNull();
    await expect(conn.request({ op: 'status' })).resolves.toMatchObject({ state: 'created', icount: 0 });
    await conn.close();
    await server().client.deleteVm(vm.id);
  }, 15_000);

  it('time travel\'s refusals go out under their protocol code alone (NO_SUCH_EXIT said "TT_NO_SUCH_EXIT: ...")', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const vmm = new RemoteVmm(await server().client.connect(vm, 'controller'));
    await vmm.run();
    await vmm.ended;
    const replay = await server().client.startReplay(vm.recording!);
    const conn = await server().client.connect(replay, 'controller');
    const refusals = await Promise.all([
      conn.request({ op: 'seek', exit: 1_000_000 }).then(() => null, (e: ProtocolError) => e),
      conn.request({ op: 'write-mem', addr: 0x8020_0000, data: Uint8Array.of(0x13, 0, 0, 0) }).then(() => null, (e: ProtocolError) => e),
    ]);
    expect(refusals.map((e) => e?.code)).toEqual(['NO_SUCH_EXIT', 'NOT_SUPPORTED']);
    for (const e of refusals) expect(e!.message).not.toMatch(/TT_[A-Z_]+:/);
    await conn.close();
  }, 30_000);
});
