/*
 * scenario-wrong-device-answer: a driver misreads what its device answers
 * and refuses a device that is fine.
 *
 * The driver probes a "widget" at physical 0x10008000 (where hindsight's
 * built-in userspace puts its pattern test device).  Its registers, as the
 * driver's author understood them:
 *
 *   0x00  MAGIC    u8   must be 0x80
 *   0x04  VERSION  u32  (major << 16) | minor; the driver needs >= 2.0
 *
 * The built-in device answers a read of N bytes at offset o with the bytes
 * ((o + i) * 0x11 + 0x80) & 0xff, so MAGIC reads 0x80 and VERSION reads the
 * bytes c4 d5 e6 f7: 0xf7e6d5c4, version 63462.54724, far above 2.0.
 *
 * The bug is in widget_read32(): it reads through a signed int32_t pointer,
 * so the compiler emits lw, which sign-extends.  Bit 31 of the answer is
 * set, so the driver sees 0xfffffffff7e6d5c4, a negative number, which is
 * "older than 2.0".  It prints the wrong conclusion and exits with code 3.
 * With lwu (a uint32_t access) it would take the other path.
 *
 * Where to look in the journal: the 4-byte MMIO read of 0x10008004, whose
 * pc is the lw in main, answered c4 d5 e6 f7.  The 1-byte read of 0x10008000
 * before it (answered 80) is the probe that went right.
 *
 * On QEMU there is a virtio-mmio transport at 0x10008000: MAGIC reads 0x76
 * (the low byte of "virt"), and the driver reports that no widget is there
 * and exits with code 4.
 *
 * Exit codes: 3 the version check failed, 4 wrong magic, 0 the widget is
 * accepted (it is not).
 */
#include "runtime.h"

#define WIDGET_BASE 0x10008000UL
#define WIDGET_MAGIC 0x00
#define WIDGET_VERSION 0x04
#define WIDGET_MAGIC_VALUE 0x80
#define WIDGET_MIN_VERSION 0x00020000L /* 2.0 */

static inline uint8_t widget_read8(unsigned long off)
{
	return *(volatile uint8_t *)(WIDGET_BASE + off);
}

/* BUG: the register is unsigned; this should read a volatile uint32_t. */
static inline int32_t widget_read32(unsigned long off)
{
	return *(volatile int32_t *)(WIDGET_BASE + off);
}

int main(void)
{
	puts("--- scenario-wrong-device-answer ---");

	uint8_t magic = widget_read8(WIDGET_MAGIC);
	printf("probe: MAGIC   [0x%lx] = 0x%02x\n", WIDGET_BASE + WIDGET_MAGIC,
	       magic);
	if (magic != WIDGET_MAGIC_VALUE) {
		printf("probe: no widget here (magic 0x%02x, expected 0x%02x)\n",
		       magic, WIDGET_MAGIC_VALUE);
		return 4;
	}
	puts("probe: magic ok, a widget is present");

	long version = widget_read32(WIDGET_VERSION);
	printf("probe: VERSION [0x%lx] = 0x%lx (%ld)\n",
	       WIDGET_BASE + WIDGET_VERSION, version, version);
	if (version < WIDGET_MIN_VERSION) {
		printf("probe: widget version %ld is older than 2.0: "
		       "unsupported, driver disabled\n", version);
		return 3;
	}
	printf("probe: widget v%lu.%lu accepted\n", (unsigned long)version >> 16,
	       (unsigned long)version & 0xffff);
	return 0;
}
