import { describe, it, expect } from 'vitest';
import { expectSimError } from './test-helpers.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeviceTree, splitIsa, type DeviceTreeConfig, DT_MODEL, PLIC_NDEV, STDOUT_PATH } from './device-tree.js';
import { parseFdt, type FdtReadNode, type ParsedFdt } from './fdt.js';
import { DEFAULT_RAM_SIZE, RAM_BASE, TIMEBASE_FREQUENCY } from './layout.js';

const BASE: DeviceTreeConfig = {
  ramBase: RAM_BASE,
  ramSize: DEFAULT_RAM_SIZE,
  harts: 1,
  isa: 'rv64imac_zicsr_zifencei_zicntr',
  mmuType: 'riscv,sv39',
  timebaseFrequency: TIMEBASE_FREQUENCY,
};
const FULL: DeviceTreeConfig = {
  ...BASE,
  bootargs: 'console=ttyS0 earlycon=sbi',
  initrd: { start: 0x8400_0000, end: 0x8410_0000 },
};


function node(fdt: ParsedFdt, path: string): FdtReadNode {
  const n = fdt.root.find(path);
  expect(n, `node ${path}`).toBeDefined();
  return n!;
}

/** The path of the node a single-phandle property points at. */
function target(fdt: ParsedFdt, n: FdtReadNode, prop: string): string | undefined {
  const ph = n.u32(prop);
  return ph === undefined ? undefined : fdt.byPhandle(ph)?.path;
}

/** Every node path in the tree, depth first. */
function paths(n: FdtReadNode): string[] {
  return [n.path, ...n.children.flatMap(paths)];
}

describe('buildDeviceTree', () => {
  it('describes the QEMU-virt-like machine: root, chosen, memory, cpus', () => {
    const fdt = parseFdt(buildDeviceTree(FULL));
    expect(fdt.version).toBe(17);
    expect(fdt.bootCpuidPhys).toBe(0);
    const root = fdt.root;
    expect(root.u32('#address-cells')).toBe(2);
    expect(root.u32('#size-cells')).toBe(2);
    expect(root.string('compatible')).toBe('riscv-virtio');
    expect(root.string('model')).toBe(DT_MODEL);

    const chosen = node(fdt, '/chosen');
    expect(chosen.string('bootargs')).toBe('console=ttyS0 earlycon=sbi');
    expect(chosen.string('stdout-path')).toBe('/soc/serial@10000000');
    expect(STDOUT_PATH).toBe('/soc/serial@10000000');
    expect(chosen.u64('linux,initrd-start')).toBe(0x8400_0000n);
    expect(chosen.u64('linux,initrd-end')).toBe(0x8410_0000n);
    expect(chosen.has('rng-seed')).toBe(false);

    const memory = node(fdt, '/memory@80000000');
    expect(memory.string('device_type')).toBe('memory');
    expect(memory.u64s('reg')).toEqual([0x8000_0000n, BigInt(DEFAULT_RAM_SIZE)]);

    const cpus = node(fdt, '/cpus');
    expect(cpus.u32('#address-cells')).toBe(1);
    expect(cpus.u32('#size-cells')).toBe(0);
    expect(cpus.u32('timebase-frequency')).toBe(10_000_000);
    const cpu = node(fdt, '/cpus/cpu@0');
    expect(cpu.string('device_type')).toBe('cpu');
    expect(cpu.u32('reg')).toBe(0);
    expect(cpu.string('status')).toBe('okay');
    expect(cpu.string('compatible')).toBe('riscv');
    expect(cpu.string('riscv,isa')).toBe('rv64imac_zicsr_zifencei_zicntr');
    expect(cpu.string('riscv,isa-base')).toBe('rv64i');
    expect(cpu.strings('riscv,isa-extensions')).toEqual(['i', 'm', 'a', 'c', 'zicsr', 'zifencei', 'zicntr']);
    expect(cpu.string('mmu-type')).toBe('riscv,sv39');
    const intc = node(fdt, '/cpus/cpu@0/interrupt-controller');
    expect(intc.string('compatible')).toBe('riscv,cpu-intc');
    expect(intc.u32('#interrupt-cells')).toBe(1);
    expect(intc.has('interrupt-controller')).toBe(true);
    expect(intc.u32('phandle')).toBeDefined();
    expect(target(fdt, node(fdt, '/cpus/cpu-map/cluster0/core0'), 'cpu')).toBe('/cpus/cpu@0');
  });

  it('describes the devices: UART, test finisher with poweroff/reboot, PLIC with S-mode contexts only', () => {
    const fdt = parseFdt(buildDeviceTree(FULL));
    const soc = node(fdt, '/soc');
    expect(soc.string('compatible')).toBe('simple-bus');
    expect(soc.has('ranges')).toBe(true);
    expect(soc.bytes('ranges')!.length).toBe(0);
    expect(soc.u32('#address-cells')).toBe(2);
    expect(soc.u32('#size-cells')).toBe(2);

    const uart = node(fdt, '/soc/serial@10000000');
    expect(uart.string('compatible')).toBe('ns16550a');
    expect(uart.u64s('reg')).toEqual([0x1000_0000n, 0x100n]);
    expect(uart.u32('clock-frequency')).toBe(0x384000);
    expect(uart.u32('interrupts')).toBe(10);
    expect(target(fdt, uart, 'interrupt-parent')).toBe('/soc/plic@c000000');

    const test = node(fdt, '/soc/test@100000');
    expect(test.strings('compatible')).toEqual(['sifive,test1', 'sifive,test0', 'syscon']);
    expect(test.u64s('reg')).toEqual([0x10_0000n, 0x1000n]);
    for (const [name, value] of [
      ['poweroff', 0x5555],
      ['reboot', 0x7777],
    ] as const) {
      const n = node(fdt, `/${name}`);
      expect(n.string('compatible')).toBe(`syscon-${name}`);
      expect(target(fdt, n, 'regmap')).toBe('/soc/test@100000');
      expect(n.u32('offset')).toBe(0);
      expect(n.u32('value')).toBe(value);
    }

    const plic = node(fdt, '/soc/plic@c000000');
    expect(plic.strings('compatible')).toEqual(['sifive,plic-1.0.0', 'riscv,plic0']);
    expect(plic.u64s('reg')).toEqual([0xc00_0000n, 0x60_0000n]);
    expect(plic.u32('#interrupt-cells')).toBe(1);
    expect(plic.u32('#address-cells')).toBe(0);
    expect(plic.has('interrupt-controller')).toBe(true);
    expect(plic.u32('riscv,ndev')).toBe(0x5f);
    expect(PLIC_NDEV).toBe(0x5f);
    // Context 0 = hart 0's S-mode external interrupt (cause 9). QEMU would list <&intc 11 &intc 9>.
    const [ph, cause, ...rest] = plic.u32s('interrupts-extended')!;
    expect(fdt.byPhandle(ph!)!.path).toBe('/cpus/cpu@0/interrupt-controller');
    expect(cause).toBe(9);
    expect(rest).toEqual([]);

    // No CLINT (no M-mode in the guest), no virtio-mmio unless asked for.
    const all = paths(fdt.root);
    expect(all.filter((p) => /clint|virtio/.test(p))).toEqual([]);
    expect(all).toEqual([
      '/',
      '/chosen',
      '/memory@80000000',
      '/cpus',
      '/cpus/cpu@0',
      '/cpus/cpu@0/interrupt-controller',
      '/cpus/cpu-map',
      '/cpus/cpu-map/cluster0',
      '/cpus/cpu-map/cluster0/core0',
      '/soc',
      '/soc/plic@c000000',
      '/soc/serial@10000000',
      '/soc/test@100000',
      '/poweroff',
      '/reboot',
    ]);
  });

  it('leaves out bootargs and initrd when not given, and is deterministic', () => {
    const a = buildDeviceTree(BASE);
    expect(Buffer.from(buildDeviceTree(BASE)).equals(Buffer.from(a))).toBe(true);
    const chosen = parseFdt(a).root.find('chosen')!;
    expect([...chosen.properties.keys()]).toEqual(['stdout-path']);
  });

  it('gives every hart a cpu node and a PLIC S-mode context, in hart order', () => {
    const fdt = parseFdt(buildDeviceTree({ ...BASE, harts: 2, mmuType: 'riscv,sv48' }));
    expect(node(fdt, '/cpus/cpu@1').u32('reg')).toBe(1);
    expect(node(fdt, '/cpus/cpu@1').string('mmu-type')).toBe('riscv,sv48');
    expect(target(fdt, node(fdt, '/cpus/cpu-map/cluster0/core1'), 'cpu')).toBe('/cpus/cpu@1');
    const cells = node(fdt, '/soc/plic@c000000').u32s('interrupts-extended')!;
    expect(cells.length).toBe(4);
    expect(fdt.byPhandle(cells[0]!)!.path).toBe('/cpus/cpu@0/interrupt-controller');
    expect(fdt.byPhandle(cells[2]!)!.path).toBe('/cpus/cpu@1/interrupt-controller');
    expect([cells[1], cells[3]]).toEqual([9, 9]);
  });

  it('describes virtio-mmio slots as QEMU does when asked', () => {
    const fdt = parseFdt(buildDeviceTree({ ...BASE, virtioMmioSlots: 2 }));
    const names = node(fdt, '/soc').children.map((c) => c.name);
    expect(names.filter((n) => n.startsWith('virtio'))).toEqual(['virtio_mmio@10002000', 'virtio_mmio@10001000']);
    const v = node(fdt, '/soc/virtio_mmio@10002000');
    expect(v.string('compatible')).toBe('virtio,mmio');
    expect(v.u64s('reg')).toEqual([0x1000_2000n, 0x1000n]);
    expect(v.u32('interrupts')).toBe(2);
    expect(target(fdt, v, 'interrupt-parent')).toBe('/soc/plic@c000000');
  });

  it('rejects a bad config with CONFIG_INVALID', () => {
    expectSimError(() => buildDeviceTree({ ...BASE, harts: 0 }), 'CONFIG_INVALID', /harts/);
    expectSimError(() => buildDeviceTree({ ...BASE, ramSize: 0 }), 'CONFIG_INVALID', /ramSize/);
    expectSimError(() => buildDeviceTree({ ...BASE, ramBase: -1 }), 'CONFIG_INVALID', /ramBase/);
    expectSimError(() => buildDeviceTree({ ...BASE, timebaseFrequency: 0 }), 'CONFIG_INVALID', /timebaseFrequency/);
    expectSimError(() => buildDeviceTree({ ...BASE, isa: 'rv32imac' }), 'CONFIG_INVALID', /isa/);
    expectSimError(() => buildDeviceTree({ ...BASE, isa: 'rv64mac' }), 'CONFIG_INVALID', /base/);
    expectSimError(() => buildDeviceTree({ ...BASE, isa: 'RV64IMAC' }), 'CONFIG_INVALID', /isa/);
    expectSimError(() => buildDeviceTree({ ...BASE, bootargs: 'a\0b' }), 'CONFIG_INVALID', /NUL/);
    expectSimError(() => buildDeviceTree({ ...BASE, initrd: { start: 2, end: 1 } }), 'CONFIG_INVALID', /initrd/);
    expectSimError(() => buildDeviceTree({ ...BASE, virtioMmioSlots: 9 }), 'CONFIG_INVALID', /virtioMmioSlots/);
    const badMmu = { ...BASE, mmuType: 'riscv,sv57' } as unknown as DeviceTreeConfig;
    expectSimError(() => buildDeviceTree(badMmu), 'CONFIG_INVALID', /mmuType/);
  });
});

describe('splitIsa', () => {
  it('splits single-letter and multi-letter extensions', () => {
    expect(splitIsa('rv64imac_zicsr_zifencei_zicntr')).toEqual({
      base: 'rv64i',
      extensions: ['i', 'm', 'a', 'c', 'zicsr', 'zifencei', 'zicntr'],
    });
  });
  it('expands g and drops duplicates', () => {
    expect(splitIsa('rv64gc_zicsr_zba')).toEqual({
      base: 'rv64i',
      extensions: ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei', 'c', 'zba'],
    });
  });
});

describe('the blob according to dtc', () => {
  function dtc(args: string[], input: Uint8Array): { stdout: Buffer; stderr: string } {
    const r = spawnSync('dtc', args, { input });
    if (r.error !== undefined) {
      expect.fail(`dtc could not be run (${r.error.message}): install device-tree-compiler (CI installs it)`);
    }
    expect(r.status, r.stderr.toString()).toBe(0);
    return { stdout: r.stdout, stderr: r.stderr.toString() };
  }

  for (const [label, config] of [
    ['minimal config', BASE],
    ['bootargs, initrd, 2 harts, virtio', { ...FULL, harts: 2, virtioMmioSlots: 8 }],
  ] as const) {
    it(`decompiles with no warnings (${label}) and recompiles to the same bytes`, () => {
      const blob = buildDeviceTree(config);
      const { stdout, stderr } = dtc(['-I', 'dtb', '-O', 'dts'], blob);
      expect(stderr).toBe('');
      const dts = stdout.toString();
      for (const expected of [
        'compatible = "riscv-virtio";',
        'chosen {',
        'stdout-path = "/soc/serial@10000000";',
        'memory@80000000 {',
        'cpu@0 {',
        'riscv,isa = "rv64imac_zicsr_zifencei_zicntr";',
        'riscv,isa-extensions = "i\\0m\\0a\\0c\\0zicsr\\0zifencei\\0zicntr";',
        'compatible = "riscv,cpu-intc";',
        'serial@10000000 {',
        'compatible = "ns16550a";',
        'test@100000 {',
        'compatible = "sifive,test1\\0sifive,test0\\0syscon";',
        'plic@c000000 {',
        'compatible = "sifive,plic-1.0.0\\0riscv,plic0";',
        'riscv,ndev = <0x5f>;',
        'poweroff {',
        'reboot {',
      ]) {
        expect(dts).toContain(expected);
      }
      const again = dtc(['-I', 'dts', '-O', 'dtb'], stdout);
      expect(Buffer.from(again.stdout).equals(Buffer.from(blob))).toBe(true);
    });
  }
});

/**
 * The properties we share with QEMU's own virt tree must have QEMU's values (phandles compared by what they point
 * at). Needs qemu-system-riscv64 (CI installs it).
 */
describe('agreement with QEMU virt', () => {
  it('matches QEMU dumpdtb on every shared node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-dt-'));
    let qemu: ParsedFdt;
    try {
      const file = join(dir, 'virt.dtb');
      const r = spawnSync('qemu-system-riscv64', ['-machine', `virt,dumpdtb=${file}`, '-nographic', '-m', '128M', '-smp', '1'], {
        input: '',
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      qemu = parseFdt(new Uint8Array(readFileSync(file)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ours = parseFdt(buildDeviceTree(BASE));
    const view = (fdt: ParsedFdt, n: FdtReadNode, prop: string): unknown =>
      ['interrupt-parent', 'regmap'].includes(prop) ? target(fdt, n, prop) : Buffer.from(n.bytes(prop) ?? []).toString('hex');
    const shared: [string, string[]][] = [
      ['/', ['#address-cells', '#size-cells', 'compatible']],
      ['/chosen', ['stdout-path']],
      ['/memory@80000000', ['device_type', 'reg']],
      ['/cpus', ['#address-cells', '#size-cells', 'timebase-frequency']],
      ['/cpus/cpu@0', ['device_type', 'reg', 'status', 'compatible']],
      ['/cpus/cpu@0/interrupt-controller', ['#interrupt-cells', 'interrupt-controller', 'compatible']],
      ['/soc', ['#address-cells', '#size-cells', 'compatible', 'ranges']],
      ['/soc/serial@10000000', ['compatible', 'reg', 'clock-frequency', 'interrupt-parent', 'interrupts']],
      ['/soc/test@100000', ['compatible', 'reg']],
      ['/soc/plic@c000000', ['compatible', 'reg', '#interrupt-cells', '#address-cells', 'interrupt-controller']],
      ['/poweroff', ['compatible', 'regmap', 'offset', 'value']],
      ['/reboot', ['compatible', 'regmap', 'offset', 'value']],
    ];
    for (const [path, props] of shared) {
      const q = node(qemu, path);
      const o = node(ours, path);
      for (const prop of props) {
        expect(view(ours, o, prop), `${path}:${prop}`).toEqual(view(qemu, q, prop));
      }
    }
    // The documented difference: QEMU lists M (11) and S (9) external interrupts for hart 0; we list only S.
    const qCells = node(qemu, '/soc/plic@c000000').u32s('interrupts-extended')!;
    expect([qCells[1], qCells[3]]).toEqual([11, 9]);
    expect(node(ours, '/soc/plic@c000000').u32s('interrupts-extended')![1]).toBe(9);
  });
});
