/*
 * srst: ends the run with SBI SRST (EID 0x53525354, fid 0) shutdown, reason
 * 0 (no reason), without writing the test finisher.  hindsight must end the
 * run with a SYSTEM_EVENT exit (shutdown, data = [0, 0]); QEMU's OpenSBI
 * powers off through the finisher and QEMU exits 0.  If the call returns,
 * the program prints the error and fails with exit code 1 (through the
 * finisher).
 */
#include "runtime.h"

int main(void)
{
	puts("--- srst ---");
	puts("srst: calling SBI SRST shutdown (type 0, reason 0)");
	struct sbiret r = sbi_shutdown(SBI_SRST_REASON_NONE);
	printf("srst: FAILED: SRST returned error=%ld value=%ld\n", r.error,
	       r.value);
	return 1;
}
