import type { ExitAnswer, JournalInput, VcpuExit } from '../../sim/index.js';
import type { Symbolizer } from './symbolizer.js';

/** What a trace says about the recording it came from. */
export interface TraceMeta {
  /** The guest image's name (the journal header's kernel image). */
  image: string;
  tool: string;
  ramSize: number;
  symbols: Symbolizer | null;
}

/**
 * One trace format. The walk (export-trace.ts) calls these in time order; icount is the time (one instruction is
 * one virtual nanosecond, docs/architecture.md "Time"). Everything is written as it comes: nothing is kept per exit.
 */
export interface TraceWriter {
  start(meta: TraceMeta): void;
  /** The guest ran from kvm_entry at `from` to kvm_exit at `to` (instructions retired). */
  guest(from: number, to: number): void;
  /** An exit, with its recorded answer when it has one; `reasonCount` is how many exits of its reason so far, this one included. */
  exit(exit: VcpuExit, answer: ExitAnswer | undefined, reasonCount: number): void;
  /** Userspace acted on the machine between exits. */
  input(icount: number, input: JournalInput): void;
  /** The recording ends at `icount`: `reason` from its end record, or null when it was not closed. */
  finish(icount: number, reason: string | null): void;
}
