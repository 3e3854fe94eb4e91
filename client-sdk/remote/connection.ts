/**
 * One WebSocket channel to one VM (docs/protocol.md): the hello, requests that resolve with their reply or reject
 * with a coded ProtocolError, answers, and the stream of exits and events.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { ExitAnswer, VcpuExit } from '../../sim/index.js';
import { SchemaError } from '../../sim/schema/schema.js';
import {
  PROTOCOL_VERSION, decodeMessage, encodeMessage,
  type Place, type ProtocolErrorCode, type TravelStop, type RequestBody, type Role, type VmEnd, type VmState, type VmStatus,
} from '../protocol.js';
import { REPLY_SCHEMAS, serverMessageSchema, type ServerMessageChecked } from '../protocol-schema.js';

/** A frame from the server, decoded and checked against the protocol's schemas (a ProtocolError BAD_FRAME if not). */
function serverMessage(data: Buffer): ServerMessageChecked {
  let value: unknown;
  try {
    value = decodeMessage(data);
  } catch (e) {
    throw new ProtocolError('BAD_FRAME', `the server sent a frame that is not msgpack (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return serverMessageSchema.parse(value);
  } catch (e) {
    if (e instanceof SchemaError) throw new ProtocolError('BAD_FRAME', `the server sent a message that is not the protocol's: ${e.message}`);
    throw e;
  }
}

export class ProtocolError extends Error {
  constructor(readonly code: ProtocolErrorCode | string, message: string, readonly id?: number, readonly seq?: number) {
    super(`${code}: ${message}`);
  }
}

export interface Welcome {
  role: Role;
  vm: VmStatus;
  waiting?: VcpuExit;
}

export interface ConnectionEvents {
  exit: [exit: VcpuExit, answer: ExitAnswer | undefined];
  answer: [answer: ExitAnswer];
  state: [state: VmState, icount: number];
  /** The VM's time traveller moved (with why it stopped), started showing the past, or came back (place null). */
  travel: [place: Place | null, stop: TravelStop | undefined];
  ended: [end: VmEnd];
  /** An error not tied to a request: a refused answer (with its seq), or the reason the server closed the channel. */
  error: [error: ProtocolError];
  close: [code: number, reason: string];
}

/**
 * What the SDK's controllers (RemoteVmm, Traveller) need of a channel to one VM: a VmConnection over WebSocket, or
 * a VM served in the same process (the CLI's `--gdb`) that speaks the same messages without a socket.
 */
export interface VmLink {
  readonly welcome: Welcome;
  request<T = unknown>(body: RequestBody): Promise<T>;
  answer(answer: ExitAnswer): void;
  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): unknown;
  once<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): unknown;
  off<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): unknown;
  close(): Promise<void>;
}

export class VmConnection extends EventEmitter<ConnectionEvents> {
  readonly welcome: Welcome;
  private nextId = 1;
  private readonly calls = new Map<number, { op: RequestBody['op']; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closedWith: { code: number; reason: string } | null = null;

  private constructor(private readonly ws: WebSocket, welcome: Welcome) {
    super();
    this.welcome = welcome;
    ws.on('message', (data) => this.onFrame(data as Buffer));
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      for (const call of this.calls.values()) call.reject(new ProtocolError('CLOSED', `the channel closed (${code} ${reason.toString()})`));
      this.calls.clear();
      this.emit('close', code, reason.toString());
    });
    // Without a listener an 'error' event would throw; errors reach callers through 'close' and rejected calls.
    ws.on('error', () => {});
  }

  /** Opens the channel at `url` (ws://host:port/v1/vms/ID/channel) and says hello; resolves at the welcome. */
  static open(url: string, options: { token: string; role: Role }): Promise<VmConnection> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => { ws.terminate(); reject(e); };
      ws.once('unexpected-response', (_req, res) => fail(new ProtocolError(res.statusCode === 404 ? 'VM_NOT_FOUND' : 'HTTP', `the server answered ${res.statusCode}`)));
      ws.once('error', fail);
      ws.once('open', () => {
        ws.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: options.role, token: options.token }));
      });
      ws.once('message', (data) => {
        ws.off('error', fail);
        let m: ServerMessageChecked;
        try {
          m = serverMessage(data as Buffer);
        } catch (e) {
          return fail(e as Error);
        }
        if (m.type === 'welcome') {
          resolve(new VmConnection(ws, { role: m.role, vm: m.vm, ...(m.waiting !== undefined ? { waiting: m.waiting } : {}) }));
        } else if (m.type === 'error') {
          ws.close();
          reject(new ProtocolError(m.code, m.message));
        } else {
          fail(new ProtocolError('BAD_FRAME', `expected welcome, got ${m.type}`));
        }
      });
      ws.once('close', (code, reason) => reject(new ProtocolError('CLOSED', `closed before the welcome (${code} ${reason.toString()})`)));
    });
  }

  get closed(): { code: number; reason: string } | null {
    return this.closedWith;
  }

  private onFrame(data: Buffer): void {
    let m: ServerMessageChecked;
    try {
      m = serverMessage(data);
    } catch (e) {
      // A server that speaks something else cannot be followed: say why, and leave.
      if (this.listenerCount('error') > 0) this.emit('error', e as ProtocolError);
      this.ws.close(1002, 'bad frame from the server');
      return;
    }
    switch (m.type) {
      case 'exit': this.emit('exit', m.exit, m.answer); break;
      case 'answer': this.emit('answer', m.answer); break;
      case 'state': this.emit('state', m.state, m.icount); break;
      case 'travel': this.emit('travel', m.place, m.stop); break;
      case 'ended': this.emit('ended', m.end); break;
      case 'reply': {
        const call = this.calls.get(m.id);
        if (call === undefined) break;
        this.calls.delete(m.id);
        let result: unknown;
        try {
          result = REPLY_SCHEMAS[call.op].parse(m.result);
        } catch (e) {
          if (!(e instanceof SchemaError)) throw e;
          call.reject(new ProtocolError('BAD_REPLY', `the reply to ${call.op} is not what the protocol says: ${e.message}`, m.id));
          break;
        }
        call.resolve(result);
        break;
      }
      case 'error': {
        const err = new ProtocolError(m.code, m.message, m.id, m.seq);
        const call = m.id === undefined ? undefined : this.calls.get(m.id);
        if (call !== undefined) {
          this.calls.delete(m.id!);
          call.reject(err);
        } else if (this.listenerCount('error') > 0) {
          this.emit('error', err);
        }
        break;
      }
      case 'welcome': break;
    }
  }

  /** Sends a request; resolves with the reply's result. */
  request<T = unknown>(body: RequestBody): Promise<T> {
    if (this.closedWith !== null) return Promise.reject(new ProtocolError('CLOSED', 'the channel is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { op: body.op, resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(encodeMessage({ type: 'req', id, ...body }));
    });
  }

  /** Answers an exit. No reply comes: the next exit is the reply, a refusal comes as an 'error' event with the seq. */
  answer(answer: ExitAnswer): void {
    if (this.closedWith === null) this.ws.send(encodeMessage({ type: 'answer', answer }));
  }

  /** Sends raw bytes (for tests of the server's defences). */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  close(): Promise<void> {
    if (this.closedWith !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'bye');
    });
  }
}
