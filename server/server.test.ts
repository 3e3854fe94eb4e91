/**
 * The service end to end: the real server in a child process, real WebSocket clients (the SDK), and after each
 * scenario the journal the server wrote, downloaded and replayed with every exit and the final digest compared.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError, RemoteVmm, runElf, type CreatedVm, type VmConnection, type VmEnd } from '../client-sdk/index.js';
import { parseElf, readJournal, replayJournal, type VcpuExit } from '../sim/index.js';
import { guestImage, until, useTestServer } from './test-helpers.js';

const server = useTestServer();

/** Downloads the VM's recording, replays it, and returns how many exits it holds. */
async function verifyRecording(vm: CreatedVm): Promise<{ exits: number; closed: boolean; digest: string }> {
  const bytes = await server().client.downloadRecording(vm.recording!);
  const journal = readJournal(bytes);
  const result = replayJournal(journal);
  expect(result.divergence).toBeUndefined();
  expect(result.ok).toBe(true);
  return { exits: journal.exits.length, closed: journal.closed, digest: result.finalDigest };
}

async function controller(vm: CreatedVm, options: ConstructorParameters<typeof RemoteVmm>[1] = {}): Promise<RemoteVmm> {
  return new RemoteVmm(await server().client.connect(vm, 'controller'), options);
}

describe('HTTP API', () => {
  it('health, metrics, and the server token on every /v1 route', async () => {
    const health = await fetch(`${server().url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
    const noToken = await fetch(`${server().url}/v1/vms`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = await fetch(`${server().url}/v1/vms`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const metrics = await (await fetch(`${server().url}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP hindsight_vms /m);
    expect(metrics).toMatch(/^hindsight_http_requests_total\{method="GET",status="200"\} \d+$/m);
  });

  it('refuses bad VM requests with stable codes and keeps serving', async () => {
    await expect(server().client.createVm({ guest: 'no-such.elf' })).rejects.toMatchObject({ code: 'GUEST_NOT_FOUND' });
    await expect(server().client.createVm({ guest: '../package.json' })).rejects.toMatchObject({ code: 'BAD_GUEST_NAME' });
    await expect(server().client.createVm({ guest: 'hello.elf', ramMib: 1 << 20 })).rejects.toMatchObject({ code: 'BAD_RAM_SIZE' });
    await expect(server().client.createVm({ image: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]) })).rejects.toMatchObject({ code: expect.stringMatching(/^ELF_/) });
    await expect(server().client.getVm('vm-000000000000')).rejects.toMatchObject({ code: 'VM_NOT_FOUND' });
    await expect(server().client.downloadRecording('nope.hsj')).rejects.toMatchObject({ code: 'RECORDING_NOT_FOUND' });
    const bad = await fetch(`${server().url}/v1/vms`, { method: 'POST', headers: { authorization: `Bearer ${server().token}`, 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
  });

  it('an uploaded image runs like one from the guests folder; VMs list, inspect, stop and delete', async () => {
    const vm = await server().client.createVm({ image: guestImage('hello'), name: 'hello-upload.elf' });
    expect(vm).toMatchObject({ state: 'created', kind: 'live', name: 'hello-upload.elf', recording: `${vm.id}.hsj` });
    const vmm = await controller(vm);
    await vmm.run();
    const end = await vmm.ended;
    expect(end).toMatchObject({ reason: expect.any(String), exitCode: 0 });
    expect(vmm.console).toBe(runElf(guestImage('hello')).console);
    const info = await server().client.getVm(vm.id);
    expect(info).toMatchObject({ id: vm.id, state: 'ended', exits: vmm.exitsSeen });
    expect((await server().client.listVms()).map((v) => v.id)).toContain(vm.id);
    expect((await server().client.listRecordings()).map((r) => r.name)).toContain(vm.recording);
    await vmm.conn.close();
    await server().client.deleteVm(vm.id);
    await expect(server().client.getVm(vm.id)).rejects.toMatchObject({ code: 'VM_NOT_FOUND' });
    expect((await verifyRecording(vm)).exits).toBe(vmm.exitsSeen);
  });
});

describe('remote device models', () => {
  it('a remote client answers the UART and PLIC MMIO exits of a guest that reads a line with interrupts', async () => {
    const vm = await server().client.createVm({ guest: 'uart-irq.elf' });
    const observer = await server().client.connect(vm, 'observer');
    const observed: VcpuExit[] = [];
    observer.on('exit', (exit) => observed.push(exit));
    const vmm = await controller(vm, { input: Buffer.from('hello uart\n') });
    await vmm.run();
    const end = await vmm.ended;
    const local = runElf(guestImage('uart-irq'), { input: Buffer.from('hello uart\n') });
    expect(vmm.console).toContain('got: hello uart');
    expect(vmm.console).toBe(local.console);
    expect(end.exitCode).toBe(local.exitCode);
    const journal = await verifyRecording(vm);
    expect(journal.closed).toBe(true);
    expect(vmm.exitsSeen).toBe(journal.exits);
    expect(observed.length).toBe(journal.exits);
    expect(observed.map((e) => e.seq)).toEqual(observed.map((_, i) => i));
    // An observer looks but does not touch.
    await expect(observer.request({ op: 'run' })).rejects.toMatchObject({ code: 'NOT_CONTROLLER' });
    await expect(observer.request({ op: 'read-mem', addr: 0x8000_0000, len: 4 })).resolves.toBeInstanceOf(Uint8Array);
    await observer.close();
    await vmm.conn.close();
  });

  it('answers that come from promises: a slow user device model, the DBCN console reading guest memory first', async () => {
    // mmio-widths' test-device reads, every third one answered by a user handler only after a timer.
    const vm = await server().client.createVm({ guest: 'mmio-widths.elf' });
    let reads = 0;
    const vmm = await controller(vm);
    vmm.on('MMIO', (exit) => {
      if (exit.isWrite || reads++ % 3 !== 0) return undefined;
      return new Promise((resolve) => setTimeout(() => resolve(vmm.devices.mmio(exit)), 2));
    });
    await vmm.run();
    const end = await vmm.ended;
    const local = runElf(guestImage('mmio-widths'));
    expect(reads).toBeGreaterThan(10);
    expect(end.exitCode).toBe(0);
    expect(vmm.console).toBe(local.console);
    expect((await verifyRecording(vm)).exits).toBe(vmm.exitsSeen);
    await vmm.conn.close();

    // dbcn prints through SBI DBCN writes, whose bytes the client fetches with read-mem before answering.
    const dbcnVm = await server().client.createVm({ guest: 'dbcn.elf' });
    const dbcn = await controller(dbcnVm);
    await dbcn.run();
    expect((await dbcn.ended).exitCode).toBe(0);
    expect(dbcn.console).toBe(runElf(guestImage('dbcn')).console);
    expect((await verifyRecording(dbcnVm)).exits).toBe(dbcn.exitsSeen);
    await dbcn.conn.close();
  });
});

describe('replay sessions', () => {
  it('a recording re-runs on the server with the journal answering; clients see the recorded exits and answers', async () => {
    const vm = await server().client.createVm({ guest: 'uart-irq.elf' });
    const vmm = await controller(vm, { input: Buffer.from('again\n') });
    const answers = new Map<number, unknown>();
    const live = new RemoteVmmSpy(vmm);
    await vmm.run();
    await vmm.ended;
    await vmm.conn.close();
    for (const [seq, a] of live.answers) answers.set(seq, a);

    const replay = await server().client.startReplay(vm.recording!);
    expect(replay).toMatchObject({ kind: 'replay', state: 'created' });
    const conn = await server().client.connect(replay, 'controller');
    const seen: { exit: VcpuExit; answer: unknown }[] = [];
    conn.on('exit', (exit, answer) => seen.push({ exit, answer }));
    const ended = new Promise<VmEnd>((resolve) => conn.on('ended', resolve));
    await expect(conn.request({ op: 'set-reg', reg: 5, value: 1n })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await conn.request({ op: 'run' });
    const end = await ended;
    expect(end).toMatchObject({ verified: true, exits: vmm.exitsSeen });
    expect(seen.map((s) => s.exit.seq)).toEqual(seen.map((_, i) => i));
    expect(seen.length).toBe(vmm.exitsSeen);
    for (const s of seen) expect(plain(s.answer)).toEqual(plain(answers.get(s.exit.seq)));
    const regs = await conn.request<{ icount: number }>({ op: 'get-regs' });
    expect(regs.icount).toBe(end.icount);
    await conn.close();
  });
});

/** Bytes as plain arrays (msgpack hands back Buffers, device models make Uint8Arrays). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Collects the answers a RemoteVmm gives (through its onExit hook, installed after the fact). */
class RemoteVmmSpy {
  readonly answers = new Map<number, unknown>();
  constructor(vmm: RemoteVmm) {
    const options = (vmm as unknown as { options: { onExit?: (e: VcpuExit, a: unknown) => void } }).options;
    options.onExit = (exit, answer) => { if (answer !== undefined) this.answers.set(exit.seq, answer); };
  }
}

describe('a debugger client', () => {
  it('stops at an address breakpoint, reads registers, steps, continues to the end', async () => {
    const image = guestImage('hello');
    const target = BigInt(parseElf(image).symbols.get('main')!);
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const dbg = await controller(vm, { debugger: true });
    await dbg.breakpoint(target);
    await dbg.run();
    const stop = await dbg.waitForStop();
    expect(stop).toMatchObject({ reason: 'DEBUG', why: 'address-breakpoint', pc: target });
    const regs = await dbg.registers();
    expect(regs.pc).toBe(target);
    expect(regs.x).toHaveLength(32);
    expect(regs.x[0]).toBe(0n);
    expect(regs.icount).toBe(stop.icount);
    const stepped = await dbg.step();
    expect(stepped).toMatchObject({ reason: 'DEBUG', why: 'single-step', icount: stop.icount + 1 });
    const after = await dbg.registers();
    expect(after.icount).toBe(stop.icount + 1);
    expect(after.pc).not.toBe(target);
    await dbg.breakpoint(target, false);
    await dbg.continue();
    const end = await dbg.ended;
    expect(end.exitCode).toBe(0);
    expect(dbg.console).toBe(runElf(image).console);
    const journal = await verifyRecording(vm);
    expect(dbg.exitsSeen).toBe(journal.exits);
    await dbg.conn.close();
  });
});

describe('the F/D registers over the protocol', () => {
  it('get-regs shows them; set-freg and set-fcsr change a live guest as journaled inputs; a replay refuses them', async () => {
    const image = guestImage('fp-regs');
    const filled = BigInt(parseElf(image).symbols.get('fp_filled')!);
    const vm = await server().client.createVm({ guest: 'fp-regs.elf' });
    const dbg = await controller(vm, { debugger: true });
    await dbg.breakpoint(filled);
    await dbg.run();
    await dbg.waitForStop();
    const regs = await dbg.registers();
    expect(regs.f?.[8]).toBe(0xffff_ffff_3fc0_0000n);
    expect(regs.f?.[31]).toBe(0x7ff0_0000_0000_0001n);
    expect(regs.fcsr).toBe(0x69);
    await dbg.conn.request({ op: 'set-freg', reg: 10, value: 0x4004_0000_0000_0000n });
    await dbg.conn.request({ op: 'set-fcsr', value: 0x1f });
    expect(await dbg.registers()).toMatchObject({ fcsr: 0x1f, f: expect.arrayContaining([0x4004_0000_0000_0000n]) });
    await dbg.breakpoint(filled, false);
    await dbg.continue();
    expect((await dbg.ended).exitCode).toBe(0);
    expect(dbg.console).toContain('f10: 0x4004000000000000 (loaded 0xffffffff7fc00000)\nfcsr: 0x1f (set 0x69)\nfp-regs: 2 register(s) changed');
    await verifyRecording(vm);
    await dbg.conn.close();

    const replay = await server().client.startReplay(vm.recording!);
    const conn = await server().client.connect(replay, 'controller');
    await expect(conn.request({ op: 'set-freg', reg: 10, value: 0n })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(conn.request({ op: 'set-fcsr', value: 0 })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await conn.close();
  });
});

describe('a controller that drops and comes back', () => {
  it('mid-computation: the VM stops at a recorded point, its journal flushed, and resumes with the same token', async () => {
    const vm = await server().client.createVm({ guest: 'bench-intloop.elf' });
    const observer = await server().client.connect(vm, 'observer');
    let observed = 0;
    observer.on('exit', () => observed++);
    const first = await controller(vm);
    await first.run();
    await until(async () => (await server().client.getVm(vm.id)).icount > 5_000_000);
    // Gone without a goodbye.
    (first.conn as unknown as { ws: { terminate(): void } }).ws.terminate();
    await until(async () => !(await server().client.getVm(vm.id)).controller);
    const info = await server().client.getVm(vm.id);
    expect(info.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 100));
    expect((await server().client.getVm(vm.id)).icount).toBe(info.icount);
    // Everything up to the pause is on disk, though the recording is still open; the pause itself is an exit.
    const partial = readJournal(await server().client.downloadRecording(vm.recording!));
    expect(partial.closed).toBe(false);
    expect(partial.exits.length).toBe(info.exits);
    expect(partial.exits.at(-1)).toMatchObject({ icount: info.icount });

    await expect(server().client.connect({ id: vm.id, token: 'wrong' }, 'controller')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const second = await controller(vm);
    await second.run();
    const end: VmEnd = await second.ended;
    expect(end.exitCode).toBe(0);
    expect(first.console + second.console).toBe(runElf(guestImage('bench-intloop')).console);
    const journal = await verifyRecording(vm);
    expect(observed).toBe(journal.exits);
    expect(end.exits).toBe(journal.exits);
    await second.conn.close();
    await observer.close();
  });

  it('at a waiting exit: the new controller is handed the exit in its welcome and answers it', async () => {
    const vm = await server().client.createVm({ guest: 'uart-irq.elf' });
    const input = Buffer.from('come back\n');
    let dropAt = -1;
    const first = await controller(vm, { input });
    first.on('MMIO', (exit) => {
      if (exit.seq < 5) return undefined;
      dropAt = exit.seq;
      (first.conn as unknown as { ws: { terminate(): void } }).ws.terminate();
      return new Promise(() => {}); // never answered
    });
    await first.run();
    await until(async () => dropAt >= 0 && !(await server().client.getVm(vm.id)).controller);
    expect(await server().client.getVm(vm.id)).toMatchObject({ state: 'waiting', waitingSeq: dropAt });
    // The device state lives in the client: the second controller replays nothing, it just carries on with
    // models in the same state (here: fresh ones, which the guest tolerates once it has configured the UART).
    const conn = await server().client.connect(vm, 'controller');
    expect(conn.welcome.waiting).toMatchObject({ seq: dropAt, reason: 'MMIO' });
    await conn.close();
    await server().client.stopVm(vm.id);
    const journal = readJournal(await server().client.downloadRecording(vm.recording!));
    expect(journal.closed).toBe(true);
    expect(journal.exits.length).toBe(dropAt + 1);
    expect(replayJournal(journal).ok).toBe(true);
  });
});

describe('hostile clients', () => {
  async function rawChannel(vm: CreatedVm): Promise<VmConnection> {
    return server().client.connect(vm, 'controller');
  }

  function closeOf(conn: VmConnection): Promise<number> {
    return new Promise((resolve) => {
      if (conn.closed !== null) resolve(conn.closed.code);
      else conn.once('close', (code) => resolve(code));
    });
  }

  function nextError(conn: VmConnection): Promise<ProtocolError> {
    return new Promise((resolve) => conn.once('error', resolve));
  }

  it('coded errors for what can be answered, the right close status for what cannot, and the server unaffected', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const conn = await rawChannel(vm);

    // A second controller is refused.
    await expect(server().client.connect(vm, 'controller')).rejects.toMatchObject({ code: 'CONTROLLER_PRESENT' });

    // Unknown message types and ops, bad fields, answers to nothing: errors, the connection stays.
    let err = nextError(conn);
    conn.sendRaw(Buffer.from([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa3, 0x66, 0x6f, 0x6f])); // {type: "foo"}
    expect(await err).toMatchObject({ code: 'UNKNOWN_TYPE' });
    await expect(conn.request({ op: 'fly' } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OP' });
    await expect(conn.request({ op: 'read-mem', addr: -5, len: 4 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(conn.request({ op: 'read-mem', addr: 0x1000, len: 4 })).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
    err = nextError(conn);
    conn.answer({ seq: 0, reason: 'MMIO' });
    expect(await err).toMatchObject({ code: 'NO_PENDING_EXIT', seq: 0 });
    err = nextError(conn);
    conn.sendRaw(Buffer.from([0xc1])); // never used in msgpack
    expect(await err).toMatchObject({ code: 'BAD_FRAME' });
    err = nextError(conn);
    conn.sendRaw(Buffer.from([0x85, 0xa4, 0x74])); // a map cut short
    expect(await err).toMatchObject({ code: 'BAD_FRAME' });

    // Answering the wrong seq, then the wrong kind: refused, the exit still waits, the right answer works.
    const first = new Promise<VcpuExit>((resolve) => conn.once('exit', resolve));
    await conn.request({ op: 'run' });
    const exit = await first;
    expect(exit.reason).toBe('RISCV_SBI');
    err = nextError(conn);
    conn.answer({ seq: exit.seq + 7, reason: 'RISCV_SBI', ret: [0n, 0n] });
    expect(await err).toMatchObject({ code: 'WRONG_SEQ', seq: exit.seq + 7 });
    err = nextError(conn);
    conn.answer({ seq: exit.seq, reason: 'MMIO' });
    // The vCPU's reason, without the vCPU's own code inside the message.
    expect(await err).toMatchObject({ code: 'BAD_ANSWER', message: expect.not.stringMatching(/VCPU_BAD_STATE/) });
    const status = await conn.request<{ state: string; waitingSeq: number }>({ op: 'status' });
    expect(status).toMatchObject({ state: 'waiting', waitingSeq: exit.seq });

    // A text frame cannot be spoken here: closed with 1003; the VM pauses at its waiting exit.
    const closed = closeOf(conn);
    conn.sendRaw('hello?');
    expect(await closed).toBe(1003);

    // Oversized frames: 1009 (the limit is 2 MiB by default).
    const big = await rawChannel(vm);
    const bigClosed = closeOf(big);
    big.sendRaw(Buffer.alloc(3 * 1024 * 1024));
    expect(await bigClosed).toBe(1009);

    // A flood of requests beyond the in-flight limit: closed as a flood.
    const flood = await rawChannel(vm);
    const floodClosed = closeOf(flood);
    for (let i = 0; i < 2000; i++) flood.request({ op: 'status' }).catch(() => {});
    expect(await floodClosed).toBe(4029);

    // Garbage before the hello: a protocol error close, and the server is fine.
    const { default: WebSocket } = await import('ws');
    const raw = new WebSocket(`${server().url.replace('http', 'ws')}/v1/vms/${vm.id}/channel`);
    const rawClosed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)));
    raw.on('open', () => raw.send(Buffer.from([0x93, 1, 2, 3])));
    expect(await rawClosed).toBe(1002);
    const missing = new WebSocket(`${server().url.replace('http', 'ws')}/v1/vms/vm-nope/channel`);
    const rejected = await new Promise<number>((resolve) => missing.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
    expect(rejected).toBe(404);

    // The VM itself is intact: a new controller finishes the run, and the journal replays.
    const vmm = await controller(vm);
    await vmm.run();
    expect((await vmm.ended).exitCode).toBe(0);
    expect(vmm.console).toBe(runElf(guestImage('hello')).console);
    const journal = await verifyRecording(vm);
    expect(journal.exits).toBe(vmm.exitsSeen); // the waiting exit came in the welcome, then all the rest
    await vmm.conn.close();
  });
});

describe('several VMs at once', () => {
  it('two guests run side by side, each to its own result, each journal replaying', async () => {
    const [a, b] = await Promise.all([
      server().client.createVm({ guest: 'uart-irq.elf' }),
      server().client.createVm({ guest: 'bench-sort.elf' }),
    ]);
    const [va, vb] = await Promise.all([controller(a, { input: Buffer.from('side by side\n') }), controller(b)]);
    await Promise.all([va.run(), vb.run()]);
    const [ea, eb] = await Promise.all([va.ended, vb.ended]);
    expect(va.console).toContain('got: side by side');
    expect(ea.exitCode).toBe(0);
    expect(eb.exitCode).toBe(runElf(guestImage('bench-sort')).exitCode);
    expect(vb.console).toBe(runElf(guestImage('bench-sort')).console);
    expect((await verifyRecording(a)).exits).toBe(va.exitsSeen);
    expect((await verifyRecording(b)).exits).toBe(vb.exitsSeen);
    await Promise.all([va.conn.close(), vb.conn.close()]);
  });
});

describe('channels served by the VM worker', () => {
  async function connectionsGauge(): Promise<number> {
    const text = await (await fetch(`${server().url}/metrics`)).text();
    return Number(/^hindsight_ws_connections (\d+)$/m.exec(text)![1]);
  }

  /** A client frame: FIN + binary, masked as RFC 6455 requires of clients. */
  function maskedFrame(payload: Uint8Array): Buffer {
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
    return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, body]);
  }

  /** Sends `bytes` on a raw TCP connection in one write and collects what comes back until `done` says so. */
  async function rawExchange(bytes: Buffer, done: (got: Buffer) => boolean): Promise<Buffer> {
    const { connect } = await import('node:net');
    const { port, hostname } = new URL(server().url);
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      const s = connect(Number(port), hostname, () => s.write(bytes));
      s.on('data', (d) => {
        got = Buffer.concat([got, d]);
        if (done(got)) { s.destroy(); resolve(got); }
      });
      s.on('error', reject);
      s.on('close', () => resolve(got));
    });
  }

  function upgradeRequest(vmId: string, version = '13'): string {
    return `GET /v1/vms/${vmId}/channel HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${version}\r\n\r\n`;
  }

  it('a hello sent with the upgrade request, in the same packet, reaches the worker and is welcomed', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const { encodeMessage, decodeMessage } = await import('../client-sdk/protocol.js');
    const hello = maskedFrame(encodeMessage({ type: 'hello', protocol: 1, role: 'observer', token: vm.token }));
    const got = await rawExchange(Buffer.concat([Buffer.from(upgradeRequest(vm.id)), hello]), (b) => {
      const at = b.indexOf('\r\n\r\n');
      return at >= 0 && b.length >= at + 4 + 2 && b.length >= at + 4 + 2 + (b[at + 5] & 0x7f);
    });
    const at = got.indexOf('\r\n\r\n');
    expect(got.subarray(0, at).toString()).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    // RFC 6455's sample key and its accept value.
    expect(got.subarray(0, at).toString()).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(got[at + 4]).toBe(0x82);
    const len = got[at + 5];
    expect(len).toBeLessThan(126);
    expect(decodeMessage(got.subarray(at + 6, at + 6 + len))).toMatchObject({ type: 'welcome', role: 'observer', vm: { id: vm.id, state: 'created' } });

    // A handshake the worker refuses is an HTTP error; the VM and the server carry on.
    const refused = await rawExchange(Buffer.from(upgradeRequest(vm.id, '7')), (b) => b.includes('\r\n\r\n'));
    expect(refused.toString()).toMatch(/^HTTP\/1\.1 400 /);
    const vmm = await controller(vm);
    await vmm.run();
    expect((await vmm.ended).exitCode).toBe(0);
    expect(vmm.console).toBe(runElf(guestImage('hello')).console);
    await vmm.conn.close();
    await server().client.deleteVm(vm.id);
  });

  it('the server counts the clients the worker serves, and deleting the VM closes their channels with 4010', async () => {
    const before = await connectionsGauge();
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const ctl = await server().client.connect(vm, 'controller');
    const obs = await server().client.connect(vm, 'observer');
    // The main thread hears of a VM's clients by message from its worker, a moment after they attach.
    await until(async () => (await server().client.getVm(vm.id)).observers === 1 && (await connectionsGauge()) === before + 2);
    expect(await server().client.getVm(vm.id)).toMatchObject({ controller: true, observers: 1 });
    expect(await connectionsGauge()).toBe(before + 2);
    const closes = [ctl, obs].map((c) => new Promise<number>((resolve) => c.once('close', (code) => resolve(code))));
    await server().client.deleteVm(vm.id);
    expect(await Promise.all(closes)).toEqual([4010, 4010]);
    await until(async () => (await connectionsGauge()) === before);
    expect(await connectionsGauge()).toBe(before);
  });
});
