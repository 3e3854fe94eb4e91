/**
 * The machine's one WebAssembly.Memory, and the hart's flat state inside it.
 *
 * Everything the execution tiers touch lives in one linear memory, so that compiled code reaches registers, TLBs,
 * the decoded-instruction cache and guest RAM with plain loads and stores, and the host side (TypeScript) reads
 * the same bytes through typed-array views:
 *
 *   0x0000_0000  hart state (below)                                  1 KiB
 *   0x0000_1000  TLBs: [privilege U, S][access read, write, fetch][1024 entries of 16 bytes]    96 KiB
 *   0x0002_0000  code map: per RAM page, the decoded-instruction slot holding it (0: none)     2 MiB
 *   0x0040_0000  decoded-instruction slots: 16 bytes per halfword of a 4 KiB page             64 MiB
 *   0x0480_0000  guest RAM (up to 2 GiB)
 *
 * Addresses are fixed, so compiled code (the interpreter and the hot blocks) does not depend on the RAM size and
 * one compiled module serves every machine. Pages nobody touches cost no host memory.
 *
 * The hart state is a declared layout, the one place that says where each register lives: checkpoints copy it,
 * the state digest and the debugger read it. 64-bit values are little-endian i64 (two i32 words for the host).
 */
export const STATE_BASE = 0;
export const STATE_SIZE = 1024;

/** Byte offsets of the hart state fields. */
export const S = {
  /** x0..x31, i64 each. x0 is always zero. */
  X: 0,
  /** f0..f31, raw 64-bit patterns (NaN-boxed singles): room for F/D. */
  F: 256,
  PC: 512,
  /** Instructions retired. */
  ICOUNT: 520,
  /** Virtual cycles skipped while idle (WFI): cycle = icount + idle. */
  IDLE: 528,
  /** The icount at which the current run stops. */
  TARGET: 536,
  /** The value of the last slow-path load or atomic. */
  SCRATCH: 544,
  /** The pending trap's value (stval) and guest-physical address (htval << 2). */
  TRAP_TVAL: 552,
  TRAP_GPA: 560,
  // The supervisor CSRs a VS-mode guest sees, 64 bits each.
  SSTATUS: 568,
  STVEC: 576,
  SSCRATCH: 584,
  SEPC: 592,
  SCAUSE: 600,
  STVAL: 608,
  SATP: 616,
  /** Sstc's stimecmp (room for it). */
  STIMECMP: 624,
  /** The LR reservation: its virtual address and the value LR loaded (SC compares it, as QEMU does). */
  RES_ADDR: 632,
  RES_VALUE: 640,
  // 32-bit fields.
  PRIV: 648,
  SIE: 652,
  SIP: 656,
  SCOUNTEREN: 660,
  SENVCFG: 664,
  /** Exceptions delegated straight to the guest (bit per cause). */
  HEDELEG: 668,
  /** fcsr: frm and fflags (room for F/D). */
  FCSR: 672,
  /**
   * Set when an enabled interrupt may be pending: the tiers check it between instructions. Next to BREAKPOINTS, so
   * that the interpreter tests both with one load.
   */
  IRQ_CHECK: 680,
  /** Non-zero when the hypervisor has address breakpoints: instructions are checked before they run. */
  BREAKPOINTS: 684,
  TRAP_PENDING: 688,
  TRAP_CAUSE: 692,
  TRAP_HTINST: 696,
  /** Byte address of the current privilege's TLB set. */
  TLB_SET: 700,
  /** Executions of a block start before the interpreter asks for it to be compiled (0: never compile). */
  HOT_THRESHOLD: 704,
  RES_VALID: 708,
  /** Statistics: instructions retired in compiled code, and calls into it (for --stats and the benchmarks). */
  COMPILED_INSNS: 712,
  REGION_CALLS: 720,
  /**
   * A decoded entry for an instruction that is never cached: one whose two halves lie on different pages (its
   * second half depends on that page's mapping, read anew each time it runs).
   */
  DECODE_SCRATCH: 768,
} as const;

/**
 * A filter of the address breakpoints, after the state: bit ((pc >> 1) & 2047) is set when a breakpoint's address
 * maps there. The interpreter asks the host about an instruction only when its bit is set, so a replay with
 * breakpoints set runs at nearly full speed (gdb's reverse-continue replays long stretches with them armed).
 */
export const BP_FILTER = 0x400;
export const BP_FILTER_BITS = 2048;

export const TLB_BASE = 0x1000;
export const TLB_ENTRIES = 1024;
export const TLB_ENTRY_SIZE = 16;
/** Bytes of one access kind's TLB, and of one set of three (mmu.ts: U, S, S with SUM). */
export const TLB_KIND_SIZE = TLB_ENTRIES * TLB_ENTRY_SIZE;
export const TLB_SET_SIZE = 3 * TLB_KIND_SIZE;
/** Within a TLB entry: the tag (i64: the page's virtual address, plus flag bits), the page's RAM offset (i32). */
export const TLB_TAG = 0, TLB_OFF = 8;

export const CODE_MAP_BASE = 0x3_0000;
/** Compiled pages the table can index (a decoded entry's block word keeps the index in 16 bits). */
export const MAX_BLOCKS = 65536;

export const DECODE_BASE = 0x40_0000;
/** One slot holds a decoded RAM page: a 16-byte entry per halfword. */
export const DECODE_SLOT_SIZE = 0x8000;
export const DECODE_SLOTS = 2048;
/**
 * A decoded entry: row id (u16; 0 = not decoded yet), rd, rs1, rs2, rs3 (u8 each), length, rounding mode (u8),
 * immediate (i32), and the block word (i32): > 0 the compiled page's table index (low 16 bits) and the basic block
 * to start at (bits 16..30), <= 0 minus the number of times the interpreter entered a block here.
 */
export const D = { ROW: 0, RD: 2, RS1: 3, RS2: 4, RS3: 5, LEN: 6, RM: 7, IMM: 8, BLOCK: 12 } as const;
export const DECODE_ENTRY_SIZE = 16;

export const RAM_OFFSET = 0x480_0000;
export const MAX_RAM = 0x8000_0000;

export const WASM_PAGE = 0x1_0000;
