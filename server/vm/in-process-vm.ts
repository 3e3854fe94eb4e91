/**
 * A VM served in this process to one controller, with no server and no socket: the LiveVm or ReplayVm a server's
 * worker would run, behind the same messages a VmConnection carries. The CLI's `run|record|replay --gdb` use it, so
 * the GDB stub drives a local machine through exactly the verbs it uses on a VM of `hindsight serve`.
 *
 * Events reach the controller asynchronously and in order, as frames arrive from a socket: a controller that
 * answers an exit from its event handler never re-enters the VM inside its own call, and between exits the process
 * still reads its sockets (gdb's Ctrl-C).
 */
import { EventEmitter } from 'node:events';
import type { ExitAnswer, VcpuExit } from '../../sim/index.js';
import { decodeMessage, type RequestBody, type ServerMessage } from '../../client-sdk/protocol.js';
import { ProtocolError, type ConnectionEvents, type Welcome } from '../../client-sdk/remote/connection.js';
import { LiveVm, type WorkerPort } from './live-vm.js';
import { PendingCalls } from './pending-calls.js';
import { ReplayVm } from './replay-vm.js';
import type { LiveInit, ReplayInit, VmEvent } from './worker-messages.js';

export class InProcessVm extends EventEmitter<ConnectionEvents> {
  readonly welcome: Welcome;
  private readonly vm: LiveVm | ReplayVm;
  private readonly calls = new PendingCalls();
  private readonly pending: VmEvent[] = [];
  private flushScheduled = false;
  private exitPending = false;
  private closed = false;

  constructor(init: LiveInit | ReplayInit) {
    super();
    const port: WorkerPort = { post: (event) => this.post(event), defer: (fn) => setImmediate(fn) };
    this.vm = init.kind === 'live' ? new LiveVm(init, port) : new ReplayVm(init, port);
    this.welcome = { role: 'controller', vm: { id: init.id, kind: init.kind, state: this.vm.state, icount: 0, exits: 0 } };
  }

  /** The live VM, for what only the process hosting it may do (flush its journal on a signal). */
  get live(): LiveVm | null {
    return this.vm instanceof LiveVm ? this.vm : null;
  }

  request<T = unknown>(body: RequestBody): Promise<T> {
    if (this.closed) return Promise.reject(new ProtocolError('CLOSED', 'the VM link is closed'));
    return this.calls.call((rid) => this.vm.handle({ t: 'req', rid, body })) as Promise<T>;
  }

  answer(answer: ExitAnswer): void {
    if (!this.closed) this.vm.handle({ t: 'answer', answer });
  }

  /** The controller leaves: as over a socket, the VM stops at a recorded point and its journal is flushed. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.vm.handle({ t: 'detach' });
    this.closed = true;
    this.calls.rejectAll(new ProtocolError('CLOSED', 'the VM link closed'));
    return Promise.resolve();
  }

  private post(event: VmEvent): void {
    this.pending.push(event);
    if (event.t === 'exit') this.exitPending = true;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flushSoon());
  }

  /**
   * Replies and notices go out once the VM's call has returned (a microtask: a debugger's travel request costs no
   * trip through the event loop); a batch holding an exit waits for the next turn of the loop, so that a guest
   * whose exits are answered at once still lets the process read its sockets between them.
   */
  private flushSoon(): void {
    if (this.exitPending) setImmediate(() => this.flush());
    else this.flush();
  }

  private flush(): void {
    this.flushScheduled = false;
    this.exitPending = false;
    for (const e of this.pending.splice(0)) this.deliver(e);
  }

  private deliver(e: VmEvent): void {
    switch (e.t) {
      case 'exit': {
        const m = decodeMessage(e.frame) as Extract<ServerMessage, { type: 'exit' }>;
        this.emit('exit', m.exit as VcpuExit, m.answer);
        break;
      }
      case 'reply': this.calls.resolve(e.rid, e.result); break;
      case 'error': {
        const err = new ProtocolError(e.code, e.message, e.rid, e.seq);
        if (e.rid !== undefined) this.calls.reject(e.rid, err);
        else if (this.listenerCount('error') > 0) this.emit('error', err);
        break;
      }
      case 'state': this.emit('state', e.state, e.icount); break;
      case 'travel': this.emit('travel', e.place, e.stop); break;
      case 'ended': this.emit('ended', e.end); break;
      case 'answered': break;
    }
  }
}
