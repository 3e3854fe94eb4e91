/**
 * The main thread's side of one VM: its worker, its clients, and what the server knows about it without asking
 * (state, icount, exits per reason). It routes: exits go out to the clients as the worker encoded them, requests
 * and answers go in to the worker.
 */
import { Worker } from 'node:worker_threads';
import { encodeMessage, type VmEnd, type VmState, type VmSummary, type ProtocolErrorCode, type RequestBody } from '../../client-sdk/protocol.js';
import type { ExitAnswer } from '../../sim/index.js';
import type { FromWorker, InternalRequest, ToWorker, WorkerInit } from './worker-messages.js';

export class VmRequestError extends Error {
  constructor(readonly code: ProtocolErrorCode | string, message: string) {
    super(message);
  }
}

/** Someone who receives what a VM says: a WebSocket client, seen only through these two calls. */
export interface VmListener {
  send(frame: Uint8Array): void;
  /** An answer of this listener's was refused (wrong seq, bad data). */
  answerRefused?(seq: number | undefined, code: ProtocolErrorCode, message: string): void;
}

const WORKER_URL = new URL('./vm-worker.js', import.meta.url);

export class VmHandle {
  readonly id: string;
  readonly token: string;
  readonly kind: 'live' | 'replay';
  readonly name: string;
  readonly recording: string | null;
  readonly createdAt = new Date().toISOString();
  state: VmState = 'created';
  icount = 0;
  exits = 0;
  readonly exitsByReason: Record<string, number> = {};
  end: VmEnd | null = null;
  controller: VmListener | null = null;
  readonly observers = new Set<VmListener>();
  private readonly worker: Worker;
  private nextRid = 1;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(worker: Worker, init: WorkerInit, token: string, name: string, recording: string | null) {
    this.worker = worker;
    this.id = init.id;
    this.kind = init.kind;
    this.token = token;
    this.name = name;
    this.recording = recording;
  }

  /** Starts the worker and resolves once the machine is built (or rejects with the reason it could not be). */
  static start(init: WorkerInit, token: string, name: string, recording: string | null): Promise<VmHandle> {
    const worker = new Worker(WORKER_URL, { workerData: init });
    const vm = new VmHandle(worker, init, token, name, recording);
    return new Promise((resolve, reject) => {
      const early = (m: FromWorker) => {
        if (m.t === 'ready') {
          vm.state = m.state;
          worker.off('message', early);
          worker.on('message', (msg: FromWorker) => vm.fromWorker(msg));
          resolve(vm);
        } else if (m.t === 'failed') {
          worker.off('message', early);
          void worker.terminate();
          reject(new VmRequestError(m.code, m.message));
        }
      };
      worker.on('message', early);
      worker.once('error', (e) => { vm.workerGone(e); reject(e); });
      worker.once('exit', () => { vm.workerGone(new Error('the VM worker exited')); });
    });
  }

  private fromWorker(m: FromWorker): void {
    switch (m.t) {
      case 'exit':
        this.exits++;
        this.icount = m.icount;
        this.exitsByReason[m.reason] = (this.exitsByReason[m.reason] ?? 0) + 1;
        this.state = m.waiting ? 'waiting' : this.state;
        this.broadcast(m.frame);
        break;
      case 'answered':
        for (const o of this.observers) o.send(m.frame);
        break;
      case 'reply': {
        const call = this.calls.get(m.rid);
        this.calls.delete(m.rid);
        call?.resolve(m.result);
        break;
      }
      case 'error':
        if (m.rid !== undefined) {
          const call = this.calls.get(m.rid);
          this.calls.delete(m.rid);
          call?.reject(new VmRequestError(m.code, m.message));
        } else {
          this.controller?.answerRefused?.(m.seq, m.code, m.message);
        }
        break;
      case 'state':
        this.state = m.state;
        this.icount = m.icount;
        this.broadcast(encodeMessage({ type: 'state', state: m.state, icount: m.icount }));
        break;
      case 'ended':
        this.end = m.end;
        this.state = 'ended';
        this.icount = m.end.icount;
        this.broadcast(encodeMessage({ type: 'ended', end: m.end }));
        break;
      case 'ready': case 'failed':
        break;
    }
  }

  private workerGone(error: Error): void {
    if (this.exited) return;
    this.exited = true;
    for (const call of this.calls.values()) call.reject(new VmRequestError('INTERNAL', error.message));
    this.calls.clear();
    if (this.end === null) {
      this.end = { reason: 'worker-exited', exitCode: 1, icount: this.icount, exits: this.exits, message: error.message };
      this.state = 'ended';
      this.broadcast(encodeMessage({ type: 'ended', end: this.end }));
    }
  }

  /** A request to the vCPU's owner; resolves with its result or rejects with a coded error. */
  request(body: RequestBody | InternalRequest): Promise<unknown> {
    if (this.exited) return Promise.reject(new VmRequestError('VM_ENDED', 'the VM is gone'));
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.calls.set(rid, { resolve, reject });
      this.post({ t: 'req', rid, body });
    });
  }

  answer(answer: ExitAnswer): void {
    if (this.exited) {
      this.controller?.answerRefused?.(answer.seq, 'VM_ENDED', 'the VM is gone');
      return;
    }
    this.post({ t: 'answer', answer });
  }

  attachController(listener: VmListener): boolean {
    if (this.controller !== null) return false;
    this.controller = listener;
    return true;
  }

  /** The controller left: the VM stops at a recorded point, its journal flushed, until a controller comes back. */
  detachController(listener: VmListener): void {
    if (this.controller !== listener) return;
    this.controller = null;
    if (!this.exited) this.post({ t: 'detach' });
  }

  addObserver(listener: VmListener): void {
    this.observers.add(listener);
    this.post({ t: 'observers', count: this.observers.size });
  }

  removeObserver(listener: VmListener): void {
    if (!this.observers.delete(listener)) return;
    this.post({ t: 'observers', count: this.observers.size });
  }

  private broadcast(frame: Uint8Array): void {
    this.controller?.send(frame);
    for (const o of this.observers) o.send(frame);
  }

  private post(message: ToWorker): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  /** Ends the worker (after the VM has ended or been stopped, so that its journal is closed). */
  async terminate(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }

  summary(): VmSummary {
    return {
      id: this.id, kind: this.kind, name: this.name, state: this.state, icount: this.icount, exits: this.exits,
      exitsByReason: { ...this.exitsByReason }, recording: this.recording, controller: this.controller !== null,
      observers: this.observers.size, createdAt: this.createdAt, ...(this.end !== null ? { end: this.end } : {}),
    };
  }
}
