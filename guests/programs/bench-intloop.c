/* bench-intloop: a pure integer ALU loop (adds, xors, shifts, compares and
 * branches; no loads or stores in the loop body), ~200 million instructions.
 * Prints a checksum of the final state. */
#include "runtime.h"

#define ITERATIONS 12000000UL

int main(void)
{
	uint64_t a = 0x0123456789abcdefULL, b = 0xfedcba9876543210ULL;
	uint64_t c = 0x0f1e2d3c4b5a6978ULL, d = 1;

	puts("--- bench-intloop ---");
	for (uint64_t i = 0; i < ITERATIONS; i++) {
		a += b ^ i;
		b = (b << 13) | (b >> 51); /* rotate */
		b ^= a >> 7;
		if (a & 0x10)
			c += a;
		else
			c ^= b << 3;
		if ((int64_t)c < 0)
			d += c >> 11;
		else
			d -= a << 5;
		if (d < b)
			a ^= d;
	}
	uint64_t sum = a ^ (b * 3) ^ (c << 1) ^ d;
	printf("iterations: %lu\n", ITERATIONS);
	printf("checksum: 0x%016lx\n", sum);
	return 0;
}
