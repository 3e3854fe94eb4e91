/*
 * wfi-idle: waiting for the timer in wfi.
 *
 * Part 1: with sstatus.SIE off and sie.STIE on, arm the SBI timer 1,000,000
 * ticks (0.1 s at 10 MHz) ahead and wfi until sip.STIP is set (interrupts
 * stay masked, so no trap is taken).  Prints how much `time` advanced (must
 * be >= 1,000,000), then clears the timer with set_timer(-1) and checks that
 * STIP dropped.  On hindsight a wfi with nothing pending skips virtual time
 * to the deadline, so the difference is the deadline plus a few ticks; on
 * QEMU it is host time and varies from run to run.
 *
 * Part 2: with SIE on, a handler that counts timer interrupts and re-arms the
 * timer 10,000 ticks ahead each time; main waits in a wfi loop for 5 of them
 * and then clears the timer.  Prints the count and how far time advanced.
 *
 * Exit codes: 1 woke too early, 2 STIP still set after set_timer(-1),
 * 3 fewer than 5 interrupts or too little time, 4 an SBI call failed.
 */
#include "runtime.h"

#define FIRST_WAIT 1000000UL
#define PERIOD 10000UL
#define TICKS_WANTED 5

static volatile unsigned long ticks;

void handle_trap(struct trap_frame *f)
{
	if (f->scause != (CAUSE_INTERRUPT | IRQ_S_TIMER)) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	ticks++;
	/* Always re-arm: main may be about to wfi even after the last one it
	 * waits for; main clears the timer once it has seen enough. */
	sbi_set_timer(read_time() + PERIOD);
}

int main(void)
{
	puts("--- wfi-idle ---");

	/* Part 1: masked wakeup. */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sie, SIE_STIE);
	unsigned long t0 = read_time();
	if (sbi_set_timer(t0 + FIRST_WAIT).error != SBI_SUCCESS)
		return 4;
	while (!(csr_read(sip) & SIP_STIP))
		__asm__ volatile("wfi");
	unsigned long t1 = read_time();
	unsigned long waited = t1 - t0;
	printf("wfi until the timer: time advanced %lu ticks (>= %lu: %s)\n",
	       waited, FIRST_WAIT, waited >= FIRST_WAIT ? "yes" : "no");
	if (waited < FIRST_WAIT)
		return 1;
	if (sbi_set_timer(~0UL).error != SBI_SUCCESS)
		return 4;
	unsigned long stip = csr_read(sip) & SIP_STIP;
	printf("after set_timer(-1): STIP %s\n", stip ? "still set" : "clear");
	if (stip)
		return 2;

	/* Part 2: periodic interrupts taken with SIE on. */
	ticks = 0;
	unsigned long t2 = read_time();
	sbi_set_timer(t2 + PERIOD);
	csr_set(sstatus, SSTATUS_SIE);
	while (ticks < TICKS_WANTED)
		__asm__ volatile("wfi");
	csr_clear(sstatus, SSTATUS_SIE);
	sbi_set_timer(~0UL);
	csr_clear(sie, SIE_STIE);
	unsigned long t3 = read_time(), n = ticks;
	unsigned long advanced = t3 - t2;
	printf("periodic: %lu timer interrupts (wanted %d)\n", n, TICKS_WANTED);
	printf("periodic: time advanced %lu ticks (>= %lu: %s)\n", advanced,
	       TICKS_WANTED * PERIOD,
	       advanced >= TICKS_WANTED * PERIOD ? "yes" : "no");
	if (n < TICKS_WANTED || advanced < TICKS_WANTED * PERIOD)
		return 3;
	puts("wfi-idle: done");
	return 0;
}
