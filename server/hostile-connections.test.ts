/**
 * Connections that go wrong at the TCP and HTTP level, before any WebSocket frame: resets in the middle of an
 * upgrade, request targets that are not URLs, refusals read to the end. The server must answer what it can, close
 * what it must, and go on serving; a VM running meanwhile (the canary) must finish and its journal replay.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ProtocolError, RemoteVmm, runElf } from '../client-sdk/index.js';
import { readJournal, replayJournal, type VcpuExit } from '../sim/index.js';
import { guestImage, useTestServer } from './test-helpers.js';

const server = useTestServer();

function upgradeRequest(target: string): string {
  return `GET ${target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
}

function open(): Promise<Socket> {
  const { port, hostname } = new URL(server().url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Sends an upgrade request and resets the connection (RST, not FIN) at one of several moments around the reply. */
async function upgradeThenReset(target: string, when: 'at-once' | 'next-turn' | 'after-1ms' | 'first-byte'): Promise<void> {
  const s = await open();
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  s.write(upgradeRequest(target));
  if (when === 'at-once') s.resetAndDestroy();
  else if (when === 'next-turn') setImmediate(() => s.resetAndDestroy());
  else if (when === 'after-1ms') setTimeout(() => s.resetAndDestroy(), 1);
  else s.once('data', () => s.resetAndDestroy());
  // A server that never answers must not hang the test: the first-byte case resets on a timer too.
  const timer = setTimeout(() => s.resetAndDestroy(), 2000);
  await closed;
  clearTimeout(timer);
}

/** Sends an upgrade request and reads the reply to the end (the server closes once it is sent). */
async function refusal(target: string): Promise<{ head: string; body: string; contentLength: number; ended: boolean }> {
  const s = await open();
  let got = Buffer.alloc(0);
  s.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
  const ended = new Promise<boolean>((resolve) => {
    s.once('end', () => resolve(true));
    s.once('close', () => resolve(false));
  });
  s.write(upgradeRequest(target));
  const didEnd = await ended;
  s.destroy();
  const text = got.toString('latin1');
  const at = text.indexOf('\r\n\r\n');
  const head = text.slice(0, at);
  return { head, body: text.slice(at + 4), contentLength: Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? -1), ended: didEnd };
}

describe('resets and odd targets around an upgrade', () => {
  it('a client resetting mid-upgrade cannot bring the server down; other VMs go on; refusals are complete', async () => {
    // The canary: a VM another client drives through the whole attack.
    const canary = await server().client.createVm({ guest: 'mmio-loop.elf' });
    const vmm = new RemoteVmm(await server().client.connect(canary, 'controller'));
    await vmm.run();

    const moments = ['at-once', 'next-turn', 'after-1ms', 'first-byte'] as const;
    const targets = ['/v1/vms/vm-000000000000/channel', '/nowhere', '//', `/v1/vms/${canary.id}/channel`];
    for (let round = 0; round < 25; round++) {
      await Promise.all(targets.flatMap((t) => moments.map((m) => upgradeThenReset(t, m))));
    }

    // Refused upgrades are whole HTTP responses: a JSON error of the length said, then a clean close (FIN).
    for (const target of ['/v1/vms/vm-000000000000/channel', '//', 'http://[', '/v1/vms/x/channel?%zz']) {
      const r = await refusal(target);
      expect(r.head).toMatch(/^HTTP\/1\.1 404 /);
      expect(r.contentLength).toBe(Buffer.byteLength(r.body));
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'VM_NOT_FOUND' } });
      expect(r.ended).toBe(true);
    }

    expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
    expect(server().child.exitCode).toBeNull();
    const end = await vmm.ended;
    expect(end.exitCode).toBe(0);
    expect(vmm.console).toBe(runElf(guestImage('mmio-loop')).console);
    const journal = readJournal(await server().client.downloadRecording(canary.recording!));
    const replay = replayJournal(journal);
    expect(replay.divergence).toBeUndefined();
    expect(journal.closed).toBe(true);
    expect(journal.exits.length).toBe(vmm.exitsSeen);
    await vmm.conn.close();
  });
});

describe('the error-flood rule', () => {
  it('covers refused answers: 1,000 answers with a wrong seq close the connection with 4029 after 100 errors', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const conn = await server().client.connect(vm, 'controller');
    const errors: ProtocolError[] = [];
    conn.on('error', (e) => errors.push(e));
    const closed = new Promise<number>((resolve) => conn.once('close', (code) => resolve(code)));
    const first = new Promise<VcpuExit>((resolve) => conn.once('exit', resolve));
    await conn.request({ op: 'run' });
    const exit = await first;
    // An answer of the wrong kind: BAD_ANSWER, its message the vCPU's reason without an internal code.
    const wrongKind = new Promise<ProtocolError>((resolve) => conn.once('error', resolve));
    conn.answer({ seq: exit.seq, reason: 'MMIO' });
    const refusal = await wrongKind;
    expect(refusal).toMatchObject({ code: 'BAD_ANSWER', seq: exit.seq });
    expect(refusal.message).toBe('BAD_ANSWER: answer of kind MMIO for a RISCV_SBI exit (seq 0)');
    for (let i = 0; i < 1000; i++) conn.answer({ seq: exit.seq + 1 + i, reason: 'RISCV_SBI', ret: [0n, 0n] });
    // Without the rule the connection stays open: give up after 10 s rather than at the test's timeout.
    expect(await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))])).toBe(4029);
    const wrongSeq = errors.filter((e) => e.code === 'WRONG_SEQ').length;
    expect(wrongSeq).toBeGreaterThan(90);
    expect(wrongSeq).toBeLessThanOrEqual(101);
    expect(errors.at(-1)?.code).toBe('TOO_MANY_PENDING');

    // Accepted answers break a run of errors: 99 refusals, one good answer, 99 more, and the channel stays open.
    const again = await server().client.connect(vm, 'controller');
    const waiting = again.welcome.waiting!;
    expect(waiting.seq).toBe(exit.seq);
    const next = new Promise<VcpuExit>((resolve) => again.once('exit', resolve));
    let refused = 0;
    again.on('error', () => refused++);
    for (let i = 0; i < 99; i++) again.answer({ seq: waiting.seq + 100, reason: 'RISCV_SBI', ret: [0n, 0n] });
    await again.request({ op: 'run' });
    again.answer({ seq: waiting.seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
    const second = await next;
    for (let i = 0; i < 99; i++) again.answer({ seq: second.seq + 100, reason: 'RISCV_SBI', ret: [0n, 0n] });
    expect((await again.request<{ waitingSeq: number }>({ op: 'status' })).waitingSeq).toBe(second.seq);
    expect(refused).toBe(198);
    expect(again.closed).toBeNull();
    await again.close();
    await server().client.deleteVm(vm.id);
  });
});
