/**
 * What a journal may hold, as schemas (sim/schema): the header, each record kind, the exits and answers inside them
 * and the inputs. The journal's types (JournalHeader, JournalRecord, JournalInput) are derived from these; the
 * exit and answer schemas are checked at compile time against the vCPU's own types. readJournal parses the header
 * and every msgpack record through them, and checks the fixed-layout records (codec.ts) against the same limits,
 * so a journal with a valid checksum but a wrong value is JOURNAL_BAD_HEADER / JOURNAL_BAD_RECORD naming the
 * record and the field, never a TypeError, a hang or a silent acceptance.
 */
import { RAM_BASE } from '../layout.js';
import type { ExitAnswer, VcpuExit } from '../kvm/exits.js';
import {
  array, assertSameType, bool, bytes, int, object, oneOf, optional, refine, str, tuple, u64, uint, variant, type Infer,
} from '../schema/schema.js';

/** Largest RAM a machine may have (GuestRam's limit) and the smallest page of it. */
const MAX_RAM = 2 * 1024 * 1024 * 1024;
/** The most bytes one write-mem input or watchpoint covers (the service's request limit, docs/protocol.md). */
export const MAX_INPUT_BYTES = 1 << 20;
/** Integers a journal keeps as numbers (seq, icount, guest-physical addresses) are below 2^53. */
const count = uint();
const hex64 = str({ min: 64, max: 64, pattern: /^[0-9a-f]{64}$/ });

const common = { seq: count, icount: count, pc: u64() };

/** An exit exactly as the vCPU returns it (sim/kvm/exits.ts). */
export const exitSchema = refine(variant('reason', {
  MMIO: { ...common, physAddr: count, len: oneOf(1, 2, 4, 8), isWrite: bool(), data: bytes({ max: 8 }) },
  RISCV_SBI: { ...common, extensionId: uint(0xffff_ffff), functionId: uint(0xffff_ffff), args: array(u64(), { min: 6, max: 6 }) },
  SYSTEM_EVENT: { ...common, type: oneOf('shutdown', 'reset'), typeCode: uint(0xffff_ffff), data: array(u64(), { max: 16 }) },
  INTR: { ...common, cause: oneOf('budget', 'immediate_exit', 'halt') },
  INTERNAL_ERROR: {
    ...common, suberror: uint(0xffff_ffff), message: str({ max: 4096 }), scause: uint(), stval: u64(), htval: uint(0xffff_ffff),
    htinst: uint(0xffff_ffff),
  },
  DEBUG: {
    ...common, why: oneOf('breakpoint-instruction', 'address-breakpoint', 'watchpoint', 'single-step'), isWrite: optional(bool()),
    address: optional(u64()),
  },
  RISCV_CSR: { ...common, csrNum: uint(0xfff), newValue: u64(), writeMask: u64() },
// In the vCPU's order (seq, icount, pc, reason, ...): a record decoded and encoded again is the same bytes.
}, { tagAt: 3 }), (e) => (e.reason === 'MMIO' && e.data.length !== e.len ? `MMIO data holds ${e.data.length} bytes, not len ${e.len}` : null));
assertSameType<Infer<typeof exitSchema>, VcpuExit>(true);

/** Userspace's answer to an exit (sim/kvm/exits.ts). */
export const answerSchema = variant('reason', {
  MMIO: { seq: count, data: optional(bytes({ min: 1, max: 8 })) },
  RISCV_SBI: { seq: count, ret: tuple(u64(), u64()) },
  RISCV_CSR: { seq: count, retValue: u64() },
  DEBUG: { seq: count, action: oneOf('resume', 'stay', 'inject') },
}, { tagAt: 1 });
assertSameType<Infer<typeof answerSchema>, ExitAnswer>(true);

/** Something userspace did to the machine between two exits, applied at an exact instruction count. */
export const inputSchema = variant('kind', {
  irq: { level: bool() },
  'guest-debug': { enabled: bool(), singleStep: bool() },
  breakpoint: { pc: u64(), add: bool() },
  watchpoint: { addr: u64(), len: int(1, MAX_INPUT_BYTES), read: bool(), write: bool(), add: bool() },
  'set-reg': { reg: uint(31), value: u64() },
  /** f0..f31 (a raw 64-bit pattern) and fcsr (frm << 5 | fflags): on a machine with F/D only. */
  'set-freg': { reg: uint(31), value: u64() },
  'set-fcsr': { value: uint(0xff) },
  // A pc is always even (IALIGN=16, the C extension): an odd one is no state the hart can be in.
  'set-pc': { value: refine(u64(), (v) => ((v & 1n) === 0n ? null : 'must be even (instructions are 2-byte aligned)')) },
  'write-mem': { addr: count, data: bytes({ min: 1, max: MAX_INPUT_BYTES }) },
  'immediate-exit': {},
  /**
   * Host console bytes that userspace's UART took in here (a live console: a keystroke, a pipe's chunk). The machine
   * is unchanged: what the guest reads comes through MMIO and SBI answers. Recorded so that a replay knows what was
   * typed and when.
   */
  console: { data: bytes({ min: 1, max: MAX_INPUT_BYTES }) },
});
export type JournalInput = Infer<typeof inputSchema>;

export const recordSchema = variant('t', {
  exit: { exit: exitSchema },
  answer: { answer: answerSchema },
  input: { icount: count, input: inputSchema },
  digest: { seq: count, icount: count, digest: hex64 },
  end: { icount: count, exits: count, digest: hex64, reason: str({ max: 200 }) },
});
export type JournalRecord = Infer<typeof recordSchema>;

const imageSchema = object({
  role: oneOf('kernel', 'initrd'),
  name: str({ max: 4096 }),
  sha256: hex64,
  bytes: bytes({ max: 512 * 1024 * 1024 }),
});

/** What the journal says about the machine, enough to build the same one again. */
export const headerSchema = refine(object({
  tool: str({ max: 200 }),
  machine: object({
    ramSize: refine(int(4096, MAX_RAM), (n) => (n % 4096 === 0 ? null : 'must be a multiple of 4 KiB')),
    isa: str({ max: 200 }),
    mmuType: oneOf('riscv,sv39', 'riscv,sv48'),
    bootargs: optional(str({ max: 64 * 1024 })),
  }),
  /** Every image loaded (the kernel first, then an initrd if any), with its bytes (a journal replays on its own) and digest. */
  images: array(imageSchema, { min: 1, max: 2 }),
  /** sha256 of the device tree the machine generated. */
  dtbSha256: hex64,
  /** A state digest record is written every this many exits (0: never). */
  digestEveryExits: count,
}), (h) => {
  if (h.images[0].role !== 'kernel') return 'must list the kernel first';
  if (h.images.length === 2 && h.images[1].role !== 'initrd') return 'may list an initrd after the kernel, nothing else';
  return null;
});
export type JournalHeader = Infer<typeof headerSchema>;

/**
 * What an input asks of a machine with `ramSize` bytes of RAM (and an FPU or not) that it cannot do: null when it
 * fits. Register numbers and lengths are the schema's; addresses and the F/D registers are the machine's.
 */
export function inputMisfit(input: JournalInput, ramSize: number, hasFpu = true): string | null {
  if ((input.kind === 'set-freg' || input.kind === 'set-fcsr') && !hasFpu) return `${input.kind} on a machine without F/D`;
  if (input.kind !== 'write-mem') return null;
  const end = input.addr + input.data.length;
  if (input.addr < RAM_BASE || end > RAM_BASE + ramSize) {
    return `write-mem of ${input.data.length} bytes at 0x${input.addr.toString(16)} is outside RAM [0x${RAM_BASE.toString(16)}, 0x${(RAM_BASE + ramSize).toString(16)})`;
  }
  return null;
}
