/**
 * The fixed part of every difftest program: entry, trap handler, per-case setup, the dump routine and the
 * console helpers. Generated cases (generator.ts) are spliced in between `programHead` and `programTail`.
 *
 * Memory (all in the ELF's .data, so identical on QEMU and hindsight):
 *   dt_pt_l3 .. dt_pt_l0   4 page tables (Sv48 root, Sv39 root = l2, l1, l0), rebuilt by every paging case
 *   dt_alias               4 pages reached through the extra 4K mappings (refilled by every paging case)
 *   dt_ctrl                2 KiB control area just below gp (offsets below are gp-relative)
 *   dt_data = gp           2 KiB data area every case refills from its own seed; random loads/stores go here
 *   dt_stack               stack for the runtime routines only (never touched by random code)
 *
 * gp (x3) is the one register random code never writes: the trap handler and the dump rely on it.
 */

export const DATA_SIZE = 2048;
export const MAX_TRAPS = 64;

/** gp-relative offsets of the control area. */
export const CTRL = {
  hsave0: -8,
  hsave1: -16,
  hsave2: -24,
  trapCount: -32,
  abortPc: -40,
  resumePc: -48,
  scScratch: -56,
  mode: -64,
  caseIndex: -120,
  csrSscratch: -72,
  csrSepc: -80,
  csrScause: -88,
  csrStval: -96,
  csrSstatus: -104,
  csrSatp: -112,
  /** x_i is saved at regs + 8*i */
  regs: -384,
  /** trap log: MAX_TRAPS entries of {scause, stval, sepc} */
  log: -2048,
} as const;

/** Virtual layout of the extra mappings used by paging cases. */
export const VA = {
  /** L0 table: 0x4000_0000 + i*4K, i = 0..8 */
  l0Base: 0x4000_0000,
  /** alias pages 0..3 → dt_alias + i*4K */
  aliasPages: 4,
  stubIndex: 4,
  invalidIndex: 5,
  /** second mapping of alias page 0 with different permissions */
  alias0bIndex: 6,
  /** a non-leaf PTE at level 0 (V=1, R=W=X=0): always a page fault */
  nonLeafIndex: 7,
  /** the case's U-mode code page */
  uPageIndex: 8,
  /** 2 MiB megapage → PA 0x8020_0000 (the start of this ELF: loads only) */
  mega: 0x4020_0000,
  /** megapage whose PPN is not 2 MiB aligned: always a page fault */
  badMega: 0x4040_0000,
} as const;

/** sstatus bits that are stable across QEMU and hindsight: SIE SPIE SPP SUM MXR. */
export const SSTATUS_STABLE = 0x2n | 0x20n | 0x100n | 0x40000n | 0x80000n;

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

export const START_MARKER = 'DIFFTEST START';
export const END_MARKER = 'DIFFTEST END';

/** Fixed addresses: the runtime, the data region and one region per case slot. */
export const LAYOUT = {
  runtime: 0x8020_0000,
  data: 0x8030_0000,
  caseBase: 0x8040_0000,
  caseRegion: 0x1_0000,
  caseSlots: 128,
} as const;

/** A case's code address depends on its seed only, so it prints the same alone or in any batch. */
export function caseSlot(seed: number): number {
  return seed % LAYOUT.caseSlots;
}

/**
 * The runtime: entry, case dispatch, trap handler, setup, dump, console helpers and the data region.
 * Identical in every program (the megapage test reads its first page), so it must not depend on the cases.
 */
export function runtimeSource(): string {
  // 4 bytes per name (3 chars + NUL) so the dump can index the table by register number.
  const names = ABI_NAMES.map((n) => `  .ascii "${(n === 'zero' ? 'x0' : n).padEnd(3, ' ')}"\n  .byte 0`).join('\n');
  return `# hindsight difftest runtime (generated; do not edit)
.option norelax
.option norvc
.equ DT_MAXLOG, ${MAX_TRAPS}
.equ DT_DATA_SIZE, ${DATA_SIZE}

.section .text.start, "ax"
.globl _start
_start:
  la sp, dt_stack_top
  la gp, dt_data
  la t0, dt_trap
  csrw stvec, t0
  csrw satp, zero
  sfence.vma
  sd zero, ${CTRL.caseIndex}(gp)
  la a0, dt_str_start
  call dt_puts
  .globl dt_next_case
dt_next_case:
  la sp, dt_stack_top
  ld t0, ${CTRL.caseIndex}(gp)
  la t1, dt_case_table
  slli t2, t0, 3
  add t1, t1, t2
  ld t1, 0(t1)
  beqz t1, dt_finish
  addi t0, t0, 1
  sd t0, ${CTRL.caseIndex}(gp)
  jr t1

dt_finish:
  la sp, dt_stack_top
  la a0, dt_str_end
  call dt_puts
  li t0, 0x5555
  li t1, 0x100000
  sw t0, 0(t1)
1:
  j 1b

# ---------------------------------------------------------------- trap handler
# Logs {scause, stval, sepc}, then: U-mode ecall -> resume in S-mode at ctrl.resumePc;
# instruction access/page fault -> resume at ra (such targets are only reached with jalr ra / c.jalr);
# anything else -> skip the faulting instruction (2 or 4 bytes, decided from its first halfword).
# After DT_MAXLOG traps the case is aborted: resume in S-mode at ctrl.abortPc (the case's dump).
.option rvc
.balign 4
.option norvc
dt_trap:
  sd t0, ${CTRL.hsave0}(gp)
  sd t1, ${CTRL.hsave1}(gp)
  sd t2, ${CTRL.hsave2}(gp)
  # QEMU 7.2 reports AMO faults with load causes (misaligned: 4, page fault: 13) where the ISA (and hindsight)
  # say store/AMO (6, 15). Canonicalise to the ISA's cause for AMOs only, in scause itself, before anything reads it.
  csrr t0, scause
  li t1, 4
  beq t0, t1, .Lamo_check
  li t1, 13
  bne t0, t1, .Lamo_done
.Lamo_check:
  csrr t2, sepc
  li t1, 0xc0000
  csrrs t1, sstatus, t1
  lhu t0, 0(t2)
  andi t0, t0, 0x7f
  addi t0, t0, -0x2f
  bnez t0, .Lamo_restore
  lhu t0, 2(t2)
  srli t0, t0, 11
  addi t0, t0, -2
  li t2, 1
  bleu t0, t2, .Lamo_restore
  csrr t0, scause
  addi t0, t0, 2
  csrw scause, t0
.Lamo_restore:
  csrw sstatus, t1
.Lamo_done:
  ld t0, ${CTRL.trapCount}(gp)
  li t1, DT_MAXLOG
  bgeu t0, t1, .Ltrap_abort
  slli t1, t0, 3
  slli t2, t0, 4
  add t1, t1, t2
  add t1, t1, gp
  csrr t2, scause
  sd t2, ${CTRL.log}(t1)
  csrr t2, stval
  sd t2, ${CTRL.log + 8}(t1)
  csrr t2, sepc
  sd t2, ${CTRL.log + 16}(t1)
  addi t0, t0, 1
  sd t0, ${CTRL.trapCount}(gp)
  csrr t0, scause
  li t1, 8
  beq t0, t1, .Ltrap_uecall
  li t1, 1
  beq t0, t1, .Ltrap_fetch
  li t1, 12
  beq t0, t1, .Ltrap_fetch
  csrr t0, sepc
  li t1, 0xc0000
  csrrs t1, sstatus, t1
  lhu t2, 0(t0)
  csrw sstatus, t1
  andi t2, t2, 3
  addi t0, t0, 2
  li t1, 3
  bne t2, t1, 1f
  addi t0, t0, 2
1:
  csrw sepc, t0
  j .Ltrap_out
.Ltrap_fetch:
  csrw sepc, ra
  j .Ltrap_out
.Ltrap_uecall:
  ld t0, ${CTRL.resumePc}(gp)
  csrw sepc, t0
  li t0, 0x100
  csrs sstatus, t0
.Ltrap_out:
  ld t0, ${CTRL.hsave0}(gp)
  ld t1, ${CTRL.hsave1}(gp)
  ld t2, ${CTRL.hsave2}(gp)
  sret
.Ltrap_abort:
  li t1, DT_MAXLOG + 1
  sd t1, ${CTRL.trapCount}(gp)
  ld t0, ${CTRL.abortPc}(gp)
  csrw sepc, t0
  li t0, 0x100
  csrs sstatus, t0
  j .Ltrap_out

# ---------------------------------------------------------------- per-case setup
# a0 = fill seed (nonzero), a1 = satp mode (0, 8, 9), a2 = abort pc
.globl dt_setup
dt_setup:
  csrw satp, zero
  sfence.vma
  li t0, 0xc0122
  csrc sstatus, t0
  addi t0, gp, ${CTRL.scScratch}
  sc.d zero, zero, (t0)
  sd zero, ${CTRL.trapCount}(gp)
  sd a2, ${CTRL.abortPc}(gp)
  sd zero, ${CTRL.resumePc}(gp)
  sd a1, ${CTRL.mode}(gp)
  mv t0, gp
  li t1, DT_DATA_SIZE / 8
  mv t2, a0
1:
  slli a3, t2, 13
  xor t2, t2, a3
  srli a3, t2, 7
  xor t2, t2, a3
  slli a3, t2, 17
  xor t2, t2, a3
  sd t2, 0(t0)
  addi t0, t0, 8
  addi t1, t1, -1
  bnez t1, 1b
  beqz a1, 9f
  la t0, dt_alias
  li t1, 4 * 4096 / 8
2:
  slli a3, t2, 13
  xor t2, t2, a3
  srli a3, t2, 7
  xor t2, t2, a3
  slli a3, t2, 17
  xor t2, t2, a3
  sd t2, 0(t0)
  addi t0, t0, 8
  addi t1, t1, -1
  bnez t1, 2b
  la t0, dt_pt_l3
  li t1, 4 * 4096 / 8
3:
  sd zero, 0(t0)
  addi t0, t0, 8
  addi t1, t1, -1
  bnez t1, 3b
  # l2[2]: 1 GiB identity page at 0x8000_0000, V R W X A D
  la t0, dt_pt_l2
  li t1, 0x200000cf
  sd t1, 16(t0)
  # l2[1] -> l1
  la t1, dt_pt_l1
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, 1
  sd t1, 8(t0)
  # l3[0] -> l2 (Sv48 only uses it)
  la t0, dt_pt_l3
  la t1, dt_pt_l2
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, 1
  sd t1, 0(t0)
  # l1[0] -> l0
  la t0, dt_pt_l1
  la t1, dt_pt_l0
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, 1
  sd t1, 0(t0)
9:
  ret

# ---------------------------------------------------------------- per-case dump
# Registers and CSRs were saved to the control area by the case; print them, the trap log,
# checksums of the memory the case could write, and (paging cases) the PTEs.
.globl dt_dump
dt_dump:
  addi sp, sp, -48
  sd ra, 0(sp)
  sd s0, 8(sp)
  sd s1, 16(sp)
  sd s2, 24(sp)
  csrw satp, zero
  sfence.vma
  li t0, 0xc0000
  csrc sstatus, t0
  ld t0, ${CTRL.csrSstatus}(gp)
  li t1, 0xc0122
  and t0, t0, t1
  sd t0, ${CTRL.csrSstatus}(gp)
  # registers x1..x31
  li s0, 1
1:
  la a0, dt_regnames
  slli t0, s0, 2
  add a0, a0, t0
  slli t0, s0, 3
  add t0, t0, gp
  ld a1, ${CTRL.regs}(t0)
  call dt_kv
  addi s0, s0, 1
  li t0, 32
  blt s0, t0, 1b
  # CSRs
  la a0, dt_str_sscratch
  ld a1, ${CTRL.csrSscratch}(gp)
  call dt_kv
  la a0, dt_str_sepc
  ld a1, ${CTRL.csrSepc}(gp)
  call dt_kv
  la a0, dt_str_scause
  ld a1, ${CTRL.csrScause}(gp)
  call dt_kv
  la a0, dt_str_stval
  ld a1, ${CTRL.csrStval}(gp)
  call dt_kv
  la a0, dt_str_sstatus
  ld a1, ${CTRL.csrSstatus}(gp)
  call dt_kv
  la a0, dt_str_satp
  ld a1, ${CTRL.csrSatp}(gp)
  call dt_kv
  # trap log
  la a0, dt_str_traps
  ld a1, ${CTRL.trapCount}(gp)
  call dt_kv
  ld s1, ${CTRL.trapCount}(gp)
  li t0, DT_MAXLOG
  bleu s1, t0, 2f
  mv s1, t0
2:
  addi s2, gp, ${CTRL.log}
3:
  beqz s1, 4f
  la a0, dt_str_trap
  call dt_puts
  ld a0, 0(s2)
  call dt_puthex
  li a0, 32
  call dt_putc
  ld a0, 8(s2)
  call dt_puthex
  li a0, 32
  call dt_putc
  ld a0, 16(s2)
  call dt_puthex
  li a0, 10
  call dt_putc
  addi s2, s2, 24
  addi s1, s1, -1
  j 3b
4:
  # data area: 8 checksums of 256 bytes
  mv s1, gp
  li s2, 8
5:
  mv a0, s1
  li a1, 256
  call dt_checksum
  mv a1, a0
  la a0, dt_str_data
  call dt_kv
  addi s1, s1, 256
  addi s2, s2, -1
  bnez s2, 5b
  ld t0, ${CTRL.mode}(gp)
  beqz t0, 8f
  # alias pages: one checksum each
  la s1, dt_alias
  li s2, 4
6:
  mv a0, s1
  li a1, 4096
  call dt_checksum
  mv a1, a0
  la a0, dt_str_page
  call dt_kv
  li t0, 4096
  add s1, s1, t0
  addi s2, s2, -1
  bnez s2, 6b
  # PTEs: l0[0..8], l1[1], l1[2]
  la s1, dt_pt_l0
  li s2, 9
7:
  la a0, dt_str_pte
  ld a1, 0(s1)
  call dt_kv
  addi s1, s1, 8
  addi s2, s2, -1
  bnez s2, 7b
  la s1, dt_pt_l1
  la a0, dt_str_pte
  ld a1, 8(s1)
  call dt_kv
  la a0, dt_str_pte
  ld a1, 16(s1)
  call dt_kv
8:
  ld ra, 0(sp)
  ld s0, 8(sp)
  ld s1, 16(sp)
  ld s2, 24(sp)
  addi sp, sp, 48
  ret

# a0 = address, a1 = byte count (multiple of 8) -> a0 = FNV-style fold of the dwords
dt_checksum:
  li t0, 0xcbf29ce484222325
  li t1, 0x100000001b3
1:
  ld t2, 0(a0)
  xor t0, t0, t2
  mul t0, t0, t1
  addi a0, a0, 8
  addi a1, a1, -8
  bnez a1, 1b
  mv a0, t0
  ret

# ---------------------------------------------------------------- console (SBI legacy putchar)
# a0 = char
dt_putc:
  li a7, 1
  ecall
  ret

# a0 = NUL-terminated string
.globl dt_puts
dt_puts:
  addi sp, sp, -16
  sd ra, 0(sp)
  sd s0, 8(sp)
  mv s0, a0
1:
  lbu a0, 0(s0)
  beqz a0, 2f
  call dt_putc
  addi s0, s0, 1
  j 1b
2:
  ld ra, 0(sp)
  ld s0, 8(sp)
  addi sp, sp, 16
  ret

# a0 = value: 16 hex digits
dt_puthex:
  addi sp, sp, -32
  sd ra, 0(sp)
  sd s0, 8(sp)
  sd s1, 16(sp)
  mv s0, a0
  li s1, 60
1:
  srl a0, s0, s1
  andi a0, a0, 15
  li t0, 10
  blt a0, t0, 2f
  addi a0, a0, 39
2:
  addi a0, a0, 48
  call dt_putc
  addi s1, s1, -4
  bgez s1, 1b
  ld ra, 0(sp)
  ld s0, 8(sp)
  ld s1, 16(sp)
  addi sp, sp, 32
  ret

# a0 = label, a1 = value: "label value\\n"
dt_kv:
  addi sp, sp, -16
  sd ra, 0(sp)
  sd s0, 8(sp)
  mv s0, a1
  call dt_puts
  li a0, 32
  call dt_putc
  mv a0, s0
  call dt_puthex
  li a0, 10
  call dt_putc
  ld ra, 0(sp)
  ld s0, 8(sp)
  addi sp, sp, 16
  ret

# ---------------------------------------------------------------- page the stub lives on
# Mapped at VA 0x4000_4000 with random permissions; reached only with jalr ra / c.jalr.
.section .text.stub, "ax"
.option rvc
.balign 4096
.option norvc
dt_stub:
  addi t1, t1, 7
  ret

.section .rodata.runtime, "a"
dt_str_start: .asciz "${START_MARKER}\\n"
dt_str_end: .asciz "${END_MARKER}\\n"
dt_str_sscratch: .asciz "sscratch"
dt_str_sepc: .asciz "sepc"
dt_str_scause: .asciz "scause"
dt_str_stval: .asciz "stval"
dt_str_sstatus: .asciz "sstatus"
dt_str_satp: .asciz "satp"
dt_str_traps: .asciz "traps"
dt_str_trap: .asciz "trap "
dt_str_data: .asciz "data"
dt_str_page: .asciz "page"
dt_str_pte: .asciz "pte"
.balign 4
dt_regnames:
${names}

.section .data
.balign 4096
dt_pt_l3: .space 4096
dt_pt_l2: .space 4096
dt_pt_l1: .space 4096
dt_pt_l0: .space 4096
dt_alias: .space 4 * 4096
dt_ctrl: .space 2048
dt_data: .space DT_DATA_SIZE
.space 2048
dt_stack: .space 4096
dt_stack_top:
.globl dt_stack_top, dt_data, dt_alias, dt_pt_l0, dt_pt_l1, dt_pt_l2, dt_pt_l3, dt_stub
`;
}
