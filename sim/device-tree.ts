/**
 * The device tree the machine hands the guest in a1 at entry (as OpenSBI hands one to S-mode).
 *
 * It is modelled on the tree QEMU's `virt` machine generates (hw/riscv/virt.c; dump one with
 * `qemu-system-riscv64 -machine virt,dumpdtb=virt.dtb` and `dtc -I dtb -O dts virt.dtb`), so one guest image
 * boots on both. Differences from QEMU, all deliberate:
 *
 * - The guest has no M-mode (it runs in VS-mode; the hypervisor owns M-mode and the timer, reached via SBI), so
 *   there is no CLINT node, and the PLIC lists only each hart's S-mode external interrupt (cause 9) in
 *   interrupts-extended. QEMU lists <&intc 11 &intc 9> per hart: context 2h is hart h's M-mode, 2h+1 its S-mode.
 *   Here context h is hart h's S-mode, so for hart 0 our PLIC context 0 is QEMU's context 1. The PLIC model that
 *   answers the guest's MMIO (client-sdk) must number its contexts the same way: the context registers for hart
 *   h's S-mode are at the addresses of context h (threshold/claim at PLIC_BASE + 0x200000 + 0x1000 * h, enables
 *   at PLIC_BASE + 0x2000 + 0x80 * h).
 * - riscv,ndev is 0x5f: the PLIC has 96 sources of which source 0 is reserved, so the highest source is 95. This
 *   is what current QEMU writes (VIRT_IRQCHIP_NUM_SOURCES - 1); QEMU 7.2 wrote 0x60.
 * - The CPU's interrupt-controller node carries #address-cells = <0>: without it `dtc` warns
 *   (interrupt_provider: "Missing #address-cells in interrupt provider"), which QEMU 7.2's tree does.
 * - No /chosen rng-seed (QEMU fills it from the host's entropy; a replayable guest must not see host randomness),
 *   no fw-cfg, flash, PCIe, RTC, PMU or platform-bus nodes (the machine has none of those devices).
 * - model is "riscv-virtio,hindsight" (QEMU: "riscv-virtio,qemu"); compatible stays "riscv-virtio".
 * - Each CPU carries riscv,isa-base and riscv,isa-extensions next to riscv,isa (the newer binding, which Linux
 *   prefers when present), all derived from the one `isa` string in the config.
 * - virtio-mmio nodes are optional (config.virtioMmioSlots, default 0); when present they are named and numbered
 *   as QEMU's (virtio_mmio@10001000 on PLIC source 1, ...), listed highest address first as QEMU's dump shows.
 */
import { SimError } from './errors.js';
import { FdtTree, type FdtNode } from './fdt.js';
import {
  PLIC_BASE,
  PLIC_SIZE,
  TEST_FINISHER_BASE,
  TEST_FINISHER_SIZE,
  UART0_BASE,
  UART0_IRQ,
  UART0_SIZE,
  VIRTIO_MMIO_BASE,
  VIRTIO_MMIO_COUNT,
  VIRTIO_MMIO_IRQ_BASE,
  VIRTIO_MMIO_SIZE,
  FINISHER_PASS,
  FINISHER_RESET,
} from './layout.js';

export interface DeviceTreeConfig {
  readonly ramBase: number;
  readonly ramSize: number;
  /** Number of harts (the machine runs 1 today); each gets cpu@N with hart id N. */
  readonly harts: number;
  /** The ISA string, e.g. 'rv64imac_zicsr_zifencei_zicntr' (lower case, single-letter extensions then _z...). */
  readonly isa: string;
  readonly mmuType: 'riscv,sv39' | 'riscv,sv48';
  readonly timebaseFrequency: number;
  readonly bootargs?: string;
  /** Initial ramdisk span [start, end) in guest-physical memory (linux,initrd-start / linux,initrd-end). */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** How many virtio-mmio slots to describe (0..VIRTIO_MMIO_COUNT); default 0. */
  readonly virtioMmioSlots?: number;
}

export const DT_MODEL = 'riscv-virtio,hindsight';
export const DT_COMPATIBLE = 'riscv-virtio';
/** The 16550's input clock as QEMU virt advertises it (3.6864 MHz). */
export const UART0_CLOCK_FREQUENCY = 0x384000;
/** PLIC sources 1..95 (source 0 is reserved): the value of riscv,ndev. */
export const PLIC_NDEV = 0x5f;
/** The S-mode external interrupt's cause number, as listed in the PLIC's interrupts-extended. */
export const IRQ_S_EXT = 9;

export const UART0_NODE = `serial@${UART0_BASE.toString(16)}`;
export const STDOUT_PATH = `/soc/${UART0_NODE}`;

const invalid = (msg: string): SimError => new SimError('CONFIG_INVALID', `device tree: ${msg}`);

function checkU64(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${what} is ${value}, not a non-negative safe integer`);
}

/**
 * Splits an ISA string into riscv,isa-base and riscv,isa-extensions: 'rv64imac_zicsr_zifencei' ->
 * { base: 'rv64i', extensions: ['i', 'm', 'a', 'c', 'zicsr', 'zifencei'] }. 'g' expands to imafd_zicsr_zifencei.
 */
export function splitIsa(isa: string): { base: string; extensions: string[] } {
  const m = /^rv64([a-z]+)((?:_[a-z][a-z0-9]*)*)$/.exec(isa);
  if (m === null) {
    throw invalid(`isa ${JSON.stringify(isa)} is not an rv64 ISA string (lower case, e.g. 'rv64imac_zicsr_zifencei')`);
  }
  const letters = m[1]!;
  if (letters[0] !== 'i' && letters[0] !== 'g') {
    throw invalid(`isa ${JSON.stringify(isa)} must start with base 'rv64i' or 'rv64g'`);
  }
  const out: string[] = [];
  const add = (e: string): void => {
    if (!out.includes(e)) out.push(e);
  };
  for (const ch of letters) {
    if (ch === 'g') ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei'].forEach(add);
    else add(ch);
  }
  for (const ext of m[2]!.split('_').filter((e) => e !== '')) add(ext);
  return { base: 'rv64i', extensions: out };
}

function validate(config: DeviceTreeConfig): void {
  checkU64(config.ramBase, 'ramBase');
  checkU64(config.ramSize, 'ramSize');
  if (config.ramSize === 0) throw invalid('ramSize is 0');
  if (!Number.isSafeInteger(config.ramBase + config.ramSize)) throw invalid('ramBase + ramSize does not fit in 2^53');
  if (!Number.isInteger(config.harts) || config.harts < 1 || config.harts > 512) {
    throw invalid(`harts is ${config.harts}, expected an integer from 1 to 512`);
  }
  if (config.mmuType !== 'riscv,sv39' && config.mmuType !== 'riscv,sv48') {
    throw invalid(`mmuType is ${JSON.stringify(config.mmuType)}, expected 'riscv,sv39' or 'riscv,sv48'`);
  }
  const tb = config.timebaseFrequency;
  if (!Number.isInteger(tb) || tb < 1 || tb > 0xffff_ffff) throw invalid(`timebaseFrequency is ${tb}, expected a u32 > 0`);
  if (config.bootargs !== undefined && config.bootargs.includes('\0')) throw invalid('bootargs contains a NUL character');
  if (config.initrd !== undefined) {
    checkU64(config.initrd.start, 'initrd.start');
    checkU64(config.initrd.end, 'initrd.end');
    if (config.initrd.end < config.initrd.start) {
      throw invalid(`initrd end 0x${config.initrd.end.toString(16)} is below its start 0x${config.initrd.start.toString(16)}`);
    }
  }
  const slots = config.virtioMmioSlots ?? 0;
  if (!Number.isInteger(slots) || slots < 0 || slots > VIRTIO_MMIO_COUNT) {
    throw invalid(`virtioMmioSlots is ${slots}, expected 0 to ${VIRTIO_MMIO_COUNT}`);
  }
}

/** Builds the machine's device tree blob. Throws CONFIG_INVALID on a bad config. Same config, same bytes. */
export function buildDeviceTree(config: DeviceTreeConfig): Uint8Array {
  validate(config);
  const { base, extensions } = splitIsa(config.isa);
  const tree = new FdtTree();
  const root = tree.root;
  root.setU32('#address-cells', 2).setU32('#size-cells', 2);
  root.setString('compatible', DT_COMPATIBLE).setString('model', DT_MODEL);

  const chosen = root.addNode('chosen');
  if (config.bootargs !== undefined) chosen.setString('bootargs', config.bootargs);
  chosen.setString('stdout-path', STDOUT_PATH);
  if (config.initrd !== undefined) {
    chosen.setU64('linux,initrd-start', config.initrd.start).setU64('linux,initrd-end', config.initrd.end);
  }

  root
    .addNode(`memory@${config.ramBase.toString(16)}`)
    .setString('device_type', 'memory')
    .setU64s('reg', [config.ramBase, config.ramSize]);

  const cpus = root.addNode('cpus');
  cpus.setU32('#address-cells', 1).setU32('#size-cells', 0).setU32('timebase-frequency', config.timebaseFrequency);
  const cpuNodes: FdtNode[] = [];
  const intcs: FdtNode[] = [];
  for (let hart = 0; hart < config.harts; hart++) {
    const cpu = cpus.addNode(`cpu@${hart.toString(16)}`);
    cpu.phandle();
    cpu.setString('device_type', 'cpu').setU32('reg', hart).setString('status', 'okay').setString('compatible', 'riscv');
    cpu.setString('riscv,isa', config.isa).setString('riscv,isa-base', base).setStrings('riscv,isa-extensions', extensions);
    cpu.setString('mmu-type', config.mmuType);
    const intc = cpu.addNode('interrupt-controller');
    intc.setU32('#address-cells', 0).setU32('#interrupt-cells', 1).setEmpty('interrupt-controller');
    intc.setString('compatible', 'riscv,cpu-intc');
    intc.phandle();
    cpuNodes.push(cpu);
    intcs.push(intc);
  }
  const cluster = cpus.addNode('cpu-map').addNode('cluster0');
  cpuNodes.forEach((cpu, hart) => cluster.addNode(`core${hart}`).setPhandleRef('cpu', cpu));

  const soc = root.addNode('soc');
  soc.setU32('#address-cells', 2).setU32('#size-cells', 2).setString('compatible', 'simple-bus').setEmpty('ranges');

  // PLIC first, so its phandle comes before the devices that reference it.
  const plic = soc.addNode(`plic@${PLIC_BASE.toString(16)}`);
  plic.phandle();
  plic.setU32('#interrupt-cells', 1).setU32('#address-cells', 0);
  plic.setStrings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
  plic.setEmpty('interrupt-controller');
  // One context per hart: its S-mode external interrupt (see the module comment for the difference to QEMU).
  plic.setCells('interrupts-extended', intcs.flatMap((intc) => [intc, IRQ_S_EXT]));
  plic.setU64s('reg', [PLIC_BASE, PLIC_SIZE]);
  plic.setU32('riscv,ndev', PLIC_NDEV);

  soc
    .addNode(UART0_NODE)
    .setString('compatible', 'ns16550a')
    .setU64s('reg', [UART0_BASE, UART0_SIZE])
    .setU32('clock-frequency', UART0_CLOCK_FREQUENCY)
    .setPhandleRef('interrupt-parent', plic)
    .setU32('interrupts', UART0_IRQ);

  const test = soc.addNode(`test@${TEST_FINISHER_BASE.toString(16)}`);
  test.phandle();
  test.setStrings('compatible', ['sifive,test1', 'sifive,test0', 'syscon']).setU64s('reg', [TEST_FINISHER_BASE, TEST_FINISHER_SIZE]);

  const slots = config.virtioMmioSlots ?? 0;
  for (let i = slots - 1; i >= 0; i--) {
    const addr = VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE;
    soc
      .addNode(`virtio_mmio@${addr.toString(16)}`)
      .setString('compatible', 'virtio,mmio')
      .setU64s('reg', [addr, VIRTIO_MMIO_SIZE])
      .setPhandleRef('interrupt-parent', plic)
      .setU32('interrupts', VIRTIO_MMIO_IRQ_BASE + i);
  }

  // syscon-poweroff / syscon-reboot drive the test finisher, as on QEMU virt: writing `value` at `offset`.
  root
    .addNode('poweroff')
    .setString('compatible', 'syscon-poweroff')
    .setPhandleRef('regmap', test)
    .setU32('offset', 0)
    .setU32('value', FINISHER_PASS);
  root
    .addNode('reboot')
    .setString('compatible', 'syscon-reboot')
    .setPhandleRef('regmap', test)
    .setU32('offset', 0)
    .setU32('value', FINISHER_RESET);

  return tree.build();
}
