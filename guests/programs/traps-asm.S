/*
 * The faulting instructions for the traps program.  Each trap_* function
 * executes one instruction that traps; the handler in traps.c skips it
 * (sepc += its length) and the function returns.  The at_* labels mark the
 * faulting instruction, so traps.c can check sepc.  Encodings are spelled out
 * with .2byte/.4byte so the assembler cannot pick a different form.
 */
#define SSTATUS_SPIE 0x20
#define SSTATUS_SPP 0x100

	.text

	.globl trap_illegal32, at_illegal32
trap_illegal32:
at_illegal32:
	.4byte	0xc0001073	/* unimp = csrrw zero, cycle, zero (cycle is read-only) */
	ret

	.globl trap_illegal16, at_illegal16
trap_illegal16:
at_illegal16:
	.2byte	0x0000		/* c.unimp: the all-zero halfword is defined illegal */
	ret

	.globl trap_illegal16_addi4spn, at_illegal16_addi4spn
trap_illegal16_addi4spn:
at_illegal16_addi4spn:
	.2byte	0x0008		/* c.addi4spn a0, sp, 0: nzuimm = 0 is reserved */
	ret

	.globl trap_ebreak, at_ebreak
trap_ebreak:
at_ebreak:
	.4byte	0x00100073	/* ebreak (32-bit) */
	ret

	.globl trap_c_ebreak, at_c_ebreak
trap_c_ebreak:
at_c_ebreak:
	.2byte	0x9002		/* c.ebreak */
	ret

/* void trap_misaligned_amo(uint32_t *p): amoadd.w on a misaligned p */
	.globl trap_misaligned_amo, at_misaligned_amo
trap_misaligned_amo:
	li	a1, 1
at_misaligned_amo:
	amoadd.w a2, a1, (a0)
	ret

/*
 * void run_user(void (*fn)(void), void *user_sp)
 * Drops to U-mode at fn with sp = user_sp.  It returns when the U-mode code
 * traps and the handler sends the hart to run_user_resume in S-mode with sp
 * = user_saved_sp (what traps.c does on the U-mode ecall).
 */
	.globl run_user, run_user_resume
run_user:
	addi	sp, sp, -112
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	la	t0, user_saved_sp
	sd	sp, 0(t0)

	csrw	sepc, a0
	li	t0, SSTATUS_SPP | SSTATUS_SPIE
	csrc	sstatus, t0		/* sret to U-mode, interrupts stay off */
	csrw	sscratch, sp		/* the S stack for traps from U (trap.S) */
	mv	sp, a1
	sret

run_user_resume:
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	addi	sp, sp, 112
	ret

/* The U-mode code: one ecall.  Control never comes back here. */
	.globl user_code, at_user_ecall
user_code:
at_user_ecall:
	ecall
1:	j	1b

	.bss
	.balign 8
	.globl user_saved_sp
user_saved_sp:
	.dword	0
