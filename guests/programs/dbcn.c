/*
 * dbcn: the SBI debug console extension (DBCN, EID 0x4442434E).
 *
 * Probes DBCN with BASE probe_extension.  If it is present (hindsight), it
 * writes a string with DBCN write (fid 0: num_bytes, physical address low,
 * physical address high = 0), then a line with DBCN write_byte (fid 2), one
 * call per byte, and prints what each returned.  If it is absent (QEMU 7.2's
 * OpenSBI 1.1), it shows that a DBCN write fails with SBI_ERR_NOT_SUPPORTED
 * and prints the same text through the legacy putchar instead.  Either way
 * it ends with a legacy putchar (EID 0x01) and its return value.
 *
 * The output differs between the two machines (see guests/README.md).
 * Exit codes: 1 DBCN write failed, 2 write_byte failed, 3 absent but the call
 * did not return NOT_SUPPORTED, 4 legacy putchar returned non-zero.
 */
#include "runtime.h"

static const char write_text[] = "DBCN write: hello from sbi_debug_console_write\n";
static const char byte_text[] = "DBCN write_byte: one ecall per byte\n";

int main(void)
{
	unsigned long len = sizeof write_text - 1;

	puts("--- dbcn ---");
	long present = sbi_probe_extension(SBI_EXT_DBCN);
	printf("dbcn probe: %ld (%s)\n", present, present ? "present" : "absent");

	/* satp is 0 (bare): the buffer's address is its physical address. */
	struct sbiret r = sbi_dbcn_write(len, (unsigned long)write_text);
	if (present) {
		/* DBCN write may write fewer bytes than asked: finish the rest. */
		unsigned long done = r.error == SBI_SUCCESS ? (unsigned long)r.value : 0;
		long error = r.error;
		while (error == SBI_SUCCESS && done < len) {
			struct sbiret more = sbi_dbcn_write(
				len - done, (unsigned long)write_text + done);
			error = more.error;
			done += error == SBI_SUCCESS ? (unsigned long)more.value : 0;
		}
		printf("dbcn write(%lu bytes): error=%ld value=%ld\n", len,
		       r.error, r.value);
		if (error != SBI_SUCCESS)
			return 1;

		struct sbiret first = { 0, 0 }, last = { 0, 0 };
		for (unsigned i = 0; byte_text[i]; i++) {
			last = sbi_dbcn_write_byte((unsigned char)byte_text[i]);
			if (i == 0)
				first = last;
			if (last.error != SBI_SUCCESS)
				break;
		}
		printf("dbcn write_byte: first error=%ld value=%ld, last error=%ld value=%ld\n",
		       first.error, first.value, last.error, last.value);
		if (first.error != SBI_SUCCESS || last.error != SBI_SUCCESS)
			return 2;
	} else {
		printf("dbcn write(%lu bytes): error=%ld value=%ld (%s)\n", len,
		       r.error, r.value,
		       r.error == SBI_ERR_NOT_SUPPORTED ? "not supported" : "?");
		if (r.error != SBI_ERR_NOT_SUPPORTED)
			return 3;
		puts("dbcn absent: falling back to the legacy putchar");
		printf("%s%s", write_text, byte_text);
	}

	/* The legacy putchar returns its status in a0 only. */
	struct sbiret lr = sbi_ecall(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, '*',
				     0, 0, 0, 0, 0);
	printf("\nlegacy putchar('*'): a0=%ld\n", lr.error);
	if (lr.error != 0)
		return 4;
	puts("dbcn: done");
	return 0;
}
