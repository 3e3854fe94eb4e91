/**
 * A VM as its channels see it, inside the VM's worker: it routes exits from the VM to every client (encoded once, by
 * the VM), requests and answers from the clients to the VM, and keeps the figures the main thread shows over HTTP.
 * The main thread hears about the VM only when something it shows changes, and the counts at most every
 * FIGURES_EVERY_MS, so an exit's round trip stays inside this thread.
 */
import type { ExitAnswer } from '../../sim/index.js';
import { encodeMessage, type ProtocolErrorCode, type RequestBody, type VmEnd, type VmState } from '../../client-sdk/protocol.js';
import type { ChannelVm, VmListener } from '../channel/vm-channel.js';
import type { WorkerPort } from './live-vm.js';
import { PendingCalls } from './pending-calls.js';
import { RoundTripCounter, type RoundTripCounts } from './round-trip-counts.js';
import { VmRequestError } from './vm-request-error.js';
import type { InternalRequest, VmCommand, VmEvent, VmFigures } from './worker-messages.js';

const FIGURES_EVERY_MS = 250;
/** How long a running VM's exit must have waited for its answer before the figures say 'waiting'. */
const WAIT_SHOWN_AFTER_MS = 20;

/** The VM behind the hub: LiveVm or ReplayVm. */
export interface HubVm {
  handle(command: VmCommand): void;
}

export class VmHub implements ChannelVm {
  readonly id: string;
  readonly kind: 'live' | 'replay';
  readonly token: string;
  state: VmState = 'created';
  icount = 0;
  exits = 0;
  end: VmEnd | null = null;
  controller: VmListener | null = null;
  readonly observers = new Set<VmListener>();
  /** Where the VM posts its events. */
  readonly port: WorkerPort = { post: (event) => this.onEvent(event), defer: (fn) => setImmediate(fn) };
  private readonly exitsByReason: Record<string, number> = {};
  private vm: HubVm | null = null;
  private readonly calls = new PendingCalls();
  private figuresTimer: NodeJS.Timeout | null = null;

  /** When the exit waiting for its answer was sent (performance.now()), and the round trips measured since the last figures. */
  private exitSentAt = 0;
  /** Whether the VM was running when its waiting exit came (a round trip of a running VM, not a stop). */
  private runningBeforeWait = false;
  private readonly roundTrips = new RoundTripCounter();

  constructor(init: { id: string; kind: 'live' | 'replay'; token: string }, private readonly publish: (figures: VmFigures, roundTrips: RoundTripCounts | null) => void) {
    this.id = init.id;
    this.kind = init.kind;
    this.token = init.token;
  }

  /** The VM is built (it needed the hub's port to be). */
  bind(vm: HubVm, state: VmState): void {
    this.vm = vm;
    this.state = state;
  }

  figures(): VmFigures {
    return {
      state: this.shownState(), icount: this.icount, exits: this.exits, exitsByReason: { ...this.exitsByReason },
      controller: this.controller !== null, observers: this.observers.size, end: this.end,
    };
  }

  private onEvent(e: VmEvent): void {
    switch (e.t) {
      case 'exit':
        this.exits++;
        this.icount = e.icount;
        this.exitsByReason[e.reason] = (this.exitsByReason[e.reason] ?? 0) + 1;
        if (e.waiting) {
          this.runningBeforeWait = this.state === 'running';
          this.state = 'waiting';
          this.exitSentAt = performance.now();
        }
        this.broadcast(e.frame);
        this.publishSoon();
        break;
      case 'answered':
        // Without this the figures (GET /v1/vms, /metrics) would say 'waiting' until the next state change.
        this.state = e.state;
        this.roundTrips.add((performance.now() - this.exitSentAt) / 1000);
        this.publishSoon();
        this.controller?.answerAccepted?.();
        if (e.frame !== null) for (const o of this.observers) o.send(e.frame);
        break;
      case 'reply':
        this.calls.resolve(e.rid, e.result);
        break;
      case 'error':
        if (e.rid !== undefined) {
          this.calls.reject(e.rid, new VmRequestError(e.code, e.message));
        } else {
          this.controller?.answerRefused?.(e.seq, e.code, e.message);
        }
        break;
      case 'state':
        this.state = e.state;
        this.icount = e.icount;
        this.broadcast(encodeMessage({ type: 'state', state: e.state, icount: e.icount }));
        this.publishNow();
        break;
      case 'travel':
        this.broadcast(encodeMessage({ type: 'travel', place: e.place, ...(e.stop !== undefined ? { stop: e.stop } : {}) }));
        break;
      case 'ended':
        this.end = e.end;
        this.state = 'ended';
        this.icount = e.end.icount;
        this.broadcast(encodeMessage({ type: 'ended', end: e.end }));
        this.publishNow();
        break;
    }
  }

  /**
   * The state the figures show. A running VM whose exits are answered as they come spends much of its time
   * waiting for a few microseconds at a time, and the figures are published while the worker idles, that is while
   * an exit waits: shown as is, such a VM would always look 'waiting'. So a wait is shown only once it has lasted
   * WAIT_SHOWN_AFTER_MS (a controller that does not answer); a young one of a running VM shows 'running', and the
   * figures are published again a little later to catch a wait that goes on.
   */
  private shownState(): VmState {
    if (this.state !== 'waiting' || !this.runningBeforeWait) return this.state;
    return performance.now() - this.exitSentAt < WAIT_SHOWN_AFTER_MS ? 'running' : 'waiting';
  }

  private publishNow(): void {
    if (this.figuresTimer !== null) clearTimeout(this.figuresTimer);
    this.figuresTimer = null;
    if (this.shownState() !== this.state) this.publishSoon();
    this.publish(this.figures(), this.roundTrips.take());
  }

  private publishSoon(): void {
    if (this.figuresTimer !== null) return;
    this.figuresTimer = setTimeout(() => this.publishNow(), FIGURES_EVERY_MS);
    this.figuresTimer.unref();
  }

  /** A request to the vCPU's owner; resolves with its result or rejects with a coded error. */
  request(body: RequestBody | InternalRequest): Promise<unknown> {
    return this.calls.call((rid) => this.command({ t: 'req', rid, body }));
  }

  answer(answer: ExitAnswer): void {
    this.command({ t: 'answer', answer });
  }

  attachController(listener: VmListener): boolean {
    if (this.controller !== null) return false;
    this.controller = listener;
    this.publishNow();
    return true;
  }

  /** The controller left: the VM stops at a recorded point, its journal flushed, until a controller comes back. */
  detachController(listener: VmListener): void {
    if (this.controller !== listener) return;
    this.controller = null;
    this.command({ t: 'detach' });
    this.publishNow();
  }

  addObserver(listener: VmListener): void {
    this.observers.add(listener);
    this.command({ t: 'observers', count: this.observers.size });
    this.publishNow();
  }

  removeObserver(listener: VmListener): void {
    if (!this.observers.delete(listener)) return;
    this.command({ t: 'observers', count: this.observers.size });
    this.publishNow();
  }

  private broadcast(frame: Uint8Array): void {
    this.controller?.send(frame);
    for (const o of this.observers) o.send(frame);
  }

  private command(command: VmCommand): void {
    if (this.vm === null) throw new VmRequestError('INTERNAL' satisfies ProtocolErrorCode, 'the VM is not built yet');
    this.vm.handle(command);
  }
}
