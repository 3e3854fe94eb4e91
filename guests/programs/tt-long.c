/*
 * tt-long: a long, mixed run for the time-travel benchmark (bench/timetravel.ts),
 * ~1.1e9 instructions in 1024 rounds.  Each round
 *   - runs an integer hash chain (compute, no memory traffic),
 *   - rewrites a 256 KiB window that slides through a 48 MiB buffer, so the
 *     whole buffer is rewritten five times over the run and the checkpoints
 *     of a replay hold real, changing pages,
 *   - scatters 64 writes over the whole buffer (pages all over RAM change
 *     between any two checkpoints),
 *   - reads hindsight's test device once (an MMIO exit) in probe_device(), the
 *     function the benchmark sets its reverse-continue breakpoint on,
 *   - folds the hash in fold(), whose loop is one source line of ~100
 *     instructions: the line the gdb benchmark (bench/gdb.ts) reverse-nexts
 *     over, one reverse step at a time,
 * and every 8th round prints a progress line (SBI putchar exits), so exits
 * come throughout the run: about 5000 of them, not millions.
 *
 * hindsight only (the test device): elsewhere it prints that it skips.
 */
#include "runtime.h"
#include "platform.h"

#define TESTDEV 0x10008000UL
#define TESTDEV_WORD0 0xb3a29180U /* what the pattern device answers at offset 0 */

#define BUF_BYTES (48UL << 20)
#define WINDOW_BYTES (256UL << 10)
#define ROUNDS 1024U
#define HASH_STEPS 100000U
#define SCATTER 64U
#define PRINT_EVERY 8U

static uint64_t buf[BUF_BYTES / 8];

/* Not static and never inlined: the benchmark finds it by its ELF symbol. */
uint32_t probe_device(void);

__attribute__((noinline)) uint32_t probe_device(void)
{
	return mmio_read32(TESTDEV);
}

static uint64_t hash_chain(uint64_t h, unsigned steps)
{
	for (unsigned i = 0; i < steps; i++) {
		h ^= h >> 29;
		h *= 0xbf58476d1ce4e5b9ULL;
		h += i;
		h = (h << 17) | (h >> 47);
	}
	return h;
}

/* Not static and never inlined: the gdb benchmark breaks on it by its symbol. */
uint64_t fold(uint64_t x);

__attribute__((noinline)) uint64_t fold(uint64_t x)
{
	for (unsigned k = 0; k < 16; k++) x = (x ^ (x >> 31)) * 0x9e3779b97f4a7c15ULL + k;
	return x;
}

static void rewrite_window(unsigned round, uint64_t h)
{
	size_t words = WINDOW_BYTES / 8;
	uint64_t *w = buf + (size_t)round * words % (BUF_BYTES / 8);
	for (size_t i = 0; i < words; i++)
		w[i] = h + i;
}

static uint64_t scatter(uint64_t x)
{
	for (unsigned i = 0; i < SCATTER; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL; /* LCG (Knuth MMIX) */
		buf[(x >> 20) % (BUF_BYTES / 8)] ^= x;
	}
	return x;
}

int main(void)
{
	if (!on_hindsight()) {
		puts("tt-long: not on hindsight, skipped");
		return 0;
	}
	uint64_t h = 0x0123456789abcdefULL, x = 42;
	uint64_t probes = 0;

	puts("--- tt-long ---");
	for (unsigned r = 0; r < ROUNDS; r++) {
		h = hash_chain(h, HASH_STEPS);
		rewrite_window(r, h);
		x = scatter(x);
		h ^= fold(x);
		probes += probe_device();
		if (r % PRINT_EVERY == PRINT_EVERY - 1)
			printf("round %u h=%016lx\n", r + 1, (unsigned long)h);
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < BUF_BYTES / 8; i++)
		sum = (sum ^ buf[i]) * 0x100000001b3ULL;
	int ok = probes == (uint64_t)ROUNDS * TESTDEV_WORD0;
	printf("tt-long: %u rounds, checksum 0x%016lx, device %s\n", ROUNDS, (unsigned long)sum, ok ? "ok" : "WRONG");
	return ok ? 0 : 1;
}
