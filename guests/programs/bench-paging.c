/*
 * bench-paging: Sv39 translation under load.
 *
 * Page tables:
 *   VA 0x00000000-0x3fffffff  one 1 GiB gigapage, identity (devices: the
 *                             test finisher at 0x100000 stays reachable)
 *   VA 0x80000000-0xbfffffff  512 2 MiB megapages, identity (RAM: code,
 *                             data, stack, these tables)
 *   VA 0x40000000 + 4 MiB     1024 4 KiB pages over a 4 MiB buffer, in a
 *                             scrambled order: page n -> buffer page
 *                             (n * 389 + 7) mod 1024.  Their PTEs start with
 *                             A and D clear, for the hardware to set.
 * Then: writes through the remapped window (3 pages in 4), a long
 * pseudo-random read walk over it, a check that every page seen through the
 * window equals its physical page seen through the identity map, and a
 * count of the A and D bits the hardware set.  Prints checksums and counts.
 */
#include "runtime.h"

#define PAGE 4096UL
#define NPAGES 1024UL
#define WORDS (NPAGES * PAGE / 8) /* 2^19 */
#define WINDOW 0x40000000UL
#define WALK_STEPS 16000000UL

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PPN(pa) (((unsigned long)(pa) >> 12) << 10)
#define SATP_SV39 (8UL << 60)

static uint64_t root[512] __attribute__((aligned(PAGE)));
static uint64_t l1_ram[512] __attribute__((aligned(PAGE)));
static uint64_t l1_window[512] __attribute__((aligned(PAGE)));
static uint64_t l0_window[NPAGES / 512][512] __attribute__((aligned(PAGE)));
static uint8_t buffer[NPAGES * PAGE] __attribute__((aligned(PAGE)));

static unsigned long scramble(unsigned long n)
{
	return (n * 389 + 7) % NPAGES; /* 389 is odd: a bijection mod 1024 */
}

static void build_tables(void)
{
	/* Before satp is set, virtual = physical, so &x is x's address. */
	root[0] = PTE_PPN(0) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
	root[1] = PTE_PPN(l1_window) | PTE_V; /* R=W=X=0: next level */
	root[2] = PTE_PPN(l1_ram) | PTE_V;
	for (unsigned long i = 0; i < 512; i++)
		l1_ram[i] = PTE_PPN(0x80000000UL + (i << 21)) | PTE_V | PTE_R |
			    PTE_W | PTE_X | PTE_A | PTE_D;
	for (unsigned long i = 0; i < NPAGES / 512; i++)
		l1_window[i] = PTE_PPN(l0_window[i]) | PTE_V;
	for (unsigned long n = 0; n < NPAGES; n++)
		l0_window[n / 512][n % 512] =
			PTE_PPN(buffer + scramble(n) * PAGE) | PTE_V | PTE_R |
			PTE_W;
}

int main(void)
{
	volatile uint64_t *win = (volatile uint64_t *)WINDOW;

	puts("--- bench-paging ---");
	build_tables();
	csr_write(satp, SATP_SV39 | ((unsigned long)root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");

	/* 1: fill pages n with n % 4 != 3 through the window. */
	for (unsigned long i = 0; i < WORDS; i++)
		if ((i / 512) % 4 != 3)
			win[i] = i * 0x9e3779b97f4a7c15ULL ^ (i >> 3);

	/* 2: pseudo-random read walk; i -> 5i + 3 mod 2^19 visits every
	 * word, so consecutive reads land on different pages. */
	uint64_t sum = 0, i = 0;
	for (unsigned long s = 0; s < WALK_STEPS; s++) {
		i = (i * 5 + 3) & (WORDS - 1);
		sum = (sum << 1 | sum >> 63) ^ win[i];
	}

	/* 3: each window page must be its scrambled physical page. */
	unsigned long mismatches = 0;
	uint64_t vsum = 0;
	for (unsigned long n = 0; n < NPAGES; n++) {
		const uint64_t *phys =
			(const uint64_t *)(buffer + scramble(n) * PAGE);
		for (unsigned long w = 0; w < 512; w++) {
			uint64_t v = win[n * 512 + w];
			vsum += v * (n * 512 + w + 1);
			if (v != phys[w])
				mismatches++;
		}
	}

	/* 4: A/D bits the page walker set on the 4 KiB leaf PTEs. */
	unsigned long accessed = 0, dirty = 0;
	for (unsigned long n = 0; n < NPAGES; n++) {
		uint64_t pte = l0_window[n / 512][n % 512];
		accessed += !!(pte & PTE_A);
		dirty += !!(pte & PTE_D);
	}

	printf("walk checksum: 0x%016lx\n", sum);
	printf("window checksum: 0x%016lx\n", vsum);
	printf("window/physical mismatches: %lu\n", mismatches);
	printf("leaf PTEs accessed: %lu dirty: %lu (of %lu)\n", accessed, dirty,
	       NPAGES);
	return mismatches != 0 || accessed != NPAGES || dirty != NPAGES / 4 * 3;
}
