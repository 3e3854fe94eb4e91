/**
 * The main thread's side of one VM: its worker, and what the server shows about it over HTTP without asking (state,
 * icount, exits per reason, clients), as the worker last reported it. The VM's clients are not here: their
 * connections are handed to the worker at the upgrade (socket-handoff.ts), which serves them itself.
 */
import { closeSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { RequestBody, VmEnd, VmState, VmSummary } from '../../client-sdk/protocol.js';
import { releaseSocket } from '../channel/socket-handoff.js';
import type { Logger } from '../log.js';
import type { VmMetrics } from '../metrics.js';
import { PendingCalls } from './pending-calls.js';
import { workerEnded, workerStarted } from './release-memory.js';
import { VmRequestError } from './vm-request-error.js';
import type { InternalRequest, MainToWorker, VmFigures, WorkerInit, WorkerToMain } from './worker-messages.js';

const WORKER_URL = new URL('./vm-thread.js', import.meta.url);

export class VmHandle {
  readonly id: string;
  readonly token: string;
  readonly kind: 'live' | 'replay';
  readonly name: string;
  readonly recording: string | null;
  readonly createdAt = new Date().toISOString();
  private figures: VmFigures;
  private readonly worker: Worker;
  private readonly calls = new PendingCalls();
  private exited = false;

  private constructor(worker: Worker, init: WorkerInit, name: string, recording: string | null, figures: VmFigures,
    private readonly metrics: VmMetrics, private readonly log: Logger) {
    this.worker = worker;
    this.id = init.id;
    this.kind = init.kind;
    this.token = init.token;
    this.name = name;
    this.recording = recording;
    this.figures = figures;
  }

  /** Starts the worker and resolves once the machine is built (or rejects with the reason it could not be). */
  static start(init: WorkerInit, name: string, recording: string | null, metrics: VmMetrics, log: Logger): Promise<VmHandle> {
    const worker = new Worker(WORKER_URL, { workerData: init });
    workerStarted();
    return new Promise((resolve, reject) => {
      let vm: VmHandle | null = null;
      const early = (m: WorkerToMain) => {
        if (m.t === 'ready') {
          vm = new VmHandle(worker, init, name, recording, m.figures, metrics, log);
          worker.off('message', early);
          worker.on('message', (msg: WorkerToMain) => vm!.fromWorker(msg));
          resolve(vm);
        } else if (m.t === 'failed') {
          worker.off('message', early);
          void worker.terminate();
          reject(new VmRequestError(m.code, m.message));
        }
      };
      worker.on('message', early);
      worker.once('error', (e) => { vm?.workerGone(e); reject(e); });
      worker.once('exit', () => {
        vm?.workerGone(new Error('the VM worker exited'));
        // The thread is gone; what its isolate freed sits in the C allocator until handed back.
        workerEnded();
      });
    });
  }

  get state(): VmState {
    return this.figures.state;
  }

  get end(): VmEnd | null {
    return this.figures.end;
  }

  /** Clients attached to the VM's channel (its controller and observers), as the worker last reported. */
  get clients(): number {
    return (this.figures.controller ? 1 : 0) + this.figures.observers;
  }

  /** Whether the worker is there to take requests and connections. */
  get alive(): boolean {
    return !this.exited;
  }

  private fromWorker(m: WorkerToMain): void {
    switch (m.t) {
      case 'figures':
        if (m.roundTrips !== undefined) this.metrics.exitRoundTrips(m.roundTrips);
        // A worker that has gone keeps the end it was given (workerGone), whatever it said before.
        if (this.exited) break;
        if (this.figures.end === null && m.figures.end !== null) this.log.info({ vm: this.id, ...m.figures.end }, 'vm ended');
        this.figures = m.figures;
        break;
      case 'reply':
        this.calls.resolve(m.rid, m.result);
        break;
      case 'error':
        this.calls.reject(m.rid, new VmRequestError(m.code, m.message));
        break;
      case 'metric':
        if (m.connections !== undefined) {
          this.metrics.connection(m.connections, m.role ?? 'controller');
          this.log.info({ vm: this.id, role: m.role }, m.connections > 0 ? 'client connected' : 'client disconnected');
        }
        if (m.protocolError !== undefined) {
          this.metrics.protocolError(m.protocolError);
          this.log.warn({ vm: this.id, code: m.protocolError }, 'protocol error sent to a client');
        }
        break;
      case 'ready': case 'failed':
        break;
    }
  }

  private workerGone(error: Error): void {
    if (this.exited) return;
    this.exited = true;
    this.calls.rejectAll(new VmRequestError('INTERNAL', error.message));
    const f = this.figures;
    if (f.end === null) {
      this.figures = { ...f, state: 'ended', controller: false, observers: 0, end: { reason: 'worker-exited', exitCode: 1, icount: f.icount, exits: f.exits, message: error.message } };
      this.log.error({ vm: this.id, err: error }, 'vm worker gone');
    }
  }

  /** A request to the vCPU's owner; resolves with its result or rejects with a coded error. */
  request(body: RequestBody | InternalRequest): Promise<unknown> {
    if (this.exited) return Promise.reject(new VmRequestError('VM_ENDED', 'the VM is gone'));
    return this.calls.call((rid) => this.post({ t: 'req', rid, body }));
  }

  /** Gives a client's connection to the VM's channel to the worker, which completes the WebSocket handshake. */
  adopt(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const handed = releaseSocket(socket, req, head);
    try {
      if (this.exited) throw new Error('the worker is gone');
      this.post({ t: 'adopt', socket: handed });
    } catch {
      // The worker never got it: the descriptor is still this thread's alone, to close.
      try { closeSync(handed.fd); } catch { /* already gone */ }
    }
  }

  /** Closes every client's channel with this WebSocket status (the VM is deleted, the server stops). */
  async closeChannels(code: number, reason: string): Promise<void> {
    if (this.exited) return;
    await this.calls.call((rid) => this.post({ t: 'close-channels', rid, code, reason }));
  }

  private post(message: MainToWorker): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  /** Ends the worker (after the VM has ended or been stopped, so that its journal is closed). */
  async terminate(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }

  summary(): VmSummary {
    const f = this.figures;
    return {
      id: this.id, kind: this.kind, name: this.name, state: f.state, icount: f.icount, exits: f.exits,
      exitsByReason: { ...f.exitsByReason }, recording: this.recording, controller: f.controller,
      observers: f.observers, createdAt: this.createdAt, ...(f.end !== null ? { end: f.end } : {}),
    };
  }
}
