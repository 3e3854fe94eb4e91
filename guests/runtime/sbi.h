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

/*
 * Added later, below everything above on purpose: code that was built before
 * these lines existed keeps its debug line numbers, so its committed ELF is
 * unchanged.  The wrappers are static inline for the same reason.
 */
#define SBI_EXT_TIME 0x54494D45UL /* "TIME" */

/* BASE function ids */
#define SBI_BASE_GET_SPEC_VERSION 0UL
#define SBI_BASE_GET_IMPL_ID 1UL
#define SBI_BASE_GET_IMPL_VERSION 2UL
#define SBI_BASE_PROBE_EXTENSION 3UL

/* BASE get_impl_id values (the SBI spec's list) */
#define SBI_IMPL_ID_OPENSBI 1L
#define SBI_IMPL_ID_KVM 3L /* hindsight answers as KVM does */

/* DBCN function ids */
#define SBI_DBCN_WRITE 0UL
#define SBI_DBCN_READ 1UL
#define SBI_DBCN_WRITE_BYTE 2UL

/* SBI error codes (sbiret.error) */
#define SBI_SUCCESS 0L
#define SBI_ERR_FAILED (-1L)
#define SBI_ERR_NOT_SUPPORTED (-2L)
#define SBI_ERR_INVALID_PARAM (-3L)

/* BASE probe_extension: 0 when eid is absent, non-zero when present. */
static inline long sbi_probe_extension(unsigned long eid)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid,
			 0, 0, 0, 0, 0).value;
}

/* BASE get_impl_id: SBI_IMPL_ID_OPENSBI on QEMU, SBI_IMPL_ID_KVM on hindsight. */
static inline long sbi_get_impl_id(void)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0, 0)
		.value;
}

/* TIME set_timer: sip.STIP is pending while time >= stime_value;
 * (unsigned long)-1 never fires, so it clears the timer. */
static inline struct sbiret sbi_set_timer(unsigned long stime_value)
{
	return sbi_ecall(SBI_EXT_TIME, 0, stime_value, 0, 0, 0, 0, 0);
}

/* DBCN write: num_bytes from the buffer at physical address addr (the
 * upper XLEN bits of the address, a2, are 0 on RV64).  value = bytes
 * written, which may be fewer than asked. */
static inline struct sbiret sbi_dbcn_write(unsigned long num_bytes,
					   unsigned long addr)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, num_bytes, addr, 0,
			 0, 0, 0);
}

/* DBCN read: up to num_bytes into physical addr.  value = bytes read. */
static inline struct sbiret sbi_dbcn_read(unsigned long num_bytes,
					  unsigned long addr)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_READ, num_bytes, addr, 0,
			 0, 0, 0);
}

/* DBCN write_byte: one byte. */
static inline struct sbiret sbi_dbcn_write_byte(unsigned char byte)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, byte, 0, 0, 0,
			 0, 0);
}

#endif
