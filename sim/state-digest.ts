import { createHash } from 'node:crypto';
import type { Machine } from './machine.js';
import { PAGE_SIZE } from './memory.js';

const PAGE_DIGEST_SIZE = 16;
/** Pages per group: a group's digest is the sha256 of its pages' digests. */
const GROUP_PAGES = 256;
const GROUP_DIGEST_SIZE = 32;

/**
 * A digest of the whole guest-visible state: registers, pc, privilege, CSRs, counters, the LR reservation, the
 * SBI timer, and every byte of RAM. RAM is hashed in two levels: a 16-byte digest per page, and a sha256 per group
 * of 256 pages over its pages' digests. Only the pages dirtied since the last digest (a page never dirtied still
 * holds zeros) and their groups are hashed again, so a digest costs what changed, not what the RAM holds
 * (128 MiB of RAM is 32 Ki pages: hashing all their digests each time would be half a megabyte per digest).
 */
export class StateDigester {
  private readonly machine: Machine;
  private readonly pageDigests: Uint8Array;
  private readonly groupDigests: Uint8Array;
  private readonly groupDirty: Uint8Array;
  private readonly dirty: Uint8Array;

  constructor(machine: Machine) {
    this.machine = machine;
    this.dirty = machine.ram.addDirtyTracker();
    const pages = machine.ram.pageCount;
    this.pageDigests = new Uint8Array(pages * PAGE_DIGEST_SIZE);
    const zero = pageDigest(new Uint8Array(PAGE_SIZE));
    for (let p = 0; p < pages; p++) this.pageDigests.set(zero, p * PAGE_DIGEST_SIZE);
    const groups = Math.ceil(pages / GROUP_PAGES);
    this.groupDigests = new Uint8Array(groups * GROUP_DIGEST_SIZE);
    this.groupDirty = new Uint8Array(groups).fill(1);
  }

  digest(): string {
    const { ram, hart } = this.machine;
    hart.collectDirtyPages();
    const dirty = this.dirty, groupDirty = this.groupDirty;
    for (let p = 0; p < ram.pageCount; p++) {
      if (dirty[p] === 0) continue;
      this.pageDigests.set(pageDigest(ram.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)), p * PAGE_DIGEST_SIZE);
      dirty[p] = 0;
      groupDirty[Math.floor(p / GROUP_PAGES)] = 1;
    }
    const groupBytes = GROUP_PAGES * PAGE_DIGEST_SIZE;
    for (let g = 0; g < groupDirty.length; g++) {
      if (groupDirty[g] === 0) continue;
      const pages = this.pageDigests.subarray(g * groupBytes, Math.min((g + 1) * groupBytes, this.pageDigests.length));
      this.groupDigests.set(createHash('sha256').update(pages).digest(), g * GROUP_DIGEST_SIZE);
      groupDirty[g] = 0;
    }
    return createHash('sha256').update(cpuState(this.machine)).update(this.groupDigests).digest('hex');
  }
}

function pageDigest(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest().subarray(0, PAGE_DIGEST_SIZE);
}

/** The non-RAM state, serialised in a fixed order. */
export function cpuState(machine: Machine): Uint8Array {
  const { hart, vcpu } = machine;
  const c = hart.csr;
  const m = hart.mmu;
  const words = [
    hart.pcLo, hart.pcHi, hart.priv, hart.hedeleg,
    c.sstatus, c.sie, c.sip, c.stvecLo, c.stvecHi, c.sscratchLo, c.sscratchHi, c.sepcLo, c.sepcHi,
    c.scauseLo, c.scauseHi, c.stvalLo, c.stvalHi, c.satpLo, c.satpHi, c.scounteren, c.senvcfg,
    m.resValid ? 1 : 0, m.resLo, m.resHi, m.resValLo, m.resValHi,
  ];
  // The FPU's registers and fcsr count only on a hart that has one (digests of journals from before F/D stay as
  // they were recorded).
  const fpu = hart.hasFpu ? hart.fpuState() : new Uint8Array(0);
  const out = new Uint8Array(hart.x.byteLength + words.length * 4 + 3 * 8 + fpu.length);
  out.set(new Uint8Array(hart.x.buffer, hart.x.byteOffset, hart.x.byteLength), 0);
  const view = new DataView(out.buffer);
  let off = hart.x.byteLength;
  for (const w of words) { view.setInt32(off, w, true); off += 4; }
  for (const v of [hart.icount, hart.idleCycles, vcpu.timer]) { view.setFloat64(off, v, true); off += 8; }
  out.set(fpu, off);
  return out;
}
