/*
 * breakpoints: a target for debugger tests.  Exported symbols (found through
 * the ELF symbol table):
 *
 *   target        a function called exactly 3 times (address breakpoints)
 *   watched       a global written twice and then read once (watchpoints)
 *   guest_ebreak  a 32-bit ebreak in main, after the above
 *
 * The program installs its own breakpoint handler, which counts the
 * breakpoint exceptions it sees and skips the instruction (sepc += 2 or 4).
 * With guest debug off the ebreak reaches that handler: "guest handler saw 1
 * breakpoint(s)".  With guest debug on the debugger owns it: resuming past it
 * gives 0, injecting it into the guest gives 1.  Both exit 0.
 *
 * Exit codes: 1 target ran a wrong number of times, 2 watched read back
 * wrong, 3 more than one breakpoint seen, 4 a breakpoint not at guest_ebreak.
 */
#include "runtime.h"

volatile unsigned long watched;
unsigned long target_calls;
extern char guest_ebreak[];

static unsigned long breakpoints_seen, bad_breakpoint_pc;

/* noipa: no inlining and no clones (target.constprop.0), so the symbol
 * is the code that runs. */
__attribute__((noinline, noipa)) void target(unsigned long i)
{
	target_calls++;
	printf("target(%lu)\n", i);
}

void handle_trap(struct trap_frame *f)
{
	if (f->scause != CAUSE_BREAKPOINT) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	breakpoints_seen++;
	if (f->sepc != (unsigned long)guest_ebreak)
		bad_breakpoint_pc = f->sepc;
	uint16_t low = *(const uint16_t *)f->sepc;
	f->sepc += (low & 3) == 3 ? 4 : 2;
}

int main(void)
{
	puts("--- breakpoints ---");

	for (unsigned long i = 0; i < 3; i++)
		target(i);
	printf("target ran %lu times\n", target_calls);

	watched = 0x1111;
	puts("wrote watched (1st)");
	watched = 0x2222;
	puts("wrote watched (2nd)");
	unsigned long v = watched;
	printf("read watched: 0x%lx\n", v);

	puts("executing ebreak at guest_ebreak");
	__asm__ volatile(".option push\n\t"
			 ".option norvc\n\t"
			 ".globl guest_ebreak\n"
			 "guest_ebreak:\n\t"
			 "ebreak\n\t"
			 ".option pop" ::: "memory");
	printf("after ebreak: guest handler saw %lu breakpoint(s)\n",
	       breakpoints_seen);

	if (target_calls != 3)
		return 1;
	if (v != 0x2222)
		return 2;
	if (breakpoints_seen > 1)
		return 3;
	if (bad_breakpoint_pc) {
		printf("breakpoint at 0x%lx, not at guest_ebreak\n",
		       bad_breakpoint_pc);
		return 4;
	}
	puts("breakpoints: done");
	return 0;
}
