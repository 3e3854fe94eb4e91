import { MmioDevice } from './bus.js';
import { IrqLine, NO_IRQ } from './irq.js';

const RBR_THR_DLL = 0, IER_DLM = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const LCR_DLAB = 0x80;
const IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04;
const IIR_NO_INT = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_FIFO_ENABLED = 0xc0;
const LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const MCR_LOOP = 0x10;
const FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02;

/**
 * A 16550A UART (`ns16550a`, byte registers, reg-shift 0) as QEMU models it, enough for Linux's 8250 driver and
 * for polled or interrupt-driven guests: receive holding register with a FIFO, transmit that completes at once,
 * the receive-data and transmit-empty interrupts, scratch register, divisor latch, loopback.
 *
 * Output goes to `onOutput`; input arrives through `receive()`, which in a recorded run is an input the journal
 * holds, never a read of the host's stdin from inside the machine.
 *
 * Input waits for a listener, as a person at a terminal waits for the prompt: host bytes stay outside the receiver
 * until the guest listens, that is until it enables the receive interrupt (IER.RDI), or polls LSR/RBR without
 * ever having written IER (a polled driver). Linux's 8250 driver clears the FIFOs and drains RBR while it
 * starts the port and only then enables RDI; bytes that arrived before would be lost, on hardware as on QEMU.
 */
export class Uart16550 implements MmioDevice {
  readonly name = 'ns16550a';
  private readonly onOutput: (bytes: Uint8Array) => void;
  private readonly irq: IrqLine;
  private readonly rx: number[] = [];
  /** Host input the guest is not listening for yet. */
  private readonly waiting: number[] = [];
  private listening = false;
  private ierWritten = false;
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fcr = 0;
  /** The transmit-empty interrupt is pending until IIR is read with it as the source, or THR is written. */
  private thrEmptyPending = true;
  private irqLevel = false;

  constructor(onOutput: (bytes: Uint8Array) => void, irq: IrqLine = NO_IRQ) {
    this.onOutput = onOutput;
    this.irq = irq;
  }

  /** Bytes from the outside world (the console). */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) (this.listening ? this.rx : this.waiting).push(b);
    this.update();
  }

  /** The guest listens from now on: what the host sent so far enters the receiver. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    for (const b of this.waiting) this.rx.push(b);
    this.waiting.length = 0;
  }

  /** Takes one received byte outside the register interface (the SBI console shares the input), or -1. */
  takeByte(): number {
    this.listen(); // reading the SBI console is listening
    if (this.rx.length === 0) return -1;
    const b = this.rx.shift()!;
    this.update();
    return b;
  }

  /** Bytes received and not yet read by the guest. */
  get rxQueued(): number {
    return this.rx.length + this.waiting.length;
  }

  read(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    out[0] = this.readReg(offset);
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    this.writeReg(offset, data[0]);
  }

  private readReg(reg: number): number {
    if (!this.ierWritten && (reg === LSR || (reg === RBR_THR_DLL && !(this.lcr & LCR_DLAB)))) this.listen();
    switch (reg) {
      case RBR_THR_DLL: {
        if (this.lcr & LCR_DLAB) return this.dll;
        const b = this.rx.length > 0 ? this.rx.shift()! : 0;
        this.update();
        return b;
      }
      case IER_DLM: return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case IIR_FCR: {
        const iir = this.iir();
        if (iir === IIR_THRI) {
          this.thrEmptyPending = false;
          this.update();
        }
        return iir | (this.fcr & FCR_ENABLE ? IIR_FIFO_ENABLED : 0);
      }
      case LCR: return this.lcr;
      case MCR: return this.mcr;
      case LSR: return (this.rx.length > 0 ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
      case MSR: return this.mcr & MCR_LOOP ? ((this.mcr & 0x0c) << 4) | ((this.mcr & 0x03) << 4) : 0xb0;
      case SCR: return this.scr;
      default: return 0;
    }
  }

  private writeReg(reg: number, v: number): void {
    switch (reg) {
      case RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) { this.dll = v; return; }
        if (this.mcr & MCR_LOOP) this.rx.push(v);
        else this.onOutput(Uint8Array.of(v));
        // Transmission completes at once: the holding register is empty again.
        this.thrEmptyPending = true;
        break;
      case IER_DLM:
        if (this.lcr & LCR_DLAB) { this.dlm = v; return; }
        this.ierWritten = true;
        if (v & IER_RDI) this.listen();
        // Enabling THRI while THR is empty raises the interrupt, as on the real part.
        if ((v & IER_THRI) && !(this.ier & IER_THRI)) this.thrEmptyPending = true;
        this.ier = v & 0x0f;
        break;
      case IIR_FCR:
        this.fcr = v & 0xc9;
        if (v & FCR_CLEAR_RX) this.rx.length = 0;
        break;
      case LCR: this.lcr = v; break;
      case MCR: this.mcr = v & 0x1f; break;
      case SCR: this.scr = v; break;
      default: break;
    }
    this.update();
  }

  private iir(): number {
    if ((this.ier & IER_RDI) && this.rx.length > 0) return IIR_RDI;
    if ((this.ier & IER_THRI) && this.thrEmptyPending) return IIR_THRI;
    return IIR_NO_INT;
  }

  private update(): void {
    const level = this.iir() !== IIR_NO_INT && (this.ier & (IER_RDI | IER_THRI | IER_RLSI)) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }
}
