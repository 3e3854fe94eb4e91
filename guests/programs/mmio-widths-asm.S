/*
 * The MMIO accesses of mmio-widths, spelled out so the compiler cannot pick,
 * merge or reorder them.  The plain loads and stores are assembled with
 * .option norvc (always 32-bit encodings); the compressed ones are written
 * as explicit c.* mnemonics.  Base: hindsight's test device window.
 */
#define TESTDEV 0x10008000

	.text

/*
 * void mmio_widths_loads(uint64_t out[13])
 * Thirteen loads, in this order; each loaded register goes to out[i]
 * (RAM, not MMIO).  The offsets must match the table in mmio-widths.c.
 */
	.globl mmio_widths_loads
	.type mmio_widths_loads, @function
mmio_widths_loads:
	li	a1, TESTDEV
	.option push
	.option norvc
	lb	t0, 0x00(a1)
	sd	t0, 0*8(a0)
	lb	t0, 0x08(a1)
	sd	t0, 1*8(a0)
	lbu	t0, 0x01(a1)
	sd	t0, 2*8(a0)
	lh	t0, 0x02(a1)
	sd	t0, 3*8(a0)
	lh	t0, 0x0a(a1)
	sd	t0, 4*8(a0)
	lhu	t0, 0x06(a1)
	sd	t0, 5*8(a0)
	lw	t0, 0x04(a1)
	sd	t0, 6*8(a0)
	lw	t0, 0x0c(a1)
	sd	t0, 7*8(a0)
	lwu	t0, 0x10(a1)
	sd	t0, 8*8(a0)
	ld	t0, 0x00(a1)
	sd	t0, 9*8(a0)
	ld	t0, 0x08(a1)
	sd	t0, 10*8(a0)
	.option pop
	/* rd' and rs1' must be x8..x15 for the compressed forms */
	c.lw	a2, 0x20(a1)
	sd	a2, 11*8(a0)
	c.ld	a3, 0x18(a1)
	sd	a3, 12*8(a0)
	ret
	.size mmio_widths_loads, . - mmio_widths_loads

/*
 * void mmio_widths_stores(void)
 * Six stores, in this order.  The source registers hold full 64-bit values,
 * so a store that writes more bytes than its width shows up in the data.
 */
	.globl mmio_widths_stores
	.type mmio_widths_stores, @function
mmio_widths_stores:
	li	a1, TESTDEV
	li	t0, 0x1122334455667788
	li	a2, 0x8899aabbccddeeff
	.option push
	.option norvc
	sb	t0, 0x40(a1)
	sh	t0, 0x42(a1)
	sw	t0, 0x44(a1)
	sd	t0, 0x48(a1)
	.option pop
	c.sw	a2, 0x50(a1)
	c.sd	a2, 0x58(a1)
	ret
	.size mmio_widths_stores, . - mmio_widths_stores
