/**
 * Time travel as the service offers it: the requests that move a traveller through one recording (seek, step and
 * continue, and their reverses), the observer's triggers, the timeline and the checkpoints, answered from a
 * TimeTravel. A replay session and a live VM looking at its own past both go through here, so the two answer the
 * same requests the same way and with the same codes.
 */
import { SimError, TimeTravel, type ParsedJournal, type TimeTravelOptions } from '../../sim/index.js';
import type { RequestBody, TravelReply } from '../../client-sdk/protocol.js';
import { diversionDevices, type DiversionDevices } from './diversion-devices.js';
import { checkFpu, checkRam, readRam, registersOf, RequestError } from './machine-view.js';
import { withoutCode } from './vm-request-error.js';

/** The requests a TravelView answers. */
export const TRAVEL_OPS: ReadonlySet<RequestBody['op']> = new Set([
  'seek', 'step', 'continue', 'reverse-step', 'reverse-continue', 'breakpoint', 'watchpoint', 'timeline', 'checkpoints', 'get-regs', 'read-mem',
  'divert',
]);

/** The requests that move the traveller (their reply is a TravelReply). */
export const MOVE_OPS: ReadonlySet<RequestBody['op']> = new Set(['seek', 'step', 'continue', 'reverse-step', 'reverse-continue', 'divert']);

/** What a diversion allows besides the moves: writing the guest. */
export const DIVERSION_WRITE_OPS: ReadonlySet<RequestBody['op']> = new Set(['set-reg', 'set-pc', 'set-freg', 'set-fcsr', 'write-mem']);

export class TravelView {
  readonly tt: TimeTravel;
  private devices: DiversionDevices | null = null;

  /**
   * `onMove` hears of every request that moved the traveller, with its reply, before the reply goes out. With
   * `diversions`, `divert` leaves the recorded run (a replay session; a live VM's past refuses it).
   */
  constructor(
    journal: ParsedJournal, options: TimeTravelOptions = {}, private readonly onMove: (reply: TravelReply) => void = () => {},
    private readonly diversions = false,
  ) {
    this.tt = new TimeTravel(journal, options);
  }

  get diverted(): boolean {
    return this.tt.diverted;
  }

  get machine(): TimeTravel['machine'] {
    return this.tt.machine;
  }

  /** Answers one of TRAVEL_OPS; a bad target is a coded RequestError, never a crash. */
  request(body: RequestBody): unknown {
    try {
      return this.dispatch(body);
    } catch (e) {
      throw travelError(e);
    }
  }

  private dispatch(body: RequestBody): unknown {
    const tt = this.tt;
    switch (body.op) {
      case 'seek': return this.moved(body.exit !== undefined ? tt.seekExit(body.exit) : tt.seekIcount(body.icount ?? 0));
      case 'step': return this.moved(tt.step());
      case 'continue': return this.moved(tt.continue());
      case 'reverse-step': return this.moved(tt.reverseStep());
      case 'reverse-continue': return this.moved(tt.reverseContinue());
      // Observer triggers: they stop travels and never the run, so they may be set anywhere in history.
      case 'breakpoint':
        if (!body.add) return tt.removeBreakpoint(body.pc);
        tt.addBreakpoint(body.pc);
        return true;
      case 'watchpoint':
        if (!body.add) return tt.removeWatchpoint(body.addr, body.len);
        tt.addWatchpoint(body.addr, body.len, { read: body.read, write: body.write });
        return true;
      case 'timeline': {
        const { op: _op, ...filter } = body;
        return tt.timeline(filter);
      }
      case 'checkpoints': return tt.checkpointStats();
      case 'get-regs': return registersOf(tt.machine);
      case 'read-mem': return readRam(tt.machine, body.addr, body.len);
      case 'divert': return this.divert(body.enabled);
      // Only in a diversion (TimeTravel refuses them elsewhere).
      case 'set-reg': tt.setRegister(body.reg, body.value); return true;
      case 'set-pc': tt.setRegister(32, body.value); return true;
      case 'set-freg':
        checkFpu(tt.machine);
        tt.setFloatRegister(body.reg, body.value);
        return true;
      case 'set-fcsr':
        checkFpu(tt.machine);
        tt.setFcsr(body.value);
        return true;
      case 'write-mem':
        checkRam(tt.machine, body.addr, body.data.length);
        tt.writeMemory(body.addr, body.data);
        return true;
      default: throw new RequestError('BAD_REQUEST', `${body.op} is not a time-travel request`);
    }
  }

  /** Leaves the recorded run (fresh device models answer the guest from here) or comes back to it. */
  private divert(enabled: boolean): TravelReply {
    if (!this.diversions) throw new RequestError('NOT_SUPPORTED', 'only a replay session can divert from its recording');
    if (enabled === this.tt.diverted) return this.moved({ stop: { kind: 'arrived' }, place: this.tt.place() });
    if (!enabled) {
      this.devices = null;
      return this.moved(this.tt.undivert());
    }
    this.devices = diversionDevices(this.tt.machine);
    return this.moved(this.tt.divert(this.devices.answer));
  }

  /** The wire shape of a travel result (TimeTravel's TravelResult, named for the protocol), told to onMove. */
  private moved(r: TravelReply): TravelReply {
    const output = this.devices?.takeOutput() ?? '';
    const reply = { stop: r.stop, place: r.place, ...(output !== '' ? { output } : {}) };
    this.onMove(reply);
    return reply;
  }
}

/** Time travel's own errors, as protocol codes. */
function travelError(e: unknown): unknown {
  if (e instanceof SimError && e.code === 'TT_NO_SUCH_EXIT') return new RequestError('NO_SUCH_EXIT', withoutCode(e));
  // A write outside a diversion: what a replay refuses anyway.
  if (e instanceof SimError && e.code === 'TT_NOT_DIVERTED') return new RequestError('NOT_SUPPORTED', withoutCode(e));
  // TT_BAD_TARGET, and a watchpoint the hart refuses (straddling a 4 GiB boundary), are the client's mistake.
  if (e instanceof SimError || e instanceof RangeError) return new RequestError('BAD_REQUEST', e.message);
  return e;
}
