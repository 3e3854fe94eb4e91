/* fp-regs: fills every F/D register with a value worth looking at (doubles,
 * NaN-boxed singles, signed zeros, infinities, NaNs with payloads,
 * subnormals, patterns that are not properly boxed) and fcsr with a rounding
 * mode and two sticky flags, stops at fp_filled for a debugger, then prints
 * every register that differs from what was loaded there (what a debugger
 * wrote) and exits 0. The same ELF runs under QEMU, so gdb's view of the
 * registers can be compared with QEMU's. */
#include "runtime.h"

#define BOX(single) (0xffffffff00000000ul | (single))

static const uint64_t fp_in[32] = {
	0x3ff0000000000000, /* ft0  1.0 */
	0x8000000000000000, /* ft1  -0.0 */
	0x7ff0000000000000, /* ft2  +inf */
	0x7ff8000000000000, /* ft3  the canonical NaN */
	0x7ff4000000000abc, /* ft4  a signalling NaN with a payload */
	0x0000000000000001, /* ft5  the smallest subnormal */
	0x7fefffffffffffff, /* ft6  the largest double */
	0x3fb999999999999a, /* ft7  0.1 */
	BOX(0x3fc00000),    /* fs0  1.5f */
	BOX(0x80000000),    /* fs1  -0.0f */
	BOX(0x7fc00000),    /* fa0  the canonical single NaN */
	BOX(0x3dcccccd),    /* fa1  0.1f */
	0x000000003fc00000, /* fa2  1.5f not boxed: a subnormal double */
	0xfffffffe3fc00000, /* fa3  almost boxed: a double NaN */
	0x400921fb54442d18, /* fa4  pi */
	0xc004000000000000, /* fa5  -2.5 */
	0x0010000000000000, /* fa6  the smallest normal double */
	0x800fffffffffffff, /* fa7  the largest negative subnormal */
	BOX(0x7f800000),    /* fs2  +inf single */
	BOX(0xff800000),    /* fs3  -inf single */
	BOX(0x00000001),    /* fs4  the smallest single subnormal */
	BOX(0x7f7fffff),    /* fs5  the largest single */
	BOX(0x7fa00123),    /* fs6  a signalling single NaN with a payload */
	0x419d6f3454000000, /* fs7  123456789.0 */
	0x3fe0000000000001, /* fs8  0.5 + 1 ulp */
	0xfff8000000000001, /* fs9  a negative quiet NaN with a payload */
	0x0000000000000000, /* fs10 +0.0 */
	0xbff0000000000000, /* fs11 -1.0 */
	BOX(0xc0490fdb),    /* ft8  -pi as a single */
	0x4340000000000000, /* ft9  2^53 */
	0x3ca0000000000000, /* ft10 2^-53 */
	0x7ff0000000000001, /* ft11 the smallest signalling NaN */
};

/* frm RUP (3), fflags DZ and NX. */
#define FCSR ((3u << 5) | 0x08 | 0x01)

uint64_t fp_fill(const uint64_t *in, uint64_t *out, uint64_t fcsr);

static uint64_t fp_out[32];

int main(void)
{
	puts("--- fp-regs ---");
	/* sstatus.FS: Initial (the FPU on), whatever the firmware left. */
	__asm__ volatile("csrs sstatus, %0" : : "r"(1ul << 13));
	uint64_t fcsr = fp_fill(fp_in, fp_out, FCSR);
	int changed = 0;
	for (int i = 0; i < 32; i++) {
		if (fp_out[i] != fp_in[i]) {
			printf("f%d: 0x%lx (loaded 0x%lx)\n", i, fp_out[i], fp_in[i]);
			changed++;
		}
	}
	if (fcsr != FCSR) {
		printf("fcsr: 0x%lx (set 0x%x)\n", fcsr, FCSR);
		changed++;
	}
	printf("fp-regs: %d register(s) changed at fp_filled\n", changed);
	return 0;
}
