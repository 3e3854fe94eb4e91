/**
 * Journals: real recordings of several guests, mutated, with every frame's length and checksum made right again so
 * that the decoding is exercised, not only the CRC: a record's field changed in type or value, removed or added;
 * its payload's bytes; the records' order; the header's fields; a cut (a torn tail); and plain bit flips (left to
 * the CRC). Each must read and replay to a result (ok, a divergence) or a coded error; never a TypeError, a hang.
 * One case in 25 also goes through `hindsight replay --verify`, which must exit 0, 1 or 2 without a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runElf } from '../../client-sdk/index.js';
import { encodeRecord } from '../../sim/journal/codec.js';
import { encodePreamble, frame, packr, PREAMBLE_SIZE } from '../../sim/journal/format.js';
import { MemoryJournalWriter, readJournal, Replayer, type JournalRecord } from '../../sim/index.js';
import { CampaignReport, cases, codeOf, hasStackTrace, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';
import { mutateValue, randomValue } from '../values.js';

interface Seed {
  name: string;
  header: Record<string, unknown>;
  records: JournalRecord[];
  /** The raw payloads, as recorded. */
  payloads: Uint8Array[];
  icount: number;
}

const SEEDS: [string, Parameters<typeof runElf>[1]][] = [
  ['uart-irq', { input: Buffer.from('hello fuzz\n') }],
  ['breakpoints', { guestDebug: true }],
  ['mmio-widths', {}],
  ['seed-csr', {}],
  ['dbcn', {}],
  ['srst', {}],
  ['wfi-idle', {}],
];

function recordSeeds(guestsDir: string): Seed[] {
  return SEEDS.map(([name, options]) => {
    let writer: MemoryJournalWriter | undefined;
    runElf(readFileSync(join(guestsDir, `${name}.elf`)), { ...options, digestEveryExits: 7, recordTo: (h) => (writer = new MemoryJournalWriter(h)) });
    const j = readJournal(writer!.bytes());
    const last = j.entries.at(-1)!.record;
    return {
      name, header: j.header as unknown as Record<string, unknown>, records: j.entries.map((e) => e.record),
      payloads: j.entries.map((e) => Uint8Array.from(e.payload)), icount: last.t === 'end' ? last.icount : 0,
    };
  });
}

function assemble(header: unknown, payloads: Uint8Array[]): Uint8Array {
  return Buffer.concat([encodePreamble(), frame(packr.pack(header)), ...payloads.map((p) => frame(p))]);
}

const MUTATIONS = ['record-field', 'record-bytes', 'msgpack-record', 'order', 'header', 'truncate', 'bitflip'] as const;

/** A mutated journal made from the seeds by case `rng`; also what was done, for the report. */
function mutant(rng: Rng, seeds: Seed[]): { bytes: Uint8Array; what: string; seed: Seed } {
  const seed = rng.pick(seeds);
  const payloads = [...seed.payloads];
  const kind = rng.pick(MUTATIONS);
  const i = rng.int(payloads.length);
  switch (kind) {
    case 'record-field': {
      const edited = mutateValue(rng, seed.records[i]) as JournalRecord;
      let p: Uint8Array;
      try {
        p = encodeRecord(edited);
      } catch {
        p = Uint8Array.from([0, ...packr.pack(edited)]);
      }
      payloads[i] = p;
      return { bytes: assemble(seed.header, payloads), what: `${kind} of record ${i}`, seed };
    }
    case 'record-bytes': {
      const p = Uint8Array.from(payloads[i]);
      for (let n = 1 + rng.int(3); n > 0; n--) {
        const at = rng.int(p.length);
        p[at] = rng.chance(0.5) ? p[at] ^ (1 << rng.int(8)) : rng.u32() & 0xff;
      }
      payloads[i] = rng.chance(0.1) ? p.subarray(0, rng.int(p.length)) : p;
      return { bytes: assemble(seed.header, payloads), what: `${kind} of record ${i}`, seed };
    }
    case 'msgpack-record':
      payloads[i] = Uint8Array.from([rng.chance(0.8) ? 0 : rng.int(256), ...packr.pack(randomValue(rng, 3))]);
      return { bytes: assemble(seed.header, payloads), what: `${kind} at ${i}`, seed };
    case 'order': {
      const j = rng.int(payloads.length);
      const r = rng.int(4);
      if (r === 0) payloads.splice(i, 1);
      else if (r === 1) payloads.splice(i, 0, payloads[j]);
      else if (r === 2) [payloads[i], payloads[j]] = [payloads[j], payloads[i]];
      else payloads.splice(j, 0, ...payloads.splice(i, 1 + rng.int(5)));
      return { bytes: assemble(seed.header, payloads), what: `${kind} (${r}) ${i}/${j}`, seed };
    }
    case 'header':
      return { bytes: assemble(mutateValue(rng, seed.header), payloads), what: kind, seed };
    case 'truncate': {
      const whole = assemble(seed.header, payloads);
      return { bytes: whole.subarray(0, PREAMBLE_SIZE + rng.int(whole.length - PREAMBLE_SIZE)), what: kind, seed };
    }
    default: {
      const whole = Uint8Array.from(assemble(seed.header, payloads));
      whole[rng.int(whole.length)] ^= 1 << rng.int(8);
      return { bytes: whole, what: kind, seed };
    }
  }
}

/** Replays in slices, giving up (a hang) past `limit` instructions. */
function replayBounded(bytes: Uint8Array, limit: number): string {
  const j = readJournal(bytes);
  const r = new Replayer(j);
  let spent = 0;
  for (;;) {
    const before = r.machine.hart.icount;
    const s = r.step(1_000_000);
    spent += Math.max(0, r.machine.hart.icount - before) + 1;
    if (s.kind === 'done') return s.result.ok ? 'ok' : 'diverged';
    if (spent > limit) throw new Error(`HANG: still replaying after ${spent} steps of instructions`);
  }
}

export function journalCampaign(ctx: FuzzContext): CampaignReport {
  const report = new CampaignReport('journal', ctx);
  const seeds = recordSeeds(ctx.guestsDir);
  const n = ctx.budget;
  for (const index of cases(ctx, n)) {
    const rng = Rng.forCase(ctx.seed, 'journal', index);
    const { bytes, what, seed } = mutant(rng, seeds);
    report.inputs++;
    try {
      report.outcome(replayBounded(bytes, seed.icount * 4 + 20_000_000));
    } catch (e) {
      const code = codeOf(e);
      if (code !== null) report.outcome(`coded:${code}`);
      else if (e instanceof Error && e.message.startsWith('HANG')) report.fail('hang', index, `${what}: ${e.message}`, { ext: 'hsj', bytes });
      else report.fail('uncoded', index, `${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, { ext: 'hsj', bytes });
    }
    // Through the CLI now and then: the exit status and what the user reads.
    if (index % 25 === 0) {
      const file = join(ctx.outDir, `journal-cli-${process.pid}.hsj`);
      writeFileSync(file, bytes);
      const r = spawnSync(process.execPath, [ctx.cli, 'replay', '--verify', file], { encoding: 'utf8', timeout: 120_000 });
      // A scratch file, not a failure: what fails is saved by report.fail under its own name.
      rmSync(file, { force: true });
      if (r.error !== undefined) report.fail('hang', index, `${what}: replay --verify did not end (${r.error.message})`, { ext: 'hsj', bytes });
      else if (r.status !== 0 && r.status !== 1 && r.status !== 2) report.fail('crash', index, `${what}: replay --verify exited ${r.status}: ${r.stderr}`, { ext: 'hsj', bytes });
      else if (hasStackTrace(r.stderr)) report.fail('stack', index, `${what}: ${r.stderr}`, { ext: 'hsj', bytes });
      else report.outcome(`cli:exit-${r.status}`);
    }
    if (index % 200 === 0) ctx.progress(`journal: ${report.inputs} inputs`);
  }
  return report;
}
