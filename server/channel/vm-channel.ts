/**
 * One client's WebSocket on one VM: the hello and its token, the role, then requests and answers in, exits and
 * replies out. Every way a client can misbehave ends in a coded error, and where the connection cannot go on, in
 * a close with the matching status; the VM and the server carry on.
 */
import type { WebSocket, RawData } from 'ws';
import {
  CLOSE, PROTOCOL_VERSION, OBSERVER_OPS, decodeMessage, encodeMessage,
  type ClientMessage, type ProtocolErrorCode, type RequestBody, type Role, type ServerMessage, type VmEnd, type VmState,
} from '../../client-sdk/protocol.js';
import type { ExitAnswer, VcpuExit } from '../../sim/index.js';
import { observerToken, tokensEqual } from '../auth.js';
import type { ServerLimits } from '../config.js';
import { errorCode } from '../vm/vm-request-error.js';
import { MessageError, parseClientMessage } from './validate.js';

/** Someone who receives what a VM says: a WebSocket client, seen only through these two calls. */
export interface VmListener {
  send(frame: Uint8Array): void;
  /** An answer of this listener's was refused (wrong seq, bad data). */
  answerRefused?(seq: number | undefined, code: ProtocolErrorCode, message: string): void;
  /** An answer of this listener's was accepted. */
  answerAccepted?(): void;
}

/** The VM a channel serves (its hub, in the VM's worker). */
export interface ChannelVm {
  readonly id: string;
  readonly kind: 'live' | 'replay';
  readonly token: string;
  readonly state: VmState;
  readonly icount: number;
  readonly exits: number;
  readonly end: VmEnd | null;
  readonly controller: VmListener | null;
  request(body: RequestBody): Promise<unknown>;
  answer(answer: ExitAnswer): void;
  attachController(listener: VmListener): boolean;
  detachController(listener: VmListener): void;
  addObserver(listener: VmListener): void;
  removeObserver(listener: VmListener): void;
}

/** What /metrics counts about channels. */
export interface ChannelMetrics {
  connection(delta: number, role: Role): void;
  protocolError(code: ProtocolErrorCode): void;
}

const HELLO_TIMEOUT_MS = 10_000;
/** The longest message an error frame carries. */
const MAX_ERROR_MESSAGE = 1000;

export class VmChannel implements VmListener {
  private role: Role | null = null;
  private helloSeen = false;
  private readonly early: ClientMessage[] = [];
  private inFlight = 0;
  private errors = 0;
  private closed = false;
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly vm: ChannelVm,
    private readonly limits: ServerLimits,
    private readonly metrics: ChannelMetrics,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
    this.helloTimer = setTimeout(() => this.fatal('BAD_HELLO', 'no hello in time', CLOSE.POLICY), HELLO_TIMEOUT_MS);
    this.helloTimer.unref();
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.role === 'observer' && this.ws.bufferedAmount > this.limits.observerBacklogBytes) {
      this.fatal('TOO_MANY_PENDING', 'the observer does not keep up with the exit stream', CLOSE.POLICY);
      return;
    }
    this.ws.send(frame);
  }

  answerRefused(seq: number | undefined, code: ProtocolErrorCode, message: string): void {
    this.error(code, message, { ...(seq !== undefined ? { seq } : {}) });
  }

  /** Only what the VM took breaks a run of errors: an answer it refuses counts as one (answerRefused). */
  answerAccepted(): void {
    this.errors = 0;
  }

  private message(m: ServerMessage): void {
    this.send(encodeMessage(m));
  }

  private error(code: ProtocolErrorCode, message: string, where: { id?: number; seq?: number } = {}): void {
    this.metrics.protocolError(code);
    // Short, whatever it quotes: an error says what is wrong, it does not echo a client's megabyte back.
    this.message({ type: 'error', ...where, code, message: message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message });
    // A client that keeps sending what cannot work is flooding: stop listening to it.
    if (++this.errors > this.limits.maxErrorsPerConnection) this.fatal('TOO_MANY_PENDING', 'too many errors on one connection', CLOSE.FLOOD);
  }

  private fatal(code: ProtocolErrorCode, message: string, closeCode: number): void {
    if (this.closed) return;
    this.metrics.protocolError(code);
    this.ws.send(encodeMessage({ type: 'error', code, message }));
    this.ws.close(closeCode, message.slice(0, 120));
    this.onClose();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) return this.fatal('BAD_FRAME', 'frames are binary msgpack, not text', CLOSE.UNSUPPORTED_DATA);
    let parsed: ClientMessage;
    try {
      parsed = parseClientMessage(decodeMessage(data as Buffer));
    } catch (e) {
      const { code, message, id, seq } = e instanceof MessageError ? e : { code: 'BAD_FRAME' as const, message: 'not a msgpack value', id: undefined, seq: undefined };
      if (this.role === null) return this.fatal(code === 'BAD_FRAME' ? code : 'BAD_HELLO', message, CLOSE.PROTOCOL_ERROR);
      return this.error(code, message, { ...(id !== undefined ? { id } : {}), ...(seq !== undefined ? { seq } : {}) });
    }
    if (this.role === null) {
      if (!this.helloSeen) {
        this.helloSeen = true;
        return void this.hello(parsed);
      }
      // Pipelined behind the hello: kept until the welcome is out, then taken in order.
      if (this.early.length >= this.limits.maxPendingRequests) return this.fatal('TOO_MANY_PENDING', 'too much sent before the welcome', CLOSE.FLOOD);
      this.early.push(parsed);
      return;
    }
    this.dispatch(parsed);
  }

  private dispatch(parsed: ClientMessage): void {
    switch (parsed.type) {
      case 'hello':
        return this.error('BAD_REQUEST', 'hello was already said');
      case 'answer':
        if (this.role !== 'controller') return this.error('NOT_CONTROLLER', 'only the controller answers exits', { seq: parsed.answer.seq });
        return this.vm.answer(parsed.answer);
      case 'req': {
        const { type: _type, id, ...body } = parsed;
        if (this.role !== 'controller' && !OBSERVER_OPS.has(body.op)) {
          return this.error('NOT_CONTROLLER', `an observer cannot ${body.op}`, { id });
        }
        if (this.inFlight >= this.limits.maxPendingRequests) {
          return this.fatal('TOO_MANY_PENDING', `more than ${this.limits.maxPendingRequests} requests in flight`, CLOSE.FLOOD);
        }
        this.inFlight++;
        this.vm.request(body).then(
          (result) => { this.inFlight--; this.errors = 0; this.message({ type: 'reply', id, result }); },
          (e: unknown) => {
            this.inFlight--;
            const code = errorCode(e) as ProtocolErrorCode;
            this.error(code, e instanceof Error ? e.message : String(e), { id });
          },
        );
        return;
      }
    }
  }

  private async hello(m: ClientMessage): Promise<void> {
    if (m.type !== 'hello') return this.fatal('BAD_HELLO', 'the first message must be hello', CLOSE.PROTOCOL_ERROR);
    clearTimeout(this.helloTimer);
    if (m.protocol !== PROTOCOL_VERSION) {
      return this.fatal('UNSUPPORTED_PROTOCOL', `this server speaks protocol ${PROTOCOL_VERSION}, not ${m.protocol}`, CLOSE.PROTOCOL_ERROR);
    }
    // The VM's token for any role; its observer token (server/auth.ts) for an observer only.
    const tokenOk = tokensEqual(m.token, this.vm.token) || (m.role === 'observer' && tokensEqual(m.token, observerToken(this.vm.token)));
    if (!tokenOk) return this.fatal('UNAUTHORIZED', 'wrong VM token', CLOSE.UNAUTHORIZED);
    if (m.role === 'controller' && this.vm.controller !== null) {
      return this.fatal('CONTROLLER_PRESENT', 'the VM already has a controller', CLOSE.CONTROLLER_PRESENT);
    }
    let status: { waiting?: VcpuExit } & Record<string, unknown>;
    try {
      status = await this.vm.request({ op: 'status' }) as typeof status;
    } catch {
      status = { state: this.vm.state, icount: this.vm.icount, exits: this.vm.exits };
    }
    if (this.closed) return;
    // Attach and welcome in the same turn as the status reply: no worker message can come in between, so the
    // client sees every exit after the welcome exactly once.
    if (m.role === 'controller' && !this.vm.attachController(this)) {
      return this.fatal('CONTROLLER_PRESENT', 'the VM already has a controller', CLOSE.CONTROLLER_PRESENT);
    }
    this.role = m.role;
    if (m.role === 'observer') this.vm.addObserver(this);
    this.metrics.connection(+1, m.role);
    const { waiting, ...rest } = status;
    this.message({
      type: 'welcome', protocol: PROTOCOL_VERSION, role: m.role,
      vm: { id: this.vm.id, kind: this.vm.kind, ...(rest as { state: never; icount: number; exits: number }) },
      ...(waiting !== undefined ? { waiting } : {}),
    });
    if (this.vm.end !== null) this.message({ type: 'ended', end: this.vm.end });
    for (const early of this.early.splice(0)) this.dispatch(early);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    if (this.role === 'controller') this.vm.detachController(this);
    if (this.role === 'observer') this.vm.removeObserver(this);
    if (this.role !== null) this.metrics.connection(-1, this.role);
  }

  /** The server is shutting down or the VM is deleted. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    this.onClose();
  }
}
