import { Hart } from './cpu/hart.js';
import { buildDeviceTree } from './device-tree.js';
import { loadElfIntoRam, parseElf } from './elf.js';
import { SimError } from './errors.js';
import { DEFAULT_RAM_SIZE, RAM_BASE, TIMEBASE_FREQUENCY } from './layout.js';
import { GuestRam } from './memory.js';
import { Vcpu } from './kvm/vcpu.js';

export const GUEST_ISA = 'rv64imac_zicsr_zifencei_zicntr';

export interface MachineConfig {
  ramSize?: number;
  bootargs?: string;
  mmuType?: 'riscv,sv39' | 'riscv,sv48';
}

/** Where the device tree goes: the top of RAM, 2 MiB aligned below its end, as QEMU virt places it. */
function fdtAddress(ramSize: number, fdtSize: number): number {
  const top = RAM_BASE + ramSize - fdtSize;
  return Math.floor(top / 0x20_0000) * 0x20_0000;
}

/**
 * A QEMU virt-like machine with one hart: RAM, the vCPU, and a generated device tree. It boots an ELF the way
 * OpenSBI hands over to an S-mode payload: pc = entry, a0 = hart id, a1 = device tree address, in (V)S-mode.
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
    this.ram = new GuestRam(RAM_BASE, ramSize);
    const elf = parseElf(image);
    loadElfIntoRam(elf, { base: RAM_BASE, size: ramSize, bytes: this.ram.u8 });
    // The loader writes the RAM bytes directly: mark what it wrote, so that every non-zero page is in the dirty log.
    for (const seg of elf.segments) if (seg.memSize > 0) this.ram.markDirty(seg.paddr - RAM_BASE, seg.memSize);
    this.dtb = buildDeviceTree({
      ramBase: RAM_BASE, ramSize, harts: 1, isa: GUEST_ISA, mmuType: config.mmuType ?? 'riscv,sv48',
      timebaseFrequency: TIMEBASE_FREQUENCY, bootargs: config.bootargs,
    });
    this.dtbAddress = fdtAddress(ramSize, this.dtb.length);
    if (this.dtbAddress < RAM_BASE) throw new SimError('CONFIG_INVALID', 'RAM is too small for the device tree');
    this.ram.write(this.dtbAddress, this.dtb);
    this.hart = new Hart(this.ram);
    this.vcpu = new Vcpu(this.hart);
    this.entry = elf.entry;
    this.hart.pc = BigInt(elf.entry);
    this.hart.setReg(10, 0n);
    this.hart.setReg(11, BigInt(this.dtbAddress));
    // The state OpenSBI hands an S-mode payload on QEMU virt: counters readable from U-mode, stvec at the entry.
    this.hart.csr.scounteren = 7;
    this.hart.csr.stvecLo = Number(BigInt.asIntN(32, BigInt(elf.entry)));
    this.hart.csr.stvecHi = Math.floor(elf.entry / 4294967296) | 0;
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
      this.hart.cache.codeWritten(off, len);
    }
  }
}
