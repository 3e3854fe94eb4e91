/* SBI calls from S-mode: ecall with a7 = extension id, a6 = function id. */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01UL
#define SBI_EXT_LEGACY_CONSOLE_GETCHAR 0x02UL
#define SBI_EXT_BASE 0x10UL
#define SBI_EXT_SRST 0x53525354UL /* "SRST" */
#define SBI_EXT_DBCN 0x4442434EUL /* "DBCN" */

#define SBI_SRST_TYPE_SHUTDOWN 0UL
#define SBI_SRST_REASON_NONE 0UL
#define SBI_SRST_REASON_FAILURE 1UL

/* SBI v0.2+ return convention: error in a0, value in a1. */
struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid,
			unsigned long a0, unsigned long a1, unsigned long a2,
			unsigned long a3, unsigned long a4, unsigned long a5);

/* Legacy (v0.1) console putchar, EID 0x01: one character per ecall. */
void sbi_console_putchar(int ch);

/* SRST system reset, type shutdown. Returns only if the SBI refused. */
struct sbiret sbi_shutdown(unsigned long reason);

#endif
