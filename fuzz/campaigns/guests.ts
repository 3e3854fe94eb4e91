/**
 * Garbage guests: valid ELFs whose code is random (random words, real opcodes with random fields, compressed
 * halves, stores and loads aimed at the devices and at RAM), run with the built-in devices for a bounded number of
 * instructions, recorded, and replayed. Whatever the guest does is the guest's business (a trap, an internal-error
 * exit, a halt): the host must never throw, and the replay must match the recording to the last digest.
 */
import { LocalVmm } from '../../client-sdk/index.js';
import { MemoryJournalWriter, readJournal, replayJournal } from '../../sim/index.js';
import { buildElf } from '../elf.js';
import { CampaignReport, cases, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';

/** Major opcodes of RV64 (the low 7 bits), so that most words decode to something. */
const OPCODES = [0x03, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x2f, 0x33, 0x37, 0x3b, 0x63, 0x67, 0x6f, 0x73];

function garbage(rng: Rng): Uint8Array {
  const words = 16 + rng.int(1024);
  const code = new Uint8Array(words * 4);
  const v = new DataView(code.buffer);
  for (let i = 0; i < words; i++) {
    const r = rng.int(10);
    let w: number;
    if (r < 3) w = rng.u32();
    else if (r < 7) w = ((rng.u32() & ~0x7f) | rng.pick(OPCODES)) >>> 0;
    else if (r < 8) w = (rng.u32() & 0xffff) | ((rng.u32() & 0xffff) << 16); // two compressed halves, maybe
    else if (r < 9) w = 0x10000537 + ((rng.int(4) << 12) >>> 0); // lui a0 near the UART, PLIC, finisher
    else w = ((rng.int(32) << 20) | (10 << 15) | (rng.int(4) << 12) | (rng.int(32) << 7) | rng.pick([0x03, 0x23])) >>> 0; // a load or store off a0
    v.setUint32(i * 4, w >>> 0, true);
  }
  return code;
}

export function guestsCampaign(ctx: FuzzContext): CampaignReport {
  const report = new CampaignReport('guests', ctx);
  for (const index of cases(ctx, ctx.budget)) {
    const rng = Rng.forCase(ctx.seed, 'guests', index);
    const image = buildElf(garbage(rng), 0x8020_0000, 1 << 16);
    report.inputs++;
    let writer: MemoryJournalWriter | undefined;
    try {
      const result = new LocalVmm(image, { maxInsns: 200_000, input: rng.bytes(rng.int(16)), recordTo: (h) => (writer = new MemoryJournalWriter(h)) }).run();
      report.outcome(result.stop);
      const replay = replayJournal(readJournal(writer!.bytes()));
      if (!replay.ok || replay.finalDigest !== result.digest) {
        report.fail('lost', index, `the recording does not replay: ${JSON.stringify(replay.divergence)}`, { ext: 'elf', bytes: image });
      }
    } catch (e) {
      report.fail('uncoded', index, e instanceof Error ? e.stack ?? e.message : String(e), { ext: 'elf', bytes: image });
    }
    if (index % 200 === 0) ctx.progress(`guests: ${report.inputs} inputs`);
  }
  return report;
}
