/*
 * The devices of the QEMU virt memory map that hindsight shares, and the one
 * place where the two machines differ for an S-mode guest: the PLIC context.
 *
 * Header only (static inline), like the SBI wrappers in sbi.h, so programs
 * that do not include it stay byte-identical.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdint.h>
#include "sbi.h"

/* ---- MMIO accessors: exactly one access of the given width each ---- */
static inline uint8_t mmio_read8(unsigned long addr)
{
	return *(volatile uint8_t *)addr;
}
static inline uint32_t mmio_read32(unsigned long addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write8(unsigned long addr, uint8_t v)
{
	*(volatile uint8_t *)addr = v;
}
static inline void mmio_write32(unsigned long addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

/* ---- ns16550a UART 0 (IRQ 10 on the PLIC) ---- */
#define UART0_BASE 0x10000000UL
#define UART0_IRQ 10
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_IER_RDI 0x01 /* received data available */
#define UART_MCR_OUT2 0x08 /* on a PC this gates the IRQ line */
#define UART_LSR_DR 0x01 /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */

/* ---- PLIC ----
 * QEMU virt numbers its contexts hart 0 M-mode = 0, hart 0 S-mode = 1.
 * hindsight's guest has no M-mode, so its context 0 is hart 0's S-mode. */
#define PLIC_BASE 0x0c000000UL
#define PLIC_PRIORITY(irq) (PLIC_BASE + 4UL * (irq))
#define PLIC_PENDING(irq) (PLIC_BASE + 0x1000UL + 4UL * ((irq) / 32))
#define PLIC_ENABLE(ctx, irq) \
	(PLIC_BASE + 0x2000UL + 0x80UL * (ctx) + 4UL * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000UL + 0x1000UL * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4) /* read claims, write completes */

/* Is the SBI hindsight's (KVM's implementation id) rather than OpenSBI? */
static inline int on_hindsight(void)
{
	return sbi_get_impl_id() == SBI_IMPL_ID_KVM;
}

/* The PLIC context of hart 0's S-mode: 0 on hindsight, 1 on QEMU virt. */
static inline unsigned long plic_s_context(void)
{
	return on_hindsight() ? 0 : 1;
}

#endif
