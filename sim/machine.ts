import { Hart, HartFeatures, TierOptions } from './cpu/hart.js';
import type { Extension } from './isa/index.js';
import { SSTATUS_FS } from './cpu/csr.js';
import { buildDeviceTree, splitIsa } from './device-tree.js';
import { loadElfIntoRam, parseElf } from './elf.js';
import { SimError } from './errors.js';
import { isLinuxImage, parseLinuxImage } from './kernel-image.js';
import { DEFAULT_RAM_SIZE, RAM_BASE, TIMEBASE_FREQUENCY } from './layout.js';
import { GuestRam } from './memory.js';
import { Vcpu } from './kvm/vcpu.js';

export const GUEST_ISA = 'rv64imafdc_zicsr_zifencei_zicntr_zihintpause_zba_zbb_zbs_sstc';

/** The ISA string's names for the ISA table's optional extensions. */
const TABLE_EXTENSIONS: ReadonlyArray<[string, Extension]> = [['f', 'F'], ['d', 'D'], ['zba', 'Zba'], ['zbb', 'Zbb'], ['zbs', 'Zbs']];

/**
 * The extensions of an ISA string the machine can be built with: any subset of GUEST_ISA that keeps the base
 * (journals recorded before F and D name 'rv64imac_zicsr_zifencei_zicntr': replaying them builds that machine,
 * without an FPU, the bit-manipulation rows or stimecmp, so a guest that tried one then traps now as it did then).
 */
export function isaFeatures(isa: string): HartFeatures {
  const supported = new Set(splitIsa(GUEST_ISA).extensions);
  const { extensions } = splitIsa(isa);
  const unknown = extensions.filter((e) => !supported.has(e));
  if (unknown.length > 0 || !extensions.includes('i')) {
    throw new SimError('CONFIG_INVALID', `isa ${isa} names extensions this hindsight does not implement: ${unknown.join(', ') || 'no base i'}`);
  }
  if (extensions.includes('d') !== extensions.includes('f')) {
    throw new SimError('CONFIG_INVALID', `isa ${isa}: F and D come together here`);
  }
  const without = new Set(TABLE_EXTENSIONS.filter(([name]) => !extensions.includes(name)).map(([, ext]) => ext));
  return { fpu: extensions.includes('d'), sstc: extensions.includes('sstc'), without };
}

export interface MachineConfig {
  ramSize?: number;
  bootargs?: string;
  mmuType?: 'riscv,sv39' | 'riscv,sv48';
  /** An initial ramdisk: loaded into RAM and named in /chosen (linux,initrd-start/-end). */
  initrd?: Uint8Array;
  /** The hart's ISA string (default GUEST_ISA); a subset of it, as an older journal records. */
  isa?: string;
  /** Which execution tiers run the guest (never recorded: no tier changes what the guest does). */
  tier?: TierOptions;
}

/**
 * Where the initrd goes, as QEMU's riscv_load_initrd places it: halfway into RAM below 256 MiB, at 128 MiB above,
 * so that the kernel (loaded at the bottom) never overlaps it.
 */
export function initrdAddress(ramSize: number): number {
  return RAM_BASE + Math.min(Math.floor(ramSize / 2), 128 * 1024 * 1024);
}

/** The kernel as loaded: its entry point, and where it ends once running (bss included). */
interface Loaded {
  entry: number;
  end: number;
}

/** Where the device tree goes: the top of RAM, 2 MiB aligned below its end, as QEMU virt places it. */
function fdtAddress(ramSize: number, fdtSize: number): number {
  const top = RAM_BASE + ramSize - fdtSize;
  return Math.floor(top / 0x20_0000) * 0x20_0000;
}

/** Loads an ELF or a Linux Image into RAM, marking what it wrote dirty (a page never marked holds zeros). */
function loadKernel(ram: GuestRam, image: Uint8Array): Loaded {
  if (isLinuxImage(image)) {
    const header = parseLinuxImage(image);
    const base = RAM_BASE + header.textOffset;
    if (header.textOffset + header.imageSize > ram.size) {
      throw new SimError('IMAGE_TOO_LARGE', `the Image needs 0x${(header.textOffset + header.imageSize).toString(16)} bytes of RAM, the machine has 0x${ram.size.toString(16)}`);
    }
    ram.write(base, image);
    return { entry: base, end: base + header.imageSize };
  }
  let elf;
  try {
    elf = parseElf(image);
  } catch (e) {
    // Neither format: say so, keeping the ELF error's stable code.
    if (e instanceof SimError && (e.code === 'ELF_BAD_MAGIC' || e.code === 'ELF_TOO_SHORT')) {
      throw new SimError(e.code, `${e.message.slice(e.code.length + 2)}; nor is it a RISC-V Linux Image (no "RSC\\x05" magic at 0x38)`);
    }
    throw e;
  }
  loadElfIntoRam(elf, { base: RAM_BASE, size: ram.size, bytes: ram.u8 });
  // The loader writes the RAM bytes directly: mark what it wrote, so that every non-zero page is in the dirty log.
  let end = RAM_BASE;
  for (const seg of elf.segments) {
    if (seg.memSize === 0) continue;
    ram.markDirty(seg.paddr - RAM_BASE, seg.memSize);
    end = Math.max(end, seg.paddr + seg.memSize);
  }
  return { entry: elf.entry, end };
}

/**
 * A QEMU virt-like machine with one hart: RAM, the vCPU, and a generated device tree. It boots an ELF or a Linux
 * Image the way OpenSBI hands over to an S-mode payload: pc = entry, a0 = hart id, a1 = device tree address, in
 * (V)S-mode, with the initrd (if any) in RAM and named in the device tree.
 */
export class Machine {
  readonly ram: GuestRam;
  readonly hart: Hart;
  readonly vcpu: Vcpu;
  readonly dtb: Uint8Array;
  readonly dtbAddress: number;
  readonly entry: number;

  constructor(image: Uint8Array, config: MachineConfig = {}) {
    const ramSize = config.ramSize ?? DEFAULT_RAM_SIZE;
    const isa = config.isa ?? GUEST_ISA;
    const features = isaFeatures(isa);
    this.ram = new GuestRam(RAM_BASE, ramSize);
    const loaded = loadKernel(this.ram, image);
    const initrdStart = initrdAddress(ramSize);
    const initrd = config.initrd === undefined ? undefined : { start: initrdStart, end: initrdStart + config.initrd.length };
    this.dtb = buildDeviceTree({
      ramBase: RAM_BASE, ramSize, harts: 1, isa, mmuType: config.mmuType ?? 'riscv,sv48',
      timebaseFrequency: TIMEBASE_FREQUENCY, bootargs: config.bootargs, initrd,
    });
    this.dtbAddress = fdtAddress(ramSize, this.dtb.length);
    if (this.dtbAddress < RAM_BASE) throw new SimError('CONFIG_INVALID', 'RAM is too small for the device tree');
    if (config.initrd !== undefined) {
      if (initrdStart < loaded.end) {
        throw new SimError('INITRD_TOO_LARGE', `the kernel ends at 0x${loaded.end.toString(16)}, past where the initrd goes (0x${initrdStart.toString(16)}); give the machine more RAM`);
      }
      if (initrdStart + config.initrd.length > this.dtbAddress) {
        throw new SimError('INITRD_TOO_LARGE', `the initrd (${config.initrd.length} bytes at 0x${initrdStart.toString(16)}) runs into the device tree at 0x${this.dtbAddress.toString(16)}; give the machine more RAM`);
      }
      this.ram.write(initrdStart, config.initrd);
    }
    this.ram.write(this.dtbAddress, this.dtb);
    this.hart = new Hart(this.ram, config.tier, features);
    this.vcpu = new Vcpu(this.hart);
    this.entry = loaded.entry;
    // OpenSBI enters the payload with mret, and mepc[0] is always 0 (IALIGN=16): an odd entry runs from the even
    // address below it, as on QEMU. (An odd pc would reach the engine, which assumes none.)
    this.hart.pc = BigInt(loaded.entry) & ~1n;
    this.hart.setReg(10, 0n);
    this.hart.setReg(11, BigInt(this.dtbAddress));
    // The state OpenSBI hands an S-mode payload on QEMU virt: counters readable from U-mode, stvec at the entry.
    this.hart.csr.scounteren = 7;
    // OpenSBI turns the FPU on (mstatus.FS = Dirty) before entering the payload when the hart has F or D.
    if (features.fpu) this.hart.csr.sstatus |= SSTATUS_FS;
    this.hart.csr.stvecLo = Number(BigInt.asIntN(32, BigInt(loaded.entry)));
    this.hart.csr.stvecHi = Math.floor(loaded.entry / 4294967296) | 0;
    // The pages loaded stay in the dirty log: a page never marked holds zeros (state digests and checkpoints rely on it).
  }

  /**
   * Writes guest-physical RAM from outside the guest (a debugger, DBCN read, a journal input), dropping any
   * translated code the bytes overwrite.
   */
  writePhys(addr: number, data: Uint8Array): void {
    this.ram.write(addr, data);
    const start = addr - this.ram.base;
    for (let off = start; off < start + data.length; off = (off | 0xfff) + 1) {
      const len = Math.min(data.length - (off - start), 0x1000 - (off & 0xfff));
      this.hart.codeWritten(off, len);
    }
  }
}
