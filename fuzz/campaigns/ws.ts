/**
 * WebSocket: hostile handshakes and frames against a server that runs a canary VM, driven by an honest client the
 * whole time, which must run to its end and whose journal must replay. Each case is one connection:
 * - a handshake written by hand: a bad key or version, another method or path, headers missing or huge, cut
 *   short, or reset (RST) at a random moment, to a VM's channel or anywhere;
 * - or a channel opened properly, a hello (right, or mutated), then up to 100 frames: protocol messages mutated
 *   field by field, answers to any seq, random msgpack values, random bytes, text frames, oversized frames, and
 *   frames written by hand (reserved bits, unknown opcodes, unmasked, fragments, bad close codes).
 * Every message the server sends must be one of the protocol's (the SDK's schemas check it) and every error code a
 * documented one; the server must stay up, answer /healthz, and never print a stack trace.
 */
import { connect, type Socket } from 'node:net';
import { readJournal, replayJournal } from '../../sim/index.js';
import { decodeMessage, encodeMessage } from '../../client-sdk/protocol.js';
import { serverMessageSchema } from '../../client-sdk/protocol-schema.js';
import { RemoteVmm, type CreatedVm } from '../../client-sdk/index.js';
import { CampaignReport, cases, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';
import { endCampaignServer, startServer, type FuzzServer } from '../server.js';
import { mutateValue, randomValue } from '../values.js';

const CODES = new Set([
  'BAD_FRAME', 'BAD_HELLO', 'UNSUPPORTED_PROTOCOL', 'UNAUTHORIZED', 'UNKNOWN_TYPE', 'UNKNOWN_OP', 'BAD_REQUEST', 'NOT_CONTROLLER',
  'CONTROLLER_PRESENT', 'WRONG_SEQ', 'NO_PENDING_EXIT', 'BAD_ANSWER', 'EXIT_PENDING', 'VM_ENDED', 'VM_NOT_FOUND', 'BAD_ADDRESS',
  'TOO_MANY_PENDING', 'FRAME_TOO_LARGE', 'NOT_SUPPORTED', 'NO_SUCH_EXIT', 'TRAVELLING', 'NOT_TRAVELLING',
]);

/** Requests and answers as a client would send them, for the mutations to start from. */
const MESSAGES: Record<string, unknown>[] = [
  { type: 'req', id: 1, op: 'status' }, { type: 'req', id: 2, op: 'run' }, { type: 'req', id: 3, op: 'pause' }, { type: 'req', id: 4, op: 'step' },
  { type: 'req', id: 5, op: 'get-regs' }, { type: 'req', id: 6, op: 'read-mem', addr: 0x8020_0000, len: 16 },
  { type: 'req', id: 7, op: 'write-mem', addr: 0x8020_0000, data: Uint8Array.of(0x13, 0, 0, 0) },
  { type: 'req', id: 8, op: 'set-reg', reg: 10, value: 5n }, { type: 'req', id: 9, op: 'set-pc', value: 0x8020_0000n },
  { type: 'req', id: 10, op: 'breakpoint', pc: 0x8020_0010n, add: true },
  { type: 'req', id: 11, op: 'watchpoint', addr: 0x8020_1000n, len: 8, read: true, write: true, add: true },
  { type: 'req', id: 12, op: 'guest-debug', enabled: true }, { type: 'req', id: 13, op: 'irq', level: true },
  { type: 'req', id: 14, op: 'seek', exit: 3 }, { type: 'req', id: 15, op: 'reverse-step' }, { type: 'req', id: 16, op: 'timeline', limit: 5 },
  { type: 'req', id: 17, op: 'checkpoints' }, { type: 'req', id: 18, op: 'present' }, { type: 'req', id: 19, op: 'continue' },
  { type: 'req', id: 20, op: 'reverse-continue' },
  { type: 'answer', answer: { seq: 0, reason: 'RISCV_SBI', ret: [0n, 0n] } }, { type: 'answer', answer: { seq: 1, reason: 'MMIO', data: Uint8Array.of(1, 2, 3, 4) } },
  { type: 'answer', answer: { seq: 2, reason: 'DEBUG', action: 'resume' } }, { type: 'answer', answer: { seq: 3, reason: 'RISCV_CSR', retValue: 7n } },
];

/** A client frame: FIN, opcode, masked payload (RFC 6455 5.2), with the given first-byte flags. */
function rawFrame(payload: Uint8Array, opts: { opcode?: number; fin?: boolean; rsv?: number; masked?: boolean; lengthForm?: 'short' | '16' | '64' } = {}): Buffer {
  const { opcode = 2, fin = true, rsv = 0, masked = true } = opts;
  const n = payload.length;
  const form = opts.lengthForm ?? (n < 126 ? 'short' : n < 65536 ? '16' : '64');
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  const m = masked ? 0x80 : 0;
  if (form === 'short') head.push(m | Math.min(n, 125));
  else if (form === '16') head.push(m | 126, (n >> 8) & 0xff, n & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  const mask = masked ? [0x37, 0xfa, 0x21, 0x3d] : [];
  const body = Buffer.from(payload.map((b, i) => (masked ? b ^ mask[i & 3] : b)));
  return Buffer.concat([Buffer.from([...head, ...mask]), body]);
}

function upgradeRequest(path: string, extra: string[] = [], version = '13', key = 'dGhlIHNhbXBsZSBub25jZQ=='): string {
  return [`GET ${path} HTTP/1.1`, 'Host: fuzz', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, `Sec-WebSocket-Version: ${version}`, ...extra, '', ''].join('\r\n');
}

/** Reads what the server sends on a raw connection after a 101: its frames' payloads (server frames are unmasked). */
class FrameReader {
  private buf = Buffer.alloc(0);
  readonly payloads: Buffer[] = [];
  status = 0;
  closeCode: number | null = null;
  private upgraded = false;

  push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.upgraded) {
      const at = this.buf.indexOf('\r\n\r\n');
      if (at < 0) return;
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.buf.subarray(0, at).toString('latin1'))?.[1] ?? 0);
      this.upgraded = this.status === 101;
      this.buf = this.buf.subarray(at + 4);
      if (!this.upgraded) return;
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f, at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      if (opcode === 2) this.payloads.push(Buffer.from(payload));
      if (opcode === 8 && payload.length >= 2) this.closeCode = payload.readUInt16BE(0);
      this.buf = this.buf.subarray(at + len);
    }
  }
}

/** One message from the server, checked: a problem, or null. */
function checkServerFrame(payload: Buffer): string | null {
  let m: unknown;
  try {
    m = decodeMessage(payload);
  } catch (e) {
    return `a frame that is not msgpack: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    const msg = serverMessageSchema.parse(m);
    if (msg.type === 'error' && !CODES.has(msg.code)) return `an undocumented error code ${msg.code}: ${msg.message}`;
    if (msg.type === 'error' && /^[A-Z_]+: /.test(msg.message) && msg.code !== 'BAD_REQUEST') return `an error message with an internal prefix: ${msg.code} ${msg.message}`;
  } catch (e) {
    return `a message that is not the protocol's: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

interface Target { vm: CreatedVm }

/** A fuzzing connection: returns what it sent (for the report) and problems with what came back. */
async function oneConnection(rng: Rng, server: FuzzServer, targets: Target[]): Promise<{ sent: string; problems: string[]; frames: number }> {
  const target = rng.pick(targets);
  const path = rng.chance(0.9) ? `/v1/vms/${target.vm.id}/channel` : rng.pick(['/v1/vms/vm-000000000000/channel', '/', '//', '/v1/vms/x/channel?y', '/v1/vms/../channel']);
  const reader = new FrameReader();
  const problems: string[] = [];
  const sent: string[] = [];
  const socket: Socket = connect(server.port, server.host);
  socket.on('data', (d: Buffer) => reader.push(d));
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  await new Promise<void>((resolve) => { socket.once('connect', () => resolve()); socket.once('error', () => resolve()); });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const write = (b: Buffer | string) => { if (!socket.destroyed) socket.write(b); };
  let frames = 0;
  const h = rng.int(10);
  if (h < 2) {
    // A handshake written badly, or cut.
    const bad = rng.pick([
      upgradeRequest(path, [], rng.pick(['7', '', 'x', '13, 8'])), upgradeRequest(path, [], '13', rng.pick(['', 'short', '!!!!'])),
      upgradeRequest(path).replace('GET', rng.pick(['POST', 'PUT', 'FROB'])), upgradeRequest(path).replace('Upgrade: websocket', 'Upgrade: h2c'),
      upgradeRequest(path, [`X-Big: ${'z'.repeat(rng.int(30000))}`]), upgradeRequest(path).slice(0, rng.int(120)),
      `${upgradeRequest(path)}${'\u0000'.repeat(rng.int(50))}`, 'GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n',
    ]);
    sent.push(`handshake ${JSON.stringify(bad.slice(0, 80))}`);
    write(bad);
    await wait(rng.int(30));
    if (rng.chance(0.5)) socket.resetAndDestroy();
    else socket.end();
  } else {
    write(upgradeRequest(path));
    if (rng.chance(0.1)) {
      await wait(rng.int(5));
      socket.resetAndDestroy();
      sent.push('upgrade then reset');
    } else {
      const hello = { type: 'hello', protocol: 1, role: rng.chance(0.3) ? 'controller' : 'observer', token: target.vm.token };
      const first = rng.chance(0.75) ? hello : mutateValue(rng, hello);
      write(rawFrame(encodeMessage(first as never)));
      sent.push(`hello ${JSON.stringify(first, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      const n = 1 + rng.int(100);
      for (let i = 0; i < n && !socket.destroyed; i++) {
        const r = rng.int(20);
        let f: Buffer;
        if (r < 9) f = rawFrame(encodeMessage(mutateValue(rng, rng.pick(MESSAGES)) as never));
        else if (r < 11) f = rawFrame(encodeMessage(rng.pick(MESSAGES) as never));
        else if (r < 13) f = rawFrame(encodeMessage(randomValue(rng, 3) as never));
        else if (r < 15) f = rawFrame(rng.bytes(rng.int(200)));
        else if (r < 16) f = rawFrame(Buffer.from('text?'), { opcode: 1 });
        else if (r < 17) f = rawFrame(rng.bytes(rng.int(4)), { opcode: rng.pick([3, 4, 7, 0xb, 0xf, 0, 9, 0xa]), fin: rng.chance(0.7) });
        else if (r < 18) f = rawFrame(rng.bytes(8), { rsv: 1 + rng.int(7), masked: rng.chance(0.5) });
        else if (r < 19) f = rawFrame(Buffer.from([rng.int(256), rng.int(256), ...rng.bytes(rng.int(4))]), { opcode: 8 });
        else f = rawFrame(new Uint8Array(rng.chance(0.5) ? 3 * 1024 * 1024 : 70_000), { lengthForm: rng.chance(0.2) ? '16' : undefined });
        write(f);
        frames++;
        if (rng.chance(0.2)) await wait(rng.int(10));
      }
      await wait(20 + rng.int(60));
      if (rng.chance(0.3)) socket.resetAndDestroy();
      else socket.end();
    }
  }
  await Promise.race([closed, wait(3000)]);
  socket.destroy();
  for (const p of reader.payloads) {
    const problem = checkServerFrame(p);
    if (problem !== null) problems.push(problem);
  }
  if (reader.status >= 500) problems.push(`the handshake was answered ${reader.status}`);
  return { sent: sent.join('; ').slice(0, 500), problems, frames };
}

/** An honest controller on a long guest, for as long as the campaign runs: each run must end well and replay. */
class Canary {
  verified = 0;
  private current: Promise<void> | null = null;
  failure: string | null = null;

  constructor(private readonly server: FuzzServer, private readonly guest: string) {}

  start(): void {
    this.current = this.once();
  }

  private async once(): Promise<void> {
    try {
      const vm = await this.server.client.createVm({ guest: this.guest });
      const vmm = new RemoteVmm(await this.server.client.connect(vm, 'controller'));
      await vmm.run();
      const end = await vmm.ended;
      await vmm.conn.close();
      if (end.exitCode !== 0) throw new Error(`the canary ended ${JSON.stringify(end)}`);
      const j = readJournal(await this.server.client.downloadRecording(vm.recording!));
      const r = replayJournal(j);
      if (!r.ok || !j.closed || r.finalDigest !== r.recordedDigest || j.exits.length !== vmm.exitsSeen) {
        throw new Error(`the canary's journal does not verify: ${JSON.stringify(r.divergence)} closed ${j.closed} exits ${j.exits.length}/${vmm.exitsSeen}`);
      }
      await this.server.client.deleteVm(vm.id);
      this.verified++;
    } catch (e) {
      this.failure ??= e instanceof Error ? e.message : String(e);
    }
  }

  /** Waits for the run in progress; starts the next one unless `last`. */
  async lap(last: boolean): Promise<void> {
    await this.current;
    if (!last && this.failure === null) this.start();
  }

  get running(): Promise<void> | null {
    return this.current;
  }
}

export async function wsCampaign(ctx: FuzzContext): Promise<CampaignReport> {
  const report = new CampaignReport('ws', ctx);
  const server = await startServer(ctx.cli, ctx.guestsDir, ['--max-vms', '32']);
  let frames = 0;
  try {
    const canary = new Canary(server, 'mmio-loop.elf');
    canary.start();
    // Victims: VMs the hostile clients talk to (a replay too), replaced when they end.
    const victims: Target[] = [];
    const refill = async () => {
      for (const v of [...victims]) {
        const info = await server.client.getVm(v.vm.id).catch(() => null);
        // A VM whose worker died took a client's frames down with it: a crash, even if the server lives on.
        if (info?.end?.reason === 'worker-exited') report.fail('crash', -1, `VM ${v.vm.id}'s worker died: ${info.end.message ?? ''}`);
        if (info === null || info.state === 'ended') {
          victims.splice(victims.indexOf(v), 1);
          await server.client.deleteVm(v.vm.id).catch(() => {});
        }
      }
      while (victims.length < 3) victims.push({ vm: await server.client.createVm({ guest: victims.length === 0 ? 'breakpoints.elf' : 'hello.elf' }) });
    };
    await refill();
    let lapDone = false;
    void canary.running?.then(() => { lapDone = true; });
    for (const index of cases(ctx, ctx.budget)) {
      const rng = Rng.forCase(ctx.seed, 'ws', index);
      report.inputs++;
      const { sent, problems, frames: n } = await oneConnection(rng, server, victims);
      frames += n;
      for (const p of problems) report.fail('uncoded', index, `${p} (after: ${sent})`);
      report.outcome(problems.length === 0 ? 'ok' : 'problem');
      if (!server.alive()) {
        report.fail('crash', index, `the server died after: ${sent}\n${server.stderr().slice(-3000)}`);
        break;
      }
      if (index % 20 === 19) {
        const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
        if (health !== 200) report.fail('hang', index, `/healthz answered ${health}`);
        await refill();
      }
      if (lapDone) {
        lapDone = false;
        await canary.lap(false);
        void canary.running?.then(() => { lapDone = true; });
      }
      if (index % 200 === 0) ctx.progress(`ws: ${report.inputs} connections, ${frames} frames, canary runs verified ${canary.verified}`);
    }
    await canary.lap(true);
    report.outcome(`frames:${frames}`);
    report.outcome(`canary-runs-verified:${canary.verified}`);
    if (canary.failure !== null) report.fail('lost', -1, `canary: ${canary.failure}`);
    else if (canary.verified === 0) report.fail('lost', -1, 'the canary never finished a run');
  } finally {
    await endCampaignServer(server, report);
  }
  return report;
}
