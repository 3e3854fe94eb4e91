/**
 * Who answers a diversion's exits: fresh built-in device models (UART on a PLIC, the finisher, the SBI console,
 * `seed`), wired straight to the traveller's machine. Nothing of a diversion is recorded, so nothing needs the
 * recording's own controller; the guest's console output is collected for the request that ran it.
 */
import { BuiltinDevices, Entropy, SbiConsole } from '../../client-sdk/index.js';
import type { DiversionAnswerer, Machine } from '../../sim/index.js';

export interface DiversionDevices {
  answer: DiversionAnswerer;
  /** The console output since the last call. */
  takeOutput(): string;
}

export function diversionDevices(machine: Machine): DiversionDevices {
  let output = '';
  const write = (bytes: Uint8Array) => { output += Buffer.from(bytes).toString('latin1'); };
  const devices = new BuiltinDevices({ output: write, setExternalInterrupt: (level) => machine.vcpu.setExternalInterrupt(level) });
  const ram = machine.ram;
  const console = new SbiConsole({ write, readByte: () => devices.uart.takeByte() }, {
    readPhys: (addr, len) => (ram.contains(addr, len) ? ram.read(addr, len) : null),
    writePhys: (addr, data) => {
      if (!ram.contains(addr, Math.max(1, data.length))) return false;
      if (data.length > 0) machine.writePhys(addr, data);
      return true;
    },
  });
  const entropy = new Entropy();
  return {
    takeOutput: () => {
      const text = output;
      output = '';
      return text;
    },
    answer: (exit) => {
      switch (exit.reason) {
        case 'MMIO': {
          const answer = devices.mmio(exit);
          const end = devices.finished();
          return end === null ? answer : { end: `the guest wrote the finisher (${end.stop}, exit code ${end.exitCode})` };
        }
        case 'RISCV_SBI':
          return { seq: exit.seq, reason: 'RISCV_SBI', ret: console.handles(exit.extensionId) ? console.call(exit.extensionId, exit.functionId, exit.args) : [-2n, 0n] };
        case 'RISCV_CSR': return { seq: exit.seq, reason: 'RISCV_CSR', retValue: entropy.next() };
        // The recording's own triggers still fire in a diversion: go past them; an ebreak is the guest's.
        case 'DEBUG': return { seq: exit.seq, reason: 'DEBUG', action: exit.why === 'breakpoint-instruction' ? 'inject' : 'resume' };
        default: return { end: `${exit.reason} exit` };
      }
    },
  };
}
