import type { Machine, VcpuExit } from '../../sim/index.js';

const UART_THR = 0x1000_0000, UART_LCR = 0x1000_0003, LCR_DLAB = 0x80;
const SBI_PUTCHAR = 0x01, SBI_DBCN = 0x4442434e;

/**
 * The guest's console output, reconstructed from its exits during a replay (no device runs then): legacy SBI
 * putchar, DBCN write/write_byte (read from guest memory), and UART transmit-register writes.
 */
export class ConsoleTap {
  private readonly out: (bytes: Uint8Array) => void;
  private dlab = false;

  constructor(out: (bytes: Uint8Array) => void) {
    this.out = out;
  }

  exit(exit: VcpuExit, machine: Machine): void {
    if (exit.reason === 'RISCV_SBI') {
      if (exit.extensionId === SBI_PUTCHAR || (exit.extensionId === SBI_DBCN && exit.functionId === 2)) {
        this.out(Uint8Array.of(Number(exit.args[0] & 0xffn)));
      } else if (exit.extensionId === SBI_DBCN && exit.functionId === 0) {
        const addr = Number(exit.args[1] + (exit.args[2] << 32n)), len = Number(exit.args[0]);
        if (machine.ram.contains(addr, len)) this.out(machine.ram.read(addr, len));
      }
    } else if (exit.reason === 'MMIO' && exit.isWrite) {
      if (exit.physAddr === UART_LCR) this.dlab = (exit.data[0] & LCR_DLAB) !== 0;
      else if (exit.physAddr === UART_THR && !this.dlab) this.out(exit.data.subarray(0, 1));
    }
  }
}
