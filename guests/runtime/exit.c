#include "runtime.h"

#ifdef GUEST_REPORT_INSTRET
unsigned long __guest_instret_start;
#endif

void exit(int code)
{
	volatile uint32_t *finisher = (volatile uint32_t *)FINISHER_ADDR;

#ifdef GUEST_REPORT_INSTRET
	printf("[instret %lu]\n", csr_read(instret) - __guest_instret_start);
#endif
	/* QEMU's sifive_test device: 0x5555 = pass (exit 0),
	 * (code << 16) | 0x3333 = fail (exit code). */
	if (code == 0)
		*finisher = FINISHER_PASS;
	else
		*finisher = ((uint32_t)code << 16) | FINISHER_FAIL;

	/* No finisher on this machine?  Ask the SBI to power off instead. */
	sbi_shutdown(code == 0 ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE);
	for (;;)
		__asm__ volatile("wfi");
}

/* The default trap handler: a trap nobody asked for is a failure. */
__attribute__((weak)) void handle_trap(struct trap_frame *f)
{
	printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
	       f->scause, f->stval, f->sepc);
	exit(TRAP_EXIT_CODE);
}
