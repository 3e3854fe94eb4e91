/**
 * The SDK's side of the channel's typed decoding: a server that does not speak the protocol cannot make a client
 * resolve a request with a wrong-shaped result or emit an event it cannot read. A stand-in server (the ws package,
 * no hindsight code) sends what the test tells it to.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '../protocol.js';
import { ProtocolError, VmConnection } from './connection.js';

const WELCOME = {
  type: 'welcome', protocol: PROTOCOL_VERSION, role: 'controller',
  vm: { id: 'vm-1', kind: 'live', state: 'paused', icount: 0, exits: 0 },
};

let wss: WebSocketServer | null = null;
afterEach(async () => {
  const server = wss;
  wss = null;
  if (server !== null) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A server that answers the hello with `welcome` and hands each later client message to `onMessage`. Resolves with
 * the channel's URL.
 */
async function standIn(welcome: unknown, onMessage: (ws: WebSocket, m: Record<string, unknown>) => void = () => {}): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss = server;
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = decodeMessage(data as Buffer) as Record<string, unknown>;
      if (m.type === 'hello') ws.send(welcome instanceof Uint8Array ? welcome : encodeMessage(welcome as never));
      else onMessage(ws, m);
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/vms/vm-1/channel`;
}

const open = (url: string) => VmConnection.open(url, { token: 'vm-token', role: 'controller' });
const closeOf = (conn: VmConnection) => new Promise<number>((resolve) => conn.once('close', (code) => resolve(code)));

describe('the SDK checks what the server sends', () => {
  it('a welcome that is not the protocol\'s fails the open with BAD_FRAME, naming the field', async () => {
    const url = await standIn({ ...WELCOME, vm: { ...WELCOME.vm, icount: 'zero' } });
    const err = await open(url).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'BAD_FRAME' });
    expect((err as Error).message).toMatch(/icount/);
  }, 15_000);

  it('a reply of the wrong shape for its op rejects that request with BAD_REPLY; the channel stays usable', async () => {
    let replies = 0;
    const url = await standIn(WELCOME, (ws, m) => {
      if (m.type !== 'req') return;
      // The first status reply has a state the protocol does not have; the second is right.
      const state = replies++ === 0 ? 'dancing' : 'paused';
      ws.send(encodeMessage({ type: 'reply', id: m.id as number, result: { state, icount: 5, exits: 1 } } as never));
    });
    const conn = await open(url);
    await expect(conn.request({ op: 'status' })).rejects.toMatchObject({ code: 'BAD_REPLY' });
    await expect(conn.request({ op: 'status' })).resolves.toMatchObject({ state: 'paused', icount: 5, exits: 1 });
    expect(conn.closed).toBeNull();
    await conn.close();
  }, 15_000);

  it('an event the SDK cannot read (an exit without its fields, bytes that are not msgpack) is BAD_FRAME and a 1002 close', async () => {
    for (const frame of [
      encodeMessage({ type: 'exit', exit: { seq: 0, reason: 'MMIO' } } as never),
      new Uint8Array([0xc1]),
      encodeMessage({ type: 'state', state: 'running' } as never),
    ]) {
      const url = await standIn(WELCOME, (ws, m) => {
        if (m.type === 'req') ws.send(frame);
      });
      const conn = await open(url);
      const errors: ProtocolError[] = [];
      conn.on('error', (e) => errors.push(e));
      let exits = 0;
      conn.on('exit', () => exits++);
      const closed = closeOf(conn);
      const pending = conn.request({ op: 'run' });
      expect(await closed).toBe(1002);
      await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
      expect(errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
      expect(exits).toBe(0);
      const server = wss!;
      wss = null;
      await new Promise((resolve) => server.close(resolve));
    }
  }, 15_000);
});
