/* fp_fill(in, out, fcsr): loads f0..f31 from in[0..31] and fcsr from the
 * third argument, stops at fp_filled (where a debugger reads the registers,
 * and may write them), then stores f0..f31 to out[0..31] and returns fcsr.
 * Nothing between the two touches an f register or fcsr, so out is what the
 * registers held at fp_filled. */
	.option arch, +d
	.text
	.globl fp_fill
	.type fp_fill, @function
fp_fill:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld f\n, \n*8(a0)
	.endr
	csrw fcsr, a2
	.globl fp_filled
fp_filled:
	nop
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd f\n, \n*8(a1)
	.endr
	csrr a0, fcsr
	ret
	.size fp_fill, . - fp_fill
