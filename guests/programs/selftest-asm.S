/*
 * selftest-asm: a handful of RV64 I/M/A/C results checked in assembly.
 * Each CHECK compares a register with the value the ISA manual requires; the
 * first mismatch prints the check number and exits with it as the code.
 * All checks passing prints a summary and returns 0 from main.
 */

/* CHECK n, reg, expected: fail with code n unless reg == expected.
 * t4 = value, t5 = check number, t6 = expected, for the failure message. */
.macro CHECK n, reg, expected
	mv	t4, \reg
	li	t5, \n
	li	t6, \expected
	bne	t4, t6, fail
.endm

	.section .rodata
banner:	.asciz	"--- selftest-asm ---"
okmsg:	.asciz	"selftest-asm: %d checks passed\n"
failmsg: .asciz	"selftest-asm: check %d FAILED: got 0x%lx, expected 0x%lx\n"

	.data
	.balign 8
word:	.dword	0x8000000000000001
bytes:	.dword	0xfedcba9876543280
lrsc:	.dword	5

	.text
	.globl main
main:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	la	a0, banner
	call	puts

	/* ---- RV64I ---- */
	li	a0, 0x7fffffffffffffff
	addi	a0, a0, 1			/* wraps to INT64_MIN */
	CHECK	1, a0, 0x8000000000000000
	li	a0, 0x7fffffff
	addiw	a0, a0, 1			/* 32-bit op, sign-extended */
	CHECK	2, a0, 0xffffffff80000000
	li	a0, -16
	srai	a0, a0, 2
	CHECK	3, a0, -4
	li	a0, -16
	srli	a0, a0, 60
	CHECK	4, a0, 0xf
	li	a0, 0x80000000
	srliw	a0, a0, 4			/* reads low 32 bits, zero-fills */
	CHECK	5, a0, 0x08000000
	li	a0, 1
	slli	a0, a0, 63
	sraiw	a1, a0, 1			/* low word is 0 */
	CHECK	6, a1, 0
	li	a0, -1
	li	a1, 1
	slt	a2, a0, a1
	CHECK	7, a2, 1
	sltu	a2, a0, a1			/* -1 is the largest unsigned */
	CHECK	8, a2, 0
	la	a3, bytes
	lb	a0, 0(a3)			/* 0x80 sign-extends */
	CHECK	9, a0, -128
	lbu	a0, 0(a3)
	CHECK	10, a0, 0x80
	lh	a0, 6(a3)			/* 0xfedc */
	CHECK	11, a0, 0xfffffffffffffedc
	lwu	a0, 4(a3)			/* 0xfedcba98 */
	CHECK	12, a0, 0xfedcba98
	lw	a0, 4(a3)
	CHECK	13, a0, 0xfffffffffedcba98
	jal	a0, 1f				/* link = address of the next insn */
1:	la	a1, 1b
	sub	a0, a0, a1
	CHECK	14, a0, 0

	/* ---- M ---- */
	li	a0, -1
	li	a1, -1
	mulhu	a2, a0, a1			/* (2^64-1)^2 >> 64 */
	CHECK	15, a2, 0xfffffffffffffffe
	mulh	a2, a0, a1			/* (-1 * -1) >> 64 */
	CHECK	16, a2, 0
	mulhsu	a2, a0, a1			/* -1 * (2^64-1) >> 64 */
	CHECK	17, a2, -1
	li	a0, 0x12345678
	li	a1, 0x9abcdef
	mulw	a2, a0, a1
	CHECK	18, a2, 0xffffffffe242d208	/* low 32 bits, sign-extended */
	li	a0, 42
	div	a1, a0, zero			/* division by zero: -1 */
	CHECK	19, a1, -1
	rem	a1, a0, zero			/* remainder: the dividend */
	CHECK	20, a1, 42
	divu	a1, a0, zero
	CHECK	21, a1, -1
	li	a0, 0x8000000000000000
	li	a1, -1
	div	a2, a0, a1			/* overflow: INT64_MIN */
	CHECK	22, a2, 0x8000000000000000
	rem	a2, a0, a1			/* overflow: 0 */
	CHECK	23, a2, 0
	li	a0, -7
	li	a1, 2
	div	a2, a0, a1			/* rounds toward zero */
	CHECK	24, a2, -3
	rem	a2, a0, a1			/* sign of the dividend */
	CHECK	25, a2, -1
	li	a0, 0x80000000
	li	a1, -1
	divw	a2, a0, a1			/* 32-bit overflow, sign-extended */
	CHECK	26, a2, 0xffffffff80000000
	remuw	a2, a0, zero
	CHECK	27, a2, 0xffffffff80000000

	/* ---- A ---- */
	la	a3, word
	li	a1, 1
	amoadd.d a0, a1, (a3)			/* returns the old value */
	CHECK	28, a0, 0x8000000000000001
	ld	a0, 0(a3)
	CHECK	29, a0, 0x8000000000000002
	li	a1, -1
	amoadd.w a0, a1, (a3)			/* low word 2 -> 1; old value */
	CHECK	30, a0, 2
	li	a1, 7
	amomaxu.d a0, a1, (a3)			/* 0x8000000000000001 > 7 */
	CHECK	31, a0, 0x8000000000000001
	amomax.d a0, a1, (a3)			/* signed: 7 wins */
	ld	a0, 0(a3)
	CHECK	32, a0, 7
	li	a1, 0x55
	amoswap.d a0, a1, (a3)
	CHECK	33, a0, 7
	amominu.w a0, zero, (a3)
	ld	a0, 0(a3)
	CHECK	34, a0, 0
	la	a3, lrsc
	lr.d	a0, (a3)
	addi	a0, a0, 1
	sc.d	a1, a0, (a3)			/* 0 = success */
	CHECK	35, a1, 0
	ld	a0, 0(a3)
	CHECK	36, a0, 6
	sc.d	a1, a0, (a3)			/* no reservation: fails */
	CHECK	37, a1, 1

	/* ---- C (explicit compressed forms) ---- */
	c.li	a0, -5
	c.addi	a0, 3
	CHECK	38, a0, -2
	c.slli	a0, 4
	CHECK	39, a0, -32
	c.srai	a0, 2
	CHECK	40, a0, -8
	c.andi	a0, 0x1c
	CHECK	41, a0, 0x18
	c.li	a1, 7
	c.sub	a0, a1
	CHECK	42, a0, 0x11
	c.addiw	a0, -18				/* 32-bit result, sign-extended */
	CHECK	43, a0, -1
	c.li	a1, 0
	c.beqz	a1, 2f
	c.li	a1, 9				/* skipped */
2:	CHECK	44, a1, 0
	c.lui	a0, 0xfffff			/* 0xfffff000 sign-extended */
	CHECK	45, a0, -4096
	c.mv	a1, a0
	c.add	a1, a0
	CHECK	46, a1, -8192
	la	a3, bytes
	c.ld	a0, 0(a3)
	CHECK	47, a0, 0xfedcba9876543280
	c.lw	a0, 4(a3)
	CHECK	48, a0, 0xfffffffffedcba98

	li	a1, 48				/* the number of checks above */
	la	a0, okmsg
	call	printf
	li	a0, 0
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret

/* t4 = value, t5 = failing check, t6 = expected (see CHECK) */
fail:
	mv	s0, t5
	la	a0, failmsg
	mv	a1, t5
	mv	a2, t4
	mv	a3, t6
	call	printf
	mv	a0, s0
	call	exit
