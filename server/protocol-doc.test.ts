/**
 * What docs/protocol.md tells a client writer, held against a running server (finding 6 of issue 14: a client
 * written from the docs alone had to guess these). Each check reads the doc's own list and compares it with what
 * the server does, so the doc and the server cannot drift apart unnoticed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, RemoteVmm, type ProtocolError, type VmConnection } from '../client-sdk/index.js';
import type { VcpuExit } from '../sim/index.js';
import { guestImage, useTestServer } from './test-helpers.js';

const server = useTestServer();
const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'protocol.md'), 'utf8');

/** The text of the doc's section `heading` (a `##`/`###` title), up to the next heading. */
function section(heading: string): string {
  const at = DOC.search(new RegExp(`^#{2,3} ${heading}$`, 'm'));
  expect(at, `docs/protocol.md has a section "${heading}"`).toBeGreaterThanOrEqual(0);
  const rest = DOC.slice(at).split('\n').slice(1).join('\n');
  return rest.slice(0, rest.search(/^#{2,3} /m) >>> 0);
}

/** Every `quoted` word of `text`, as written. */
const quoted = (text: string): Set<string> => new Set([...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]));

function nextError(conn: VmConnection): Promise<ProtocolError> {
  return new Promise((resolve) => conn.once('error', resolve));
}

function nextExit(conn: VmConnection): Promise<VcpuExit> {
  return new Promise((resolve) => conn.once('exit', (exit) => resolve(exit)));
}

describe('docs/protocol.md, held against the server', () => {
  it('the error-code list is the SDK\'s ProtocolErrorCode, no more, no less', () => {
    const sdk = readFileSync(join(import.meta.dirname, '..', 'client-sdk', 'protocol.ts'), 'utf8');
    const union = /export type ProtocolErrorCode =([^;]*);/.exec(sdk)![1];
    const codes = new Set([...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]));
    const listed = section('Error codes').trim().split('\n\n')[0];
    expect(quoted(listed)).toEqual(codes);
  });

  it('every code a refused answer gets is among the refused-answer codes of "Answers", and carries the seq', async () => {
    const doc = quoted(section('Answers'));
    const refusals: { code: string; seq: number | undefined }[] = [];
    const refuse = async (conn: VmConnection, answer: Parameters<VmConnection['answer']>[0]) => {
      const err = nextError(conn);
      conn.answer(answer);
      const e = await err;
      refusals.push({ code: e.code, seq: e.seq });
    };

    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const conn = await server().client.connect(vm, 'controller');
    const observer = await server().client.connect(vm, 'observer');
    await refuse(conn, { seq: 0, reason: 'RISCV_SBI', ret: [0n, 0n] }); // nothing waits yet
    const first = nextExit(conn);
    await conn.request({ op: 'run' });
    const exit = await first;
    await refuse(conn, { seq: exit.seq + 3, reason: 'RISCV_SBI', ret: [0n, 0n] });
    // A well-formed answer of another kind than the exit's.
    await refuse(conn, exit.reason === 'RISCV_CSR' ? { seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] } : { seq: exit.seq, reason: 'RISCV_CSR', retValue: 0n });
    await refuse(conn, { seq: exit.seq, reason: exit.reason } as never); // its fields missing
    await refuse(observer, { seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
    await server().client.stopVm(vm.id);
    await refuse(conn, { seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
    await Promise.all([conn.close(), observer.close()]);

    const replay = await server().client.startReplay(vm.recording!);
    const rconn = await server().client.connect(replay, 'controller');
    const recorded = nextExit(rconn);
    await rconn.request({ op: 'step' });
    await rconn.request({ op: 'run' });
    await refuse(rconn, { seq: (await recorded).seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
    await rconn.close();

    expect(refusals.map((r) => r.code)).toEqual(['NO_PENDING_EXIT', 'WRONG_SEQ', 'BAD_ANSWER', 'BAD_REQUEST', 'NOT_CONTROLLER', 'VM_ENDED', 'NOT_SUPPORTED']);
    for (const { code, seq } of refusals) {
      expect(doc.has(code), `${code} is listed under Answers`).toBe(true);
      expect(seq, `${code} carries the answer's seq`).toBeTypeOf('number');
    }
  }, 30_000);

  it('a step\'s exit comes before its reply and waits for an answer; a reconnected controller\'s answer does not start the VM, run does', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const conn = await server().client.connect(vm, 'controller');
    const order: string[] = [];
    conn.on('exit', (exit) => order.push(`exit ${exit.seq}`));
    await conn.request({ op: 'step' });
    order.push('reply');
    expect(order).toEqual(['exit 0', 'reply']);
    const waiting = await server().client.getVm(vm.id);
    expect(waiting).toMatchObject({ state: 'waiting', waitingSeq: 0 });
    await conn.close();

    const again = await server().client.connect(vm, 'controller');
    const exit = again.welcome.waiting!;
    expect(exit).toMatchObject({ seq: 0, reason: 'DEBUG', why: 'single-step' });
    const state = new Promise<string>((resolve) => again.once('state', (s) => resolve(s)));
    again.answer({ seq: exit.seq, reason: 'DEBUG', action: 'resume' });
    expect(await state).toBe('paused');
    const paused = await server().client.getVm(vm.id);
    expect(paused).toMatchObject({ state: 'paused', icount: exit.icount });
    const vmm = new RemoteVmm(again);
    await vmm.run();
    expect((await vmm.ended).exitCode).toBe(0);
    await again.close();
  }, 30_000);

  it('the channel upgrade needs no server token; the create reply\'s channel is the path to join with ws://', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    expect(vm.channel).toBe(`/v1/vms/${vm.id}/channel`);
    const ws = new WebSocket(server().url.replace(/^http/, 'ws') + vm.channel); // no Authorization header
    const welcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('open', () => ws.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'observer', token: vm.token })));
      ws.once('message', (data) => resolve(decodeMessage(data as Buffer) as Record<string, unknown>));
      ws.once('error', reject);
    });
    expect(welcome).toMatchObject({ type: 'welcome', role: 'observer' });
    ws.close();
    await server().client.deleteVm(vm.id);
  });

  it('record= takes the values the HTTP table lists and no other; recording names the journal, null without one', async () => {
    const row = DOC.split('\n').find((line) => line.includes('`POST /v1/vms?'))!;
    const values = [...quoted(row.slice(row.indexOf('`record=` is')))].filter((v) => v !== 'record=');
    expect(values.sort()).toEqual(['0', '1', 'false', 'true']);
    const upload = (record: string) => fetch(`${server().url}/v1/vms?record=${record}`, {
      method: 'POST', body: guestImage('hello'),
      headers: { authorization: `Bearer ${server().token}`, 'content-type': 'application/octet-stream' },
    });
    const names = new Set<string>();
    for (const value of values) {
      const res = await upload(value);
      expect(res.status, `record=${value}`).toBe(201);
      const vm = await res.json() as { id: string; recording: string | null };
      const recorded = value === 'true' || value === '1';
      if (recorded) names.add(vm.recording!);
      else expect(vm.recording, `record=${value}`).toBeNull();
      await server().client.deleteVm(vm.id);
    }
    const listed = new Set((await server().client.listRecordings()).map((r) => r.name));
    for (const name of names) expect(listed.has(name), name).toBe(true);
    for (const value of ['yes', 'TRUE', '2', '']) {
      const res = await upload(value);
      expect(res.status, `record=${value}`).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
    }
  });

  it('every ended.reason a run gets is in the table of "How a run ends"', async () => {
    const doc = quoted(section('How a run ends'));
    const reasons: string[] = [];
    const runToEnd = async (guest: string) => {
      const vm = await server().client.createVm({ guest });
      const vmm = new RemoteVmm(await server().client.connect(vm, 'controller'));
      await vmm.run();
      reasons.push((await vmm.ended).reason);
      return vm;
    };
    const hello = await runToEnd('hello.elf');
    await runToEnd('srst.elf');
    const stopped = await server().client.createVm({ guest: 'hello.elf' });
    reasons.push((await server().client.stopVm(stopped.id)).end!.reason);
    const replay = await server().client.startReplay(hello.recording!);
    const rvmm = new RemoteVmm(await server().client.connect(replay, 'controller'));
    await rvmm.run();
    reasons.push((await rvmm.ended).reason);
    expect(reasons).toEqual(['finisher', 'shutdown', 'stopped', 'replayed']);
    for (const reason of reasons) expect(doc.has(reason), `${reason} is in the table`).toBe(true);
  }, 30_000);
});
