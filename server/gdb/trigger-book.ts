/**
 * gdb's breakpoints and watchpoints as gdb set them (Z0..Z4), and what the VM must hold for them. gdb may set the
 * same address twice (a software and a hardware breakpoint; a `watch` and an `rwatch` on one variable) where the VM
 * keeps one trigger per address (one watchpoint per range, read and/or write), so the book counts them, merges the
 * kinds of watchpoints on one range, and tells a VM stop apart into the stop reason gdb expects.
 */
import type { BreakpointType, StopReason, WatchType } from './target.js';

export interface WatchKind {
  read: boolean;
  write: boolean;
}

interface Watch {
  type: WatchType;
  addr: bigint;
  len: number;
}

export class TriggerBook {
  private readonly breakpoints = new Map<bigint, { sw: number; hw: number }>();
  private readonly watches: Watch[] = [];

  /** Adds one; true when it is the first at this address (the VM needs a breakpoint). */
  addBreakpoint(type: BreakpointType, addr: bigint): boolean {
    const b = this.breakpoints.get(addr) ?? { sw: 0, hw: 0 };
    const first = b.sw + b.hw === 0;
    b[type]++;
    this.breakpoints.set(addr, b);
    return first;
  }

  /** Removes one; true when it was the last at this address (the VM's goes). False too when there was none. */
  removeBreakpoint(type: BreakpointType, addr: bigint): boolean {
    const b = this.breakpoints.get(addr);
    if (b === undefined || b[type] === 0) return false;
    b[type]--;
    if (b.sw + b.hw > 0) return false;
    this.breakpoints.delete(addr);
    return true;
  }

  hasBreakpoint(addr: bigint): boolean {
    return this.breakpoints.has(addr);
  }

  breakpointAddresses(): bigint[] {
    return [...this.breakpoints.keys()];
  }

  /** The merged kind gdb's watchpoints on exactly this range ask for (null: none). */
  watchKind(addr: bigint, len: number): WatchKind | null {
    let read = false, write = false;
    for (const w of this.watches) {
      if (w.addr !== addr || w.len !== len) continue;
      read ||= w.type !== 'watch';
      write ||= w.type !== 'rwatch';
    }
    return read || write ? { read, write } : null;
  }

  addWatch(type: WatchType, addr: bigint, len: number): void {
    this.watches.push({ type, addr, len });
  }

  /** Removes one; false when gdb had none like it. */
  removeWatch(type: WatchType, addr: bigint, len: number): boolean {
    const i = this.watches.findIndex((w) => w.type === type && w.addr === addr && w.len === len);
    if (i < 0) return false;
    this.watches.splice(i, 1);
    return true;
  }

  /** Every watched range with its merged kind (what the VM should hold). */
  watchRanges(): { addr: bigint; len: number; kind: WatchKind }[] {
    const seen = new Map<string, { addr: bigint; len: number; kind: WatchKind }>();
    for (const w of this.watches) {
      const key = `${w.addr}:${w.len}`;
      if (!seen.has(key)) seen.set(key, { addr: w.addr, len: w.len, kind: this.watchKind(w.addr, w.len)! });
    }
    return [...seen.values()];
  }

  /** The stop gdb expects for a VM breakpoint stop at `pc`: the type gdb set there (software first). */
  breakpointStop(pc: bigint): StopReason {
    const b = this.breakpoints.get(pc);
    if (b === undefined) return { kind: 'trap' };
    return { kind: 'trap', why: { type: b.sw > 0 ? 'swbreak' : 'hwbreak' } };
  }

  /**
   * The stop gdb expects for a VM watchpoint stop on an access at `address`: a write reports the `watch` covering it
   * (else an `awatch`), a read the `rwatch` (else an `awatch`), with an address inside the watched range so that
   * gdb finds its watchpoint. The access may start before the range (an 8-byte store over a 4-byte variable).
   */
  watchStop(address: bigint, isWrite: boolean): StopReason {
    const covering = (w: Watch, width: bigint) => address < w.addr + BigInt(w.len) && w.addr < address + width;
    const order: WatchType[] = isWrite ? ['watch', 'awatch'] : ['rwatch', 'awatch'];
    for (const width of [1n, 8n]) {
      for (const type of order) {
        const w = this.watches.find((x) => x.type === type && covering(x, width));
        if (w !== undefined) return { kind: 'trap', why: { type, address: address > w.addr ? address : w.addr } };
      }
    }
    return { kind: 'trap' };
  }
}
