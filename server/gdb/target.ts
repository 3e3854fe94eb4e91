/**
 * What the GDB stub needs of a machine, and nothing of the packets: the small interface the protocol engine
 * (stub.ts) drives, in the manner of the Rust gdbstub crate's Target. One adapter per kind of VM implements it over
 * hindsight's own debugger verbs (vm-target.ts): a replay travels in its recording, a live VM runs and records.
 */
import type { GuestRegisters } from './registers.js';

/** How gdb resumes the hart. */
export type ResumeAction = 'continue' | 'step' | 'reverse-continue' | 'reverse-step';

export type BreakpointType = 'sw' | 'hw';
/** gdb's Z2 (write), Z3 (read) and Z4 (access) watchpoints. */
export type WatchType = 'watch' | 'rwatch' | 'awatch';

/** Why the hart stopped, as a stop reply tells gdb; `output` is console text the guest wrote on the way (a diversion's). */
export type StopReason = StopKind & { output?: string };

type StopKind =
  /** SIGTRAP: a step that completed, or one of gdb's triggers (why). */
  | { kind: 'trap'; why?: { type: 'swbreak' | 'hwbreak' } | { type: WatchType; address: bigint } }
  /** SIGTRAP at an end of the recorded history: gdb says "No more reverse-execution history". */
  | { kind: 'history'; edge: 'begin' | 'end' }
  /** SIGINT: gdb's Ctrl-C stopped it. */
  | { kind: 'interrupted' }
  /** The guest's run ended (W): the finisher's code, 0 for a clean shutdown. */
  | { kind: 'exited'; code: number }
  /** Something else stopped it, with a signal number and a message for the console (a replay that diverged). */
  | { kind: 'signal'; signal: number; message: string };

/** What a target can do: decides what qSupported offers and which packets are refused. */
export interface TargetCapabilities {
  /** bc/bs: the VM has a recorded past. */
  reverse: boolean;
  /** G/P/M/X: registers and memory may be written (a live VM; never a replay). */
  write: boolean;
}

/** A refusal the stub turns into an error reply: `E.message` (and `E01` for old clients). */
export class TargetError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface GdbTarget {
  readonly capabilities: TargetCapabilities;
  /** The harts gdb sees as threads, numbered from 1. */
  threadCount(): number;

  /** The registers where the hart stands (refreshed after every move). */
  readRegisters(): Promise<GuestRegisters>;
  /** Writes x1..x31 (1..31), the pc (32), f0..f31 (33..64) or fflags, frm, fcsr (66..68), by gdb's numbers. */
  writeRegister(regnum: number, value: bigint): Promise<void>;
  /** Guest-virtual memory as the hart sees it now; fewer bytes than asked when the rest is not readable. */
  readMemory(addr: bigint, len: number): Promise<Uint8Array>;
  writeMemory(addr: bigint, data: Uint8Array): Promise<void>;

  /** Hypervisor breakpoints and watchpoints: guest memory is never patched. */
  insertBreakpoint(type: BreakpointType, addr: bigint): Promise<void>;
  removeBreakpoint(type: BreakpointType, addr: bigint): Promise<void>;
  insertWatchpoint(type: WatchType, addr: bigint, len: number): Promise<void>;
  removeWatchpoint(type: WatchType, addr: bigint, len: number): Promise<void>;

  /** Resumes and resolves when the hart stops again. */
  resume(action: ResumeAction): Promise<StopReason>;
  /** Ctrl-C while resumed: the pending resume() resolves soon with `interrupted` (or whatever stopped it first). */
  interrupt(): void;

  /** `monitor ...`: writes what it has to say through `print`. */
  monitor(command: string, print: (text: string) => void): Promise<void>;

  /** gdb leaves: the guest goes on without it. */
  detach(): Promise<void>;
  /** gdb kills the guest: its run ends here. */
  kill(): Promise<void>;
}
