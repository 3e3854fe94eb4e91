/**
 * A live VM's own past, opened for travel: the journal it has written so far, read back and replayed into a second
 * machine by a TimeTravel. The live machine is never touched; going back to the present is dropping this view.
 */
import { readFileSync } from 'node:fs';
import { readJournal, type CheckpointList, type Machine } from '../../sim/index.js';
import type { TravelReply } from '../../client-sdk/protocol.js';
import { RequestError } from './machine-view.js';
import { TravelView } from './travel-view.js';

/**
 * Opens the history in `recordPath` (flushed by the caller; an open recording is fine: its tail is where the VM
 * stands) and stands the traveller at the present, the place `live` is at.
 */
export function openHistory(recordPath: string, live: Machine, checkpoints: CheckpointList | null, onMove: (reply: TravelReply) => void): TravelView {
  // The checkpoints the recording took (borrowed while the VM is paused) put the traveller near any place at once.
  const view = new TravelView(readJournal(readFileSync(recordPath)), checkpoints !== null ? { checkpoints } : {}, onMove);
  if (view.tt.exitCount > 0) view.tt.seekExit(view.tt.exitCount - 1);
  const { stop, place } = view.tt.runToEnd();
  if (stop.kind === 'diverged' || place.icount !== live.hart.icount || place.pc !== live.hart.pc) {
    // The journal does not lead to where the VM is: travelling in it would show a past the VM did not have.
    const why = stop.kind === 'diverged'
      ? `diverged at record ${stop.divergence.record} (${stop.divergence.field})`
      : `ends at icount ${place.icount}, the VM is at ${live.hart.icount}`;
    throw new RequestError('INTERNAL', `the recording does not replay to the present: ${why}`);
  }
  carryTriggers(live, view);
  return view;
}

/**
 * The debugger's breakpoints and watchpoints of the live run become the traveller's observer triggers, so that
 * reverse-continue from the present goes back to the previous hit of what the debugger is watching. In the
 * replay they are observer triggers: they stop travels and leave the recorded run (and its own triggers) alone.
 */
function carryTriggers(live: Machine, view: TravelView): void {
  const d = live.hart.debug;
  const addr = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  for (const b of d.listBreakpoints()) view.tt.addBreakpoint(addr(b.lo, b.hi));
  for (const w of d.listWatchpoints()) view.tt.addWatchpoint(addr(w.lo, w.hi), w.len, { read: w.read, write: w.write });
}
