/* hello: the smallest useful guest.  Prints a greeting, the hart id and the
 * device tree's magic number (proves a1 pointed at a real FDT), exits 0. */
#include "runtime.h"

int main(unsigned long hartid, void *dtb)
{
	const uint8_t *p = dtb;
	uint32_t magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			 (uint32_t)p[2] << 8 | p[3]; /* FDT is big-endian */

	puts("--- hello ---");
	puts("Hello from a hindsight guest!");
	printf("hartid: %lu\n", hartid);
	printf("dtb magic: 0x%08x\n", magic);
	puts("bye");
	return 0;
}
