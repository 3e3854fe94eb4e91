/*
 * console-flood: prints numbered lines through the SBI console until it is stopped (or after 100000 lines):
 * an exit-heavy guest that runs long, for crash-safety tests that kill a recorder at random moments and for
 * recording-overhead benchmarks.
 */
#include "runtime.h"

int main(void)
{
	puts("--- console-flood ---");
	for (unsigned long i = 0; i < 100000; i++)
		printf("line %lu\n", i);
	return 0;
}
