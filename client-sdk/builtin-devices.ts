/**
 * The built-in device models on the MMIO bus, wired as on QEMU virt: UART 16550 on PLIC line 10, the sifive,test
 * finisher, and the pattern test device. The in-process VMM (`hindsight run`) and a remote controller share them;
 * only where console bytes go and how the PLIC's output reaches the hart differ.
 */
import * as layout from '../sim/layout.js';
import type { ExitAnswer, MmioExit } from '../sim/index.js';
import { MmioBus, type MmioDevice } from './devices/bus.js';
import { Plic } from './devices/plic.js';
import { PATTERN_TEST_DEVICE_BASE, PATTERN_TEST_DEVICE_SIZE, PatternTestDevice } from './devices/test-device.js';
import { TestFinisher } from './devices/test-finisher.js';
import { Uart16550 } from './devices/uart16550.js';

export interface DeviceHost {
  /** Console bytes the guest wrote. */
  output(bytes: Uint8Array): void;
  /** The PLIC's output: the hart's external interrupt line (an input the journal records). */
  setExternalInterrupt(level: boolean): void;
}

/** How the finisher ended the run, if it did. */
export type FinisherEnd = { stop: 'finisher'; exitCode: number } | { stop: 'reset'; exitCode: 0 };

export class BuiltinDevices {
  readonly bus = new MmioBus();
  readonly uart: Uart16550;
  readonly plic: Plic;
  readonly finisher = new TestFinisher();
  readonly testDevice = new PatternTestDevice();

  constructor(host: DeviceHost) {
    this.plic = new Plic({ set: (level) => host.setExternalInterrupt(level) });
    this.uart = new Uart16550((bytes) => host.output(bytes), this.plic.line(layout.UART0_IRQ));
    this.bus.register(layout.TEST_FINISHER_BASE, layout.TEST_FINISHER_SIZE, this.finisher);
    this.bus.register(layout.UART0_BASE, layout.UART0_SIZE, this.uart);
    this.bus.register(layout.PLIC_BASE, layout.PLIC_SIZE, this.plic);
    this.bus.register(PATTERN_TEST_DEVICE_BASE, PATTERN_TEST_DEVICE_SIZE, this.testDevice);
  }

  /** Adds a device model of the user's at [base, base+size). */
  map(base: number, size: number, device: MmioDevice): void {
    this.bus.register(base, size, device);
  }

  /** Performs the access on the bus and returns the answer. Unclaimed reads return zeros, as kvmtool answers. */
  mmio(exit: MmioExit): ExitAnswer {
    const target = this.bus.find(exit.physAddr, exit.len);
    if (exit.isWrite) {
      target?.device.write(target.offset, exit.data);
      return { seq: exit.seq, reason: 'MMIO' };
    }
    return { seq: exit.seq, reason: 'MMIO', data: target ? target.device.read(target.offset, exit.len) : new Uint8Array(exit.len) };
  }

  /** Whether the guest has told the finisher to end the run. */
  finished(): FinisherEnd | null {
    const r = this.finisher.result;
    if (r === null) return null;
    return r.kind === 'pass' ? { stop: 'finisher', exitCode: 0 } : r.kind === 'fail' ? { stop: 'finisher', exitCode: r.code } : { stop: 'reset', exitCode: 0 };
  }
}

/** Zkr `seed` answers: 16 bits of entropy with OPST = ES16 (0b10), from a deterministic xorshift64. */
export class Entropy {
  private state: bigint;

  constructor(seed = 0x9e37_79b9_7f4a_7c15n) {
    this.state = seed;
  }

  next(): bigint {
    let x = this.state;
    x ^= (x << 13n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffff_ffff_ffff_ffffn;
    this.state = x;
    return (2n << 30n) | (x & 0xffffn);
  }
}
