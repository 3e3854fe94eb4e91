/*
 * S-mode trap entry.  stvec points here (direct mode, so 4-byte aligned).
 *
 * sscratch convention (the one Linux uses): 0 while the hart runs in S-mode,
 * the S-mode stack pointer while it runs in U-mode.  That way a trap from
 * U-mode never builds its frame on a user stack, and a trap from S-mode
 * simply pushes a frame on the current stack (nesting works).
 */
#define FRAME_SIZE (36 * 8)	/* struct trap_frame in runtime.h */
#define F_SEPC (32 * 8)
#define F_SSTATUS (33 * 8)
#define F_SCAUSE (34 * 8)
#define F_STVAL (35 * 8)
#define SSTATUS_SPP 0x100

	.section .text.trap_entry, "ax"
	.balign 4
	.globl trap_entry
trap_entry:
	csrrw	sp, sscratch, sp	/* from U: sp = S stack, sscratch = user sp */
	bnez	sp, 1f
	csrrw	sp, sscratch, sp	/* from S: undo the swap (sscratch = 0 again) */
1:
	addi	sp, sp, -FRAME_SIZE
	sd	x0, 0*8(sp)
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)

	/* The interrupted sp: the user sp left in sscratch, or (from S) the
	 * value sp had before this frame.  We are in S-mode now: sscratch = 0. */
	csrrw	t0, sscratch, zero
	bnez	t0, 2f
	addi	t0, sp, FRAME_SIZE
2:	sd	t0, 2*8(sp)

	csrr	t0, sepc
	sd	t0, F_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, F_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, F_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, F_STVAL(sp)

	mv	a0, sp
	call	handle_trap

	/* The handler may have edited sepc and sstatus (e.g. to skip the
	 * faulting instruction, or to return to S-mode from a U-mode trap). */
	ld	t0, F_SEPC(sp)
	csrw	sepc, t0
	ld	t0, F_SSTATUS(sp)
	csrw	sstatus, t0
	andi	t0, t0, SSTATUS_SPP
	bnez	t0, 3f
	addi	t0, sp, FRAME_SIZE	/* going to U-mode: remember our stack */
	csrw	sscratch, t0
3:
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	sp, 2*8(sp)		/* last: it is the base of the frame */
	sret
