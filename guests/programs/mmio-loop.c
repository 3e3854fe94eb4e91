/*
 * mmio-loop: 50000 32-bit loads from hindsight's test device window at
 * physical 0x10008000, each one an MMIO exit that userspace answers: the
 * round-trip benchmark of a remote device model (bench/loopback.ts).  The
 * pattern device answers offset 0 with 0xb3a29180, so the sum is checked.
 *
 * hindsight only: on any other SBI implementation it prints that it skips.
 */
#include "runtime.h"
#include "platform.h"

#define TESTDEV 0x10008000UL
#define LOADS 50000UL

int main(void)
{
	if (!on_hindsight()) {
		puts("mmio-loop: not on hindsight, skipped");
		return 0;
	}
	volatile uint32_t *dev = (volatile uint32_t *)TESTDEV;
	uint64_t sum = 0;
	for (unsigned long i = 0; i < LOADS; i++)
		sum += dev[0];
	printf("mmio-loop: %lu loads, sum 0x%lx\n", LOADS, (unsigned long)sum);
	return sum == LOADS * 0xb3a29180UL ? 0 : 1;
}
