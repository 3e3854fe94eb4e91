/**
 * A service runs guests in time slices that leave no trace in the journal, and pauses them (or places an input)
 * with an immediate exit taken after some slices: replay must run through the untraced slices to the exit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { readJournal } from './reader.js';
import { Replayer, replayJournal } from './replay.js';
import { journalHeader, VcpuSession } from './session.js';
import { MemoryJournalWriter } from './writer.js';

const image = readFileSync(join(import.meta.dirname, '..', '..', 'guests', 'build', 'bench-intloop.elf'));

function recordSliced(): { bytes: Uint8Array; pausedAt: number[] } {
  const machine = new Machine(image);
  const writer = new MemoryJournalWriter(journalHeader(machine, image, 'bench-intloop.elf', {}));
  const session = new VcpuSession(machine, writer, 50);
  const pausedAt: number[] = [];
  // Slices of odd sizes; every third slice a pause (immediate exit), some with an input placed there.
  for (let slice = 0; slice < 30; slice++) {
    const exit = session.resume(10_007 + slice * 131);
    if (exit !== null) {
      if (exit.reason === 'RISCV_SBI') session.answer({ seq: exit.seq, reason: 'RISCV_SBI', ret: [0n, 0n] });
      continue;
    }
    if (slice % 3 === 2) {
      machine.vcpu.requestImmediateExit();
      const pause = session.run(0);
      expect(pause).toMatchObject({ reason: 'INTR', cause: 'immediate_exit' });
      pausedAt.push(pause.icount);
      if (slice % 2 === 0) session.input({ kind: 'set-reg', reg: 31, value: BigInt(slice) });
    }
  }
  session.close('stopped');
  return { bytes: writer.bytes(), pausedAt };
}

describe('replay of a sliced, paused recording', () => {
  it('runs through the untraced slices to each immediate exit and matches every exit and the final digest', () => {
    const { bytes, pausedAt } = recordSliced();
    const journal = readJournal(bytes);
    expect(journal.exits.map((e) => e.icount)).toEqual(expect.arrayContaining(pausedAt));
    const r = replayJournal(journal);
    expect(r.divergence).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.finalDigest).toBe(r.recordedDigest);
  });

  it('does so in small budget slices too', () => {
    const journal = readJournal(recordSliced().bytes);
    const replayer = new Replayer(journal);
    let budgets = 0;
    for (;;) {
      const s = replayer.step(3_001);
      if (s.kind === 'budget') budgets++;
      if (s.kind === 'done') {
        expect(s.result.ok).toBe(true);
        expect(s.result.finalDigest).toBe(s.result.recordedDigest);
        break;
      }
    }
    expect(budgets).toBeGreaterThan(journal.exits.length);
  });
});
