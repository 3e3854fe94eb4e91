/*
 * sstc: the supervisor timer compare (Sstc's stimecmp, CSR 0x14d), as a
 * guest sees it on QEMU virt (with OpenSBI, which enables menvcfg.STCE) and
 * on hindsight (KVM's vstimecmp).  Prints only what does not depend on how
 * fast time runs, so both print the same lines:
 *
 * 1. It reads back the 64 bits written.
 * 2. With interrupts masked, sip.STIP follows time >= stimecmp: set at once
 *    for a deadline in the past, clear for all ones, clear for a deadline
 *    ahead and set once time reaches it (and not before).
 * 3. With sstatus.SIE and sie.STIE on, the interrupt is taken when time
 *    reaches the deadline; the handler writes all ones, which lowers STIP.
 * 4. SBI set_timer programs the same comparator: stimecmp reads back its
 *    value.
 *
 * Exit codes: 1..6 name the check that failed.
 */
#include "runtime.h"

#define stimecmp_read() ({ unsigned long __v; __asm__ volatile("csrr %0, 0x14d" : "=r"(__v)::"memory"); __v; })
#define stimecmp_write(v) __asm__ volatile("csrw 0x14d, %0" ::"r"(v) : "memory")

static volatile unsigned long interrupts, deadline, seen_at;

void handle_trap(struct trap_frame *f)
{
	if (f->scause != (CAUSE_INTERRUPT | IRQ_S_TIMER)) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	seen_at = read_time();
	interrupts++;
	stimecmp_write(~0UL);
}

static const char *yes(int v)
{
	return v ? "yes" : "no";
}

int main(void)
{
	puts("--- sstc ---");
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sie, SIE_STIE);

	stimecmp_write(0x123456789abcdef0UL);
	unsigned long back = stimecmp_read();
	printf("read back: %s\n", yes(back == 0x123456789abcdef0UL));
	if (back != 0x123456789abcdef0UL)
		return 1;

	stimecmp_write(0UL);
	int past = (csr_read(sip) & SIP_STIP) != 0;
	stimecmp_write(~0UL);
	int none = (csr_read(sip) & SIP_STIP) != 0;
	printf("deadline in the past: STIP %s; all ones: STIP %s\n",
	       past ? "set" : "clear", none ? "set" : "clear");
	if (!past || none)
		return 2;

	unsigned long d = read_time() + 20000;
	stimecmp_write(d);
	int before = (csr_read(sip) & SIP_STIP) != 0;
	int never = 0;
	unsigned long t;
	for (;;) {
		/* sip first: STIP seen set means time had reached the deadline
		 * by the time read after it. */
		int s = (csr_read(sip) & SIP_STIP) != 0;
		t = read_time();
		if (s)
			break;
		if (t > d + 1000000) {
			never = 1;
			break;
		}
	}
	printf("deadline ahead: STIP clear before it: %s, set once time reached it: %s\n",
	       yes(!before), yes(!never && t >= d));
	if (before || never || t < d)
		return 3;

	interrupts = 0;
	deadline = read_time() + 10000;
	stimecmp_write(deadline);
	csr_set(sstatus, SSTATUS_SIE);
	while (interrupts == 0)
		__asm__ volatile("wfi");
	csr_clear(sstatus, SSTATUS_SIE);
	int stip = (csr_read(sip) & SIP_STIP) != 0;
	printf("interrupt: %lu taken, at or after the deadline: %s, STIP after the handler's write: %s\n",
	       interrupts, yes(seen_at >= deadline), stip ? "set" : "clear");
	if (interrupts != 1 || seen_at < deadline || stip)
		return 4;

	if (sbi_set_timer(0xfedcba9876543210UL).error != SBI_SUCCESS)
		return 5;
	back = stimecmp_read();
	printf("SBI set_timer writes stimecmp: %s\n", yes(back == 0xfedcba9876543210UL));
	if (back != 0xfedcba9876543210UL)
		return 6;
	stimecmp_write(~0UL);
	csr_clear(sie, SIE_STIE);
	puts("sstc: all checks passed");
	return 0;
}
