/**
 * Images: the guests' ELFs and the Linux Image, with their headers and bytes mutated (ELF identification, type,
 * machine, entry, program headers, sizes and offsets; the Image header's fields; random bytes; cuts). Loading one
 * must be a coded error (ELF_*, IMAGE_*, CONFIG_INVALID, ...) or a machine that runs (a bounded number of
 * instructions); one in five is also recorded and replayed, which must match.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalVmm } from '../../client-sdk/index.js';
import { MemoryJournalWriter, readJournal, replayJournal } from '../../sim/index.js';
import { CampaignReport, cases, codeOf, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';

/** Byte offsets of the fields worth aiming at: the ELF header, the first program headers, the Image header. */
const ELF_FIELDS = [4, 5, 6, 7, 16, 18, 20, 24, 28, 32, 36, 48, 52, 54, 56, 58, 60, 62];
const PHDR_FIELDS = [0, 4, 8, 12, 16, 24, 32, 36, 40, 44, 48];
const IMAGE_FIELDS = [0, 8, 12, 16, 20, 24, 32, 48, 56];

function mutateImage(rng: Rng, original: Uint8Array, isImage: boolean): { bytes: Uint8Array; what: string } {
  let bytes = Uint8Array.from(original);
  const v = new DataView(bytes.buffer);
  const edits: string[] = [];
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const r = rng.int(10);
    if (r < 6) {
      const phoff = isImage ? 0 : Number(v.getBigUint64(32, true) % 4096n);
      const at = isImage ? rng.pick(IMAGE_FIELDS) : rng.chance(0.5) ? rng.pick(ELF_FIELDS) : phoff + 56 * rng.int(3) + rng.pick(PHDR_FIELDS);
      if (at + 8 > bytes.length) continue;
      const width = rng.pick([1, 2, 4, 8]);
      const value = rng.u64();
      for (let i = 0; i < width; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      edits.push(`${width}@${at}`);
    } else if (r < 8) {
      const at = rng.int(bytes.length);
      bytes[at] ^= 1 << rng.int(8);
      edits.push(`flip@${at}`);
    } else if (r < 9) {
      bytes = bytes.subarray(0, rng.int(bytes.length));
      edits.push(`cut@${bytes.length}`);
    } else {
      bytes = Uint8Array.from([...bytes, ...rng.bytes(rng.int(4096))]);
      edits.push('append');
    }
  }
  return { bytes, what: edits.join(' ') };
}

export function imagesCampaign(ctx: FuzzContext): CampaignReport {
  const report = new CampaignReport('images', ctx);
  const elfs = readdirSync(ctx.guestsDir).filter((f) => f.endsWith('.elf')).sort().map((f) => readFileSync(join(ctx.guestsDir, f)));
  let linux: Uint8Array | null = null;
  try {
    linux = readFileSync(join(ctx.guestsDir, '..', 'linux', 'Image'));
  } catch { /* not in this checkout */ }
  for (const index of cases(ctx, ctx.budget)) {
    const rng = Rng.forCase(ctx.seed, 'images', index);
    const isImage = linux !== null && rng.chance(0.1);
    const { bytes, what } = mutateImage(rng, isImage ? linux! : rng.pick(elfs), isImage);
    const record = index % 5 === 0;
    report.inputs++;
    let writer: MemoryJournalWriter | undefined;
    try {
      const vmm = new LocalVmm(bytes, { maxInsns: isImage ? 1_000_000 : 300_000, recordTo: record ? (h) => (writer = new MemoryJournalWriter(h)) : undefined });
      const result = vmm.run();
      report.outcome(`ran:${result.stop}`);
      if (writer !== undefined) {
        const replay = replayJournal(readJournal(writer.bytes()));
        if (!replay.ok || replay.finalDigest !== result.digest) {
          report.fail('lost', index, `${what}: the recording does not replay (${JSON.stringify(replay.divergence)})`, { ext: 'elf', bytes });
        }
      }
    } catch (e) {
      const code = codeOf(e);
      if (code !== null) report.outcome(`coded:${code}`);
      else report.fail('uncoded', index, `${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, { ext: isImage ? 'Image' : 'elf', bytes });
    }
    if (index % 200 === 0) ctx.progress(`images: ${report.inputs} inputs`);
  }
  return report;
}
