import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalVmm } from '../../client-sdk/index.js';
import { readJournal } from '../journal/reader.js';
import { MemoryJournalWriter } from '../journal/writer.js';
import { expectSimError } from '../test-helpers.js';
import { TimeTravel } from './timetravel.js';

const image = readFileSync(join(import.meta.dirname, '..', '..', 'guests', 'build', 'bench-memcpy.elf'));

/**
 * A recording session that takes checkpoints as it records, running the guest in slices as the service does
 * (a checkpoint is taken between slices and exits); `until` stops it early (a live session, paused).
 */
function recordWithCheckpoints(until = Infinity) {
  let writer: MemoryJournalWriter | undefined;
  const vmm = new LocalVmm(image, { recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
  const checkpoints = vmm.session.enableCheckpoints({ intervalInsns: 1_000_000 });
  for (;;) {
    if (vmm.machine.hart.icount >= until) {
      // Pausing takes an immediate exit, as the service does: the journal then reaches the present.
      vmm.machine.vcpu.requestImmediateExit();
      expect(vmm.session.run(0)).toMatchObject({ reason: 'INTR', cause: 'immediate_exit' });
      break;
    }
    const exit = vmm.session.resume(Math.min(until - vmm.machine.hart.icount, 300_000));
    if (exit === null) continue;
    const end = vmm.answerExit(exit);
    if (end !== null) { vmm.result(end.stop, end.exitCode); break; }
  }
  return { journal: readJournal(writer!.bytes()), checkpoints, vmm };
}

const fix = (tt: TimeTravel) => ({ ...tt.place(), atExit: tt.place().atExit?.seq, digest: tt.replayer.stateDigest() });

describe('checkpoints taken while recording', () => {
  it('a traveller over the recording restores them and stands where a plain replay stands', () => {
    const { journal, checkpoints } = recordWithCheckpoints();
    expect(checkpoints.list.length).toBeGreaterThan(5);
    const tt = new TimeTravel(journal, { checkpoints });
    const plain = new TimeTravel(journal, { intervalInsns: Infinity, intervalExits: Infinity });
    const last = journal.exits[journal.exits.length - 1];
    const targets = [last.icount - 5, Math.floor(last.icount / 3), 17, Math.floor(last.icount / 2) + 1];
    const seen = new Map(targets.map((k) => [k, fix((tt.seekIcount(k), tt))]));
    for (const k of [...targets].sort((a, b) => a - b)) expect(seen.get(k)).toEqual(fix((plain.seekIcount(k), plain)));
    expect(fix((tt.seekExit(journal.exits.length - 2), tt))).toEqual(fix((plain.seekExit(journal.exits.length - 2), plain)));
    // It took none of its own: the recording's were enough, and they are borrowed.
    expect(tt.checkpointStats().count).toBe(checkpoints.list.length);
    expect(tt.runToEnd().stop).toEqual({ kind: 'history-end', closed: true });
  });

  it('a session paused midway travels its history so far; checkpoints past what was flushed are ignored', () => {
    const { journal, checkpoints, vmm } = recordWithCheckpoints(4_500_000);
    expect(journal.closed).toBe(false);
    const tt = new TimeTravel(journal, { checkpoints });
    const end = tt.runToEnd();
    expect(end.stop).toEqual({ kind: 'history-end', closed: false });
    // The end of the history so far is the present: the live machine's state.
    expect(end.place.icount).toBe(vmm.machine.hart.icount);
    expect(tt.seekIcount(1_234_567).place.icount).toBe(1_234_567);
  });

  it('a session that records nothing takes no checkpoints', () => {
    const vmm = new LocalVmm(image);
    expectSimError(() => vmm.session.enableCheckpoints(), 'VCPU_BAD_STATE');
  });
});
