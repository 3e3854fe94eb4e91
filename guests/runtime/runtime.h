/* The hindsight guest runtime: what every program may use. */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "sbi.h"

/* ---- console: everything goes out through the legacy SBI putchar ---- */
int putchar(int ch);
int puts(const char *s); /* like C: appends '\n' */
/* %d %i %u %x %X %ld %lu %lx %s %c %p %%, with '0' flag and width. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* ---- exit: the sifive,test finisher at physical 0x100000 ----
 * code 0 writes 0x5555 (pass, QEMU exits 0); any other code writes
 * (code << 16) | 0x3333 (fail, QEMU exits with code).  Never returns. */
#define FINISHER_ADDR 0x100000UL
#define FINISHER_PASS 0x5555U
#define FINISHER_FAIL 0x3333U
void exit(int code) __attribute__((noreturn));

/* ---- string functions (gcc may also emit calls to these itself) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---- CSR access ---- */
#define csr_read(csr)                                              \
	({                                                         \
		unsigned long __v;                                 \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
		__v;                                               \
	})
#define csr_write(csr, val) \
	__asm__ volatile("csrw " #csr ", %0" ::"rK"(val) : "memory")
#define csr_set(csr, val) \
	__asm__ volatile("csrs " #csr ", %0" ::"rK"(val) : "memory")
#define csr_clear(csr, val) \
	__asm__ volatile("csrc " #csr ", %0" ::"rK"(val) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)

/* scause exception codes (interrupt bit clear) */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15

/* ---- traps ----
 * crt0 points stvec at trap_entry (trap.S), which saves every register in a
 * trap_frame on the stack and calls handle_trap().  The runtime's handle_trap
 * is weak: it reports the trap and exits with TRAP_EXIT_CODE.  A program
 * that wants traps defines its own handle_trap(); changes it makes to the
 * frame (registers, sepc, sstatus) take effect on sret. */
struct trap_frame {
	unsigned long regs[32]; /* x0..x31; regs[2] is the interrupted sp */
	unsigned long sepc;
	unsigned long sstatus;
	unsigned long scause;
	unsigned long stval;
};
#define TRAP_EXIT_CODE 99
void trap_entry(void);
void handle_trap(struct trap_frame *f);

/* ---- added later: kept below the declarations above, see sbi.h ---- */

/* sie / sip bits */
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)
#define SIP_SSIP SIE_SSIE
#define SIP_STIP SIE_STIE
#define SIP_SEIP SIE_SEIE

/* scause: the interrupt bit and the S-mode interrupt codes */
#define CAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

/* The time CSR (Zicntr): 10 MHz on QEMU virt and on hindsight. */
#define read_time() csr_read(time)

#endif
