import { MmioDevice } from './bus.js';
import { IrqLine } from './irq.js';

const NUM_SOURCES = 96; // sources 1..95 (riscv,ndev = 0x5f)
const PRIORITY_BASE = 0x0, PENDING_BASE = 0x1000, ENABLE_BASE = 0x2000, ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x20_0000, CONTEXT_STRIDE = 0x1000;

/**
 * The platform-level interrupt controller (SiFive PLIC, `riscv,plic0`) with one context: hart 0's S-mode. The
 * machine's device tree lists only that context (the guest has no M-mode), so it is context 0 here where QEMU virt
 * has it as context 1. Sources are level-triggered, as the UART's line is: a claimed source is not forwarded again
 * until it is completed, and is pending again then if its line is still high.
 */
export class Plic implements MmioDevice {
  readonly name = 'riscv,plic0';
  private readonly priority = new Uint32Array(NUM_SOURCES);
  private readonly level = new Uint8Array(NUM_SOURCES);
  private readonly pending = new Uint8Array(NUM_SOURCES);
  private readonly claimed = new Uint8Array(NUM_SOURCES);
  private readonly enabled = new Uint8Array(NUM_SOURCES);
  private threshold = 0;
  private readonly output: IrqLine;
  private outputLevel = false;

  /** `output` is the hart's S-mode external interrupt line (KVM_INTERRUPT in a real VMM). */
  constructor(output: IrqLine) {
    this.output = output;
  }

  /** The line of one interrupt source, for a device to drive. */
  line(source: number): IrqLine {
    if (source <= 0 || source >= NUM_SOURCES) throw new RangeError(`PLIC source ${source} out of range`);
    return { set: (level) => this.setLevel(source, level) };
  }

  private setLevel(source: number, level: boolean): void {
    this.level[source] = level ? 1 : 0;
    if (level && !this.claimed[source]) this.pending[source] = 1;
    if (!level) this.pending[source] = 0;
    this.update();
  }

  /** The best pending, enabled source above the threshold, or 0. */
  private best(): number {
    let best = 0, bestPrio = this.threshold;
    for (let s = 1; s < NUM_SOURCES; s++) {
      if (this.pending[s] && this.enabled[s] && this.priority[s] > bestPrio) {
        best = s;
        bestPrio = this.priority[s];
      }
    }
    return best;
  }

  private update(): void {
    const level = this.best() !== 0;
    if (level !== this.outputLevel) {
      this.outputLevel = level;
      this.output.set(level);
    }
  }

  read(offset: number, len: number): Uint8Array {
    return toBytes(this.read32(offset & ~3), len);
  }

  private read32(offset: number): number {
    if (offset < PENDING_BASE) {
      const s = offset >>> 2;
      return s < NUM_SOURCES ? this.priority[s] : 0;
    }
    if (offset < ENABLE_BASE) return this.bitsWord(this.pending, (offset - PENDING_BASE) >>> 2);
    if (offset < ENABLE_BASE + ENABLE_STRIDE) return this.bitsWord(this.enabled, (offset - ENABLE_BASE) >>> 2);
    if (offset === CONTEXT_BASE) return this.threshold;
    if (offset === CONTEXT_BASE + 4) return this.claim();
    return 0;
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length !== 4) return; // the PLIC's registers are 32-bit
    const v = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
    offset &= ~3;
    if (offset < PENDING_BASE) {
      const s = offset >>> 2;
      if (s > 0 && s < NUM_SOURCES) this.priority[s] = v & 7;
    } else if (offset >= ENABLE_BASE && offset < ENABLE_BASE + ENABLE_STRIDE) {
      const word = (offset - ENABLE_BASE) >>> 2;
      for (let b = 0; b < 32; b++) {
        const s = word * 32 + b;
        if (s > 0 && s < NUM_SOURCES) this.enabled[s] = (v >>> b) & 1;
      }
    } else if (offset === CONTEXT_BASE) {
      this.threshold = v & 7;
    } else if (offset === CONTEXT_BASE + 4) {
      this.complete(v);
    }
    this.update();
  }

  private claim(): number {
    const s = this.best();
    if (s !== 0) {
      this.pending[s] = 0;
      this.claimed[s] = 1;
      this.update();
    }
    return s;
  }

  private complete(source: number): void {
    if (source <= 0 || source >= NUM_SOURCES || !this.claimed[source]) return;
    this.claimed[source] = 0;
    if (this.level[source]) this.pending[source] = 1;
  }

  private bitsWord(bits: Uint8Array, word: number): number {
    let v = 0;
    for (let b = 0; b < 32; b++) {
      const s = word * 32 + b;
      if (s < NUM_SOURCES && bits[s]) v |= 1 << b;
    }
    return v >>> 0;
  }
}

/** Context offsets for documentation and tests. */
export const PLIC_LAYOUT = { PRIORITY_BASE, PENDING_BASE, ENABLE_BASE, CONTEXT_BASE, CONTEXT_STRIDE, ENABLE_STRIDE };

function toBytes(v: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len && i < 4; i++) out[i] = (v >>> (8 * i)) & 0xff;
  return out;
}
