/*
 * Entry point.  OpenSBI (on QEMU) and hindsight both start the payload here
 * in S-mode with a0 = hart id and a1 = physical address of the device tree.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	/* No gp-relative relaxation is used (link.ld defines no
	 * __global_pointer$), so gp is left alone. */
	la	sp, __stack_top
	mv	s0, a0			/* keep hartid and dtb across the bss loop */
	mv	s1, a1

	/* C expects .bss to be zero.  RAM usually is already, but a loader
	 * need not promise it. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* Any trap from here on lands in trap_entry.  OpenSBI leaves stvec
	 * pointing at this entry point, so without this a stray trap would
	 * quietly restart the program. */
	la	t0, trap_entry
	csrw	stvec, t0
	csrw	sscratch, zero		/* we run in S-mode: see trap.S */

#ifdef GUEST_REPORT_INSTRET
	/* Measurement builds only (make EXTRA_CFLAGS=-DGUEST_REPORT_INSTRET):
	 * exit() prints the instructions retired since here.  Meaningful on
	 * QEMU only with -icount, where instret counts instructions. */
	rdinstret t0
	la	t1, __guest_instret_start
	sd	t0, 0(t1)
#endif

	mv	a0, s0
	mv	a1, s1
	call	main
	tail	exit			/* exit(main's return value) */
