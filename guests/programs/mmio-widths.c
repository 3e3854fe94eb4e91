/*
 * mmio-widths: loads and stores of every width and signedness to hindsight's
 * test device window at physical 0x10008000 (inside virtio-mmio slot 7's
 * page).  A read of N bytes at offset o returns the bytes
 * ((o + i) * 0x11 + 0x80) & 0xff, i = 0..N-1, little-endian: 0x80 0x91 0xa2
 * ... at offsets 0..7, so the top bit is set there and sign extension shows.
 * Every loaded register is printed as 64-bit hex and checked against what the
 * ISA says it must hold.  The stores are only printed: the device records
 * them and the test checks the exits.
 *
 * hindsight only: QEMU has a virtio-mmio transport at that address, so on any
 * other SBI implementation the program prints that it skips and exits 0
 * without touching the device.  Exit code = 1 + index of the first wrong load.
 */
#include "runtime.h"
#include "platform.h"

#define TESTDEV 0x10008000UL

void mmio_widths_loads(uint64_t out[]);
void mmio_widths_stores(void);

/* Must match mmio-widths-asm.S, in order. */
static const struct load {
	const char *insn;
	unsigned off, len, sign;
} loads[] = {
	{ "lb", 0x00, 1, 1 },   { "lb", 0x08, 1, 1 },   { "lbu", 0x01, 1, 0 },
	{ "lh", 0x02, 2, 1 },   { "lh", 0x0a, 2, 1 },   { "lhu", 0x06, 2, 0 },
	{ "lw", 0x04, 4, 1 },   { "lw", 0x0c, 4, 1 },   { "lwu", 0x10, 4, 0 },
	{ "ld", 0x00, 8, 0 },   { "ld", 0x08, 8, 0 },   { "c.lw", 0x20, 4, 1 },
	{ "c.ld", 0x18, 8, 0 },
};
#define NLOADS (sizeof loads / sizeof loads[0])

static const struct store {
	const char *insn;
	unsigned off, len;
	uint64_t reg;
} stores[] = {
	{ "sb", 0x40, 1, 0x1122334455667788ULL },
	{ "sh", 0x42, 2, 0x1122334455667788ULL },
	{ "sw", 0x44, 4, 0x1122334455667788ULL },
	{ "sd", 0x48, 8, 0x1122334455667788ULL },
	{ "c.sw", 0x50, 4, 0x8899aabbccddeeffULL },
	{ "c.sd", 0x58, 8, 0x8899aabbccddeeffULL },
};
#define NSTORES (sizeof stores / sizeof stores[0])

/* What the register must hold after the load. */
static uint64_t expected(const struct load *l)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < l->len; i++)
		v |= (uint64_t)(((l->off + i) * 0x11 + 0x80) & 0xff) << (8 * i);
	if (l->sign && l->len < 8 && (v >> (8 * l->len - 1)) & 1)
		v |= ~0ULL << (8 * l->len);
	return v;
}

int main(void)
{
	static uint64_t got[NLOADS];
	int bad = 0;

	puts("--- mmio-widths ---");
	if (!on_hindsight()) {
		printf("mmio-widths: skipped: needs hindsight's test device at "
		       "0x%lx (SBI implementation id %ld)\n",
		       TESTDEV, sbi_get_impl_id());
		return 0;
	}

	mmio_widths_loads(got);
	for (unsigned i = 0; i < NLOADS; i++) {
		const struct load *l = &loads[i];
		uint64_t want = expected(l);
		printf("%-4s [0x%lx+0x%02x] = 0x%016lx", l->insn, TESTDEV,
		       l->off, got[i]);
		if (got[i] == want) {
			puts("  ok");
		} else {
			printf("  WRONG, expected 0x%016lx\n", want);
			if (!bad)
				bad = (int)i + 1;
		}
	}

	mmio_widths_stores();
	for (unsigned i = 0; i < NSTORES; i++) {
		const struct store *s = &stores[i];
		uint64_t mask = s->len == 8 ? ~0ULL : (1ULL << (8 * s->len)) - 1;
		printf("%-4s [0x%lx+0x%02x] <- 0x%016lx (writes %u bytes: 0x%lx)\n",
		       s->insn, TESTDEV, s->off, s->reg, s->len, s->reg & mask);
	}
	printf("mmio-widths: %s\n", bad ? "FAILED" : "all loads ok");
	return bad;
}
