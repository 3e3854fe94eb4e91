/* bench-memcpy: the runtime's memcpy and memset over 2 MiB buffers, repeated:
 * big aligned copies (the word loop), smaller unaligned ones (the byte loop)
 * and fills.  Prints a checksum of the destination after every round's
 * work has been folded in. */
#include "runtime.h"

#define SIZE (2UL << 20)
#define ROUNDS 160

static uint64_t src[SIZE / 8] __attribute__((aligned(64)));
static uint64_t dst[SIZE / 8] __attribute__((aligned(64)));

static uint64_t fold(const uint64_t *p, size_t words, uint64_t h)
{
	for (size_t i = 0; i < words; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL; /* FNV-1a style, per word */
	return h;
}

int main(void)
{
	uint64_t x = 42, h = 0xcbf29ce484222325ULL;

	puts("--- bench-memcpy ---");
	for (size_t i = 0; i < SIZE / 8; i++) { /* LCG (Knuth MMIX) */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		src[i] = x;
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint8_t *d = (uint8_t *)dst, *s = (uint8_t *)src;
		size_t off = (r * 24) % 512; /* 8-byte aligned offsets */

		memset(d, (int)r, SIZE);
		memcpy(d + off, s + 512 - off, SIZE - 512);
		memcpy(d + 1 + r % 7, s + 3 + r % 5, 16384); /* unaligned */
		memset(d + SIZE / 2 + r, 0xa5, 4096 + r);
		h = fold(dst + (r * 4096) % (SIZE / 8 - 1024), 1024, h);
	}
	h = fold(dst, SIZE / 8, h);
	printf("rounds: %u x %lu KiB\n", ROUNDS, SIZE >> 10);
	printf("checksum: 0x%016lx\n", h);
	return 0;
}
