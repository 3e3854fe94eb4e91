import { Machine, MachineConfig } from '../sim/index.js';
import type { VcpuExit } from '../sim/index.js';
import { MmioBus } from './devices/bus.js';
import { ConsoleIo, SbiConsole } from './devices/sbi-console.js';
import { TestFinisher } from './devices/test-finisher.js';

const TEST_FINISHER_BASE = 0x10_0000, TEST_FINISHER_SIZE = 0x1000;

export interface RunOptions extends MachineConfig {
  /** Stop after this many guest instructions (default: no limit). */
  maxInsns?: number;
  /** Where console bytes go besides the returned transcript. */
  onConsole?: (bytes: Uint8Array) => void;
  /** Console input, consumed byte by byte. */
  input?: Uint8Array;
  /** Called for every exit, before it is handled. */
  onExit?: (exit: VcpuExit) => void;
}

export type StopKind = 'finisher' | 'shutdown' | 'reset' | 'max-insns' | 'halt' | 'error';

export interface RunResult {
  console: string;
  /** 0 for a pass or a clean shutdown; the finisher's fail code; 1 for an SRST failure reason or an error. */
  exitCode: number;
  icount: number;
  stop: StopKind;
  message?: string;
  exits: number;
}

/**
 * Runs an ELF to completion with the built-in userspace: SBI console, sifive,test finisher. This is the
 * embedded default of `hindsight run`: the same device models a remote client uses, driven in-process.
 */
export function runElf(image: Uint8Array, options: RunOptions = {}): RunResult {
  const machine = new Machine(image, options);
  const { vcpu, ram } = machine;
  const chunks: Uint8Array[] = [];
  let inputPos = 0;
  const io: ConsoleIo = {
    write(bytes) {
      chunks.push(bytes);
      options.onConsole?.(bytes);
    },
    readByte() {
      return options.input !== undefined && inputPos < options.input.length ? options.input[inputPos++] : -1;
    },
  };
  const memory = {
    readPhys: (addr: number, len: number) => (ram.contains(addr, len) ? ram.read(addr, len) : null),
    writePhys: (addr: number, data: Uint8Array) => {
      if (!ram.contains(addr, Math.max(1, data.length))) return false;
      ram.write(addr, data);
      return true;
    },
  };
  const console = new SbiConsole(io, memory);
  const finisher = new TestFinisher();
  const bus = new MmioBus();
  bus.register(TEST_FINISHER_BASE, TEST_FINISHER_SIZE, finisher);

  const limit = options.maxInsns ?? Infinity;
  let exits = 0;
  const finish = (stop: StopKind, exitCode: number, message?: string): RunResult => ({
    console: Buffer.concat(chunks).toString('latin1'), exitCode, icount: machine.hart.icount, stop, message, exits,
  });
  for (;;) {
    const budget = Math.min(limit - machine.hart.icount, 1_000_000_000);
    if (budget <= 0) return finish('max-insns', 1, `stopped after ${machine.hart.icount} instructions`);
    const exit = vcpu.run(budget);
    exits++;
    options.onExit?.(exit);
    switch (exit.reason) {
      case 'MMIO': {
        const target = bus.find(exit.physAddr, exit.len);
        if (exit.isWrite) {
          target?.device.write(target.offset, exit.data);
          vcpu.answer({ seq: exit.seq, reason: 'MMIO' });
        } else {
          const data = target ? target.device.read(target.offset, exit.len) : new Uint8Array(exit.len);
          vcpu.answer({ seq: exit.seq, reason: 'MMIO', data });
        }
        const r = finisher.result;
        if (r !== null) {
          if (r.kind === 'pass') return finish('finisher', 0);
          if (r.kind === 'fail') return finish('finisher', r.code);
          return finish('reset', 0);
        }
        break;
      }
      case 'RISCV_SBI': {
        const ret: [bigint, bigint] = console.handles(exit.extensionId)
          ? console.call(exit.extensionId, exit.functionId, exit.args)
          : [-2n, 0n];
        vcpu.answer({ seq: exit.seq, reason: 'RISCV_SBI', ret });
        break;
      }
      case 'SYSTEM_EVENT':
        if (exit.type === 'reset') return finish('reset', 0);
        // SRST reason 0 = no reason, 1 = system failure.
        return finish('shutdown', exit.data[1] === 0n ? 0 : 1);
      case 'INTR':
        if (exit.cause === 'halt') return finish('halt', 1, 'the guest waits for an interrupt that nothing will raise');
        break;
      case 'INTERNAL_ERROR':
        return finish('error', 1, `${exit.message} at pc 0x${exit.pc.toString(16)}`);
    }
  }
}
