/**
 * Time travel as the service offers it: the requests that move a traveller through one recording (seek, step and
 * continue, and their reverses), the observer's triggers, the timeline and the checkpoints, answered from a
 * TimeTravel. A replay session and a live VM looking at its own past both go through here, so the two answer the
 * same requests the same way and with the same codes.
 */
import { SimError, TimeTravel, type ParsedJournal, type TimeTravelOptions } from '../../sim/index.js';
import type { RequestBody, TravelReply } from '../../client-sdk/protocol.js';
import { readRam, registersOf, RequestError } from './machine-view.js';

/** The requests a TravelView answers. */
export const TRAVEL_OPS: ReadonlySet<RequestBody['op']> = new Set([
  'seek', 'step', 'continue', 'reverse-step', 'reverse-continue', 'breakpoint', 'watchpoint', 'timeline', 'checkpoints', 'get-regs', 'read-mem',
]);

/** The requests that move the traveller (their reply is a TravelReply). */
export const MOVE_OPS: ReadonlySet<RequestBody['op']> = new Set(['seek', 'step', 'continue', 'reverse-step', 'reverse-continue']);

export class TravelView {
  readonly tt: TimeTravel;

  /** `onMove` hears of every request that moved the traveller, with its reply, before the reply goes out. */
  constructor(journal: ParsedJournal, options: TimeTravelOptions = {}, private readonly onMove: (reply: TravelReply) => void = () => {}) {
    this.tt = new TimeTravel(journal, options);
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
      default: throw new RequestError('BAD_REQUEST', `${body.op} is not a time-travel request`);
    }
  }

  /** The wire shape of a travel result (TimeTravel's TravelResult, named for the protocol), told to onMove. */
  private moved(r: TravelReply): TravelReply {
    const reply = { stop: r.stop, place: r.place };
    this.onMove(reply);
    return reply;
  }
}

/** Time travel's own errors, as protocol codes. */
function travelError(e: unknown): unknown {
  if (e instanceof SimError && e.code === 'TT_NO_SUCH_EXIT') return new RequestError('NO_SUCH_EXIT', e.message);
  // TT_BAD_TARGET, and a watchpoint the hart refuses (straddling a 4 GiB boundary), are the client's mistake.
  if (e instanceof SimError || e instanceof RangeError) return new RequestError('BAD_REQUEST', e.message);
  return e;
}
