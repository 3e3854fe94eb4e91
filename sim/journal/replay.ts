import { SimError } from '../errors.js';
import { needsAnswer, type ExitAnswer, type VcpuExit } from '../kvm/exits.js';
import { Machine } from '../machine.js';
import { StateDigester } from '../state-digest.js';
import { JournalHeader } from './format.js';
import { ParsedJournal } from './reader.js';
import { applyInput, sha256 } from './session.js';

/** The first place a replay differs from its recording. */
export interface Divergence {
  /** Index of the journal record (0 = first after the header) and its file offset. */
  record: number;
  offset: number;
  icount: number;
  /** Which field differs: `reason`, `physAddr`, `data`, `digest`, ... */
  field: string;
  expected: string;
  actual: string;
}

export interface ReplayOptions {
  /** Replay against this image instead of the one the journal holds (refused unless it is the same). */
  image?: Uint8Array;
  /** Called with every replayed exit, the answer fed to it, and the machine (in the state right after the answer). */
  onExit?: (exit: VcpuExit, answer: ExitAnswer | undefined, machine: Machine) => void;
  /** Stop after this exit seq has been replayed (and answered). */
  stopAfterSeq?: number;
}

export interface ReplayResult {
  ok: boolean;
  divergence?: Divergence;
  /** Exits replayed and instructions retired. */
  exits: number;
  icount: number;
  /** Whether the journal had an end record, and the digests there and here. */
  closed: boolean;
  recordedDigest?: string;
  finalDigest: string;
  machine: Machine;
}

/** Builds the machine a journal describes; refuses an image or configuration that is not the recorded one. */
export function machineForJournal(header: JournalHeader, image?: Uint8Array): Machine {
  const recorded = header.images[0];
  if (recorded === undefined) throw new SimError('JOURNAL_CORRUPT', 'the journal header names no image');
  const bytes = image ?? recorded.bytes;
  const digest = sha256(bytes);
  if (digest !== recorded.sha256) {
    throw new SimError('JOURNAL_IMAGE_MISMATCH', `the image (sha256 ${digest.slice(0, 16)}…) is not the one recorded (${recorded.name}, sha256 ${recorded.sha256.slice(0, 16)}…)`);
  }
  const m = header.machine;
  const machine = new Machine(bytes, { ramSize: m.ramSize, bootargs: m.bootargs, mmuType: m.mmuType as 'riscv,sv39' | 'riscv,sv48' });
  const dtb = sha256(machine.dtb);
  if (dtb !== header.dtbSha256) {
    throw new SimError('JOURNAL_CONFIG_MISMATCH', `this hindsight builds a different machine (device tree sha256 ${dtb.slice(0, 16)}…, recorded ${header.dtbSha256.slice(0, 16)}…)`);
  }
  return machine;
}

/**
 * Re-runs a recording: builds the machine from the header, feeds the recorded answers and inputs instead of asking
 * anyone, and compares every exit and digest with the recorded ones. The first difference stops the replay.
 */
export function replayJournal(journal: ParsedJournal, options: ReplayOptions = {}): ReplayResult {
  const machine = machineForJournal(journal.header, options.image);
  const { vcpu, hart } = machine;
  const digester = new StateDigester(machine);
  let exits = 0;
  let recordedDigest: string | undefined;
  let lastExit: VcpuExit | undefined;
  const result = (divergence?: Divergence): ReplayResult => ({
    ok: divergence === undefined, divergence, exits, icount: hart.icount, closed: journal.closed, recordedDigest,
    finalDigest: digester.digest(), machine,
  });
  const diverge = (record: number, offset: number, field: string, expected: unknown, actual: unknown) =>
    result({ record, offset, icount: hart.icount, field, expected: show(expected), actual: show(actual) });

  for (const { index, offset, record } of journal.entries) {
    switch (record.t) {
      case 'exit': {
        const want = record.exit;
        if (want.icount < hart.icount) return diverge(index, offset, 'icount', want.icount, `past it (${hart.icount})`);
        // An INTR stop lands exactly where it was recorded; any other exit must come by then (one instruction
        // more lets the trapping instruction be reached, and no further).
        const stops = want.reason === 'INTR' && want.cause !== 'halt';
        if (want.reason === 'INTR' && want.cause === 'immediate_exit') vcpu.requestImmediateExit();
        const got = vcpu.run(want.icount - hart.icount + (stops ? 0 : 1));
        exits++;
        const field = firstDifference(want, got);
        if (field !== null) return diverge(index, offset, field, pick(want, field), pick(got, field));
        lastExit = got;
        if (options.onExit && !needsAnswer(got)) options.onExit(got, undefined, machine);
        if (options.stopAfterSeq === got.seq && !needsAnswer(got)) return result();
        break;
      }
      case 'answer':
        try {
          vcpu.answer(record.answer);
        } catch (e) {
          return diverge(index, offset, 'answer', `answer to exit ${record.answer.seq}`, e instanceof Error ? e.message : String(e));
        }
        if (lastExit !== undefined) options.onExit?.(lastExit, record.answer, machine);
        if (options.stopAfterSeq !== undefined && record.answer.seq === options.stopAfterSeq) return result();
        break;
      case 'input':
        if (record.icount !== hart.icount) return diverge(index, offset, 'input.icount', record.icount, hart.icount);
        applyInput(machine, record.input);
        break;
      case 'digest': {
        const d = digester.digest();
        if (d !== record.digest) return diverge(index, offset, 'digest', record.digest, d);
        break;
      }
      case 'end': {
        recordedDigest = record.digest;
        const r = result();
        if (r.finalDigest !== record.digest) return diverge(index, offset, 'digest', record.digest, r.finalDigest);
        if (record.icount !== hart.icount) return diverge(index, offset, 'icount', record.icount, hart.icount);
        return r;
      }
    }
  }
  return result();
}

const LEAD_KEYS = ['reason', 'seq', 'icount', 'pc'];

/** The first field (in a fixed order) where two exits differ, or null. INTR causes budget/immediate_exit are one kind of stop. */
export function firstDifference(want: VcpuExit, got: VcpuExit): string | null {
  for (const key of LEAD_KEYS) {
    if (!same(pick(want, key), pick(got, key))) return key;
  }
  const w = want as unknown as Record<string, unknown>, g = got as unknown as Record<string, unknown>;
  let differs: string | null = null;
  for (const key in w) {
    if (key === 'cause' && want.reason === 'INTR') continue;
    if (!same(w[key], g[key]) && (differs === null || key < differs)) differs = key;
  }
  for (const key in g) {
    if (!(key in w) && (differs === null || key < differs)) differs = key;
  }
  return differs;
}

/** Structural equality for exit fields: numbers, strings, booleans, bigints, byte arrays, arrays of those. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  return false;
}

function pick(o: unknown, key: string): unknown {
  return (o as Record<string, unknown>)[key];
}

/** A canonical text form for comparisons and reports (bigints in hex, bytes in hex). */
export function show(v: unknown): string {
  if (typeof v === 'bigint') return `0x${BigInt.asUintN(64, v).toString(16)}`;
  if (v instanceof Uint8Array) return `[${[...v].map((b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v === undefined) return '(none)';
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')}}`;
  return String(v);
}
