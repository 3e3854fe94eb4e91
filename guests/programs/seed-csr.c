/*
 * seed-csr: reads the Zkr entropy source CSR `seed` (0x015) once, with
 * csrrw a0, seed, x0 (the only allowed form: it must be a read-write
 * access).  On hindsight the access becomes a RISCV_CSR exit and the value
 * is whatever userspace answers; the program prints it in hex with its
 * OPST field.  On QEMU 7.2 S-mode may not access seed (OpenSBI leaves
 * mseccfg.SSEED clear), so the instruction is illegal: the handler notes it,
 * skips it, and the program prints "seed: illegal".  Both exit 0; the
 * output differs between the two.
 */
#include "runtime.h"

extern char at_seed[];
static volatile int seed_illegal;
static unsigned long illegal_stval;

void handle_trap(struct trap_frame *f)
{
	if (f->scause != CAUSE_ILLEGAL_INSTRUCTION ||
	    f->sepc != (unsigned long)at_seed) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	seed_illegal = 1;
	illegal_stval = f->stval;
	f->sepc += 4;
}

int main(void)
{
	static const char *const opst[] = { "BIST", "WAIT", "ES16", "DEAD" };
	register unsigned long a0 __asm__("a0") = 0;

	puts("--- seed-csr ---");
	__asm__ volatile(".globl at_seed\n"
			 "at_seed:\n\t"
			 "csrrw %0, 0x015, x0"
			 : "+r"(a0)::"memory");
	if (seed_illegal) {
		printf("seed: illegal (stval=0x%lx)\n", illegal_stval);
		return 0;
	}
	printf("seed: 0x%016lx (opst %s, entropy 0x%04lx)\n", a0,
	       opst[(a0 >> 30) & 3], a0 & 0xffff);
	return 0;
}
