/*
 * uart-irq: reads a line from the ns16550a UART by interrupt.
 *
 * Programs the UART (IER = received data available, MCR.OUT2), enables
 * UART IRQ 10 at the PLIC for hart 0's S-mode context (priority 1, threshold
 * 0; the context is 0 on hindsight and 1 on QEMU virt, see platform.h), and
 * sie.SEIE with sstatus.SIE on.  Prints a prompt by writing the UART's THR
 * directly (not through the SBI), then waits in wfi while the interrupt
 * handler claims IRQ 10, reads RBR until LSR.DR is clear and completes the
 * claim, until a whole line ending in '\n' has arrived (at most 64 bytes).
 * Echoes the line back through the THR and prints "got: <line>".
 *
 * Needs input on the console: without it the program waits forever.  On
 * QEMU: QEMU_STDIN=file guests/run-qemu.sh build/uart-irq.elf.
 *
 * Exit codes: 1 the line did not end in '\n' (64 bytes without one),
 * 2 an external interrupt claimed another source (or none).
 */
#include "runtime.h"
#include "platform.h"

#define LINE_MAX 64

static unsigned long plic_ctx;
static char line[LINE_MAX + 1];
static volatile unsigned long line_len;
static volatile int line_done;
static volatile unsigned long irqs, bad_claim = ~0UL;

static uint8_t uart_read(unsigned reg)
{
	return mmio_read8(UART0_BASE + reg);
}

static void uart_write(unsigned reg, uint8_t v)
{
	mmio_write8(UART0_BASE + reg, v);
}

static void uart_putc(char c)
{
	while (!(uart_read(UART_LSR) & UART_LSR_THRE))
		;
	uart_write(UART_THR, (uint8_t)c);
}

static void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

void handle_trap(struct trap_frame *f)
{
	if (f->scause != (CAUSE_INTERRUPT | IRQ_S_EXT)) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	uint32_t id = mmio_read32(PLIC_CLAIM(plic_ctx));
	if (id != UART0_IRQ) {
		bad_claim = id;
		if (id != 0)
			mmio_write32(PLIC_CLAIM(plic_ctx), id);
		return;
	}
	irqs++;
	while (uart_read(UART_LSR) & UART_LSR_DR) {
		char c = (char)uart_read(UART_RBR);
		if (line_done)
			continue; /* the line is complete: drop the rest */
		line[line_len++] = c;
		if (c == '\n' || line_len == LINE_MAX)
			line_done = 1;
	}
	mmio_write32(PLIC_CLAIM(plic_ctx), id); /* complete */
}

int main(void)
{
	puts("--- uart-irq ---");
	plic_ctx = plic_s_context();

	/* UART: 8N1 with DLAB clear (the baud divisor is left as the firmware
	 * set it), interrupt on received data, OUT2 on. */
	uart_write(UART_LCR, 0x03);
	uart_write(UART_MCR, UART_MCR_OUT2);
	uart_write(UART_IER, UART_IER_RDI);

	/* PLIC: IRQ 10 at priority 1, enabled for our context, threshold 0. */
	mmio_write32(PLIC_PRIORITY(UART0_IRQ), 1);
	mmio_write32(PLIC_ENABLE(plic_ctx, UART0_IRQ), 1U << (UART0_IRQ % 32));
	mmio_write32(PLIC_THRESHOLD(plic_ctx), 0);

	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SSTATUS_SIE);

	uart_puts("uart-irq: type a line\n");
	while (!line_done && bad_claim == ~0UL)
		__asm__ volatile("wfi");

	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_SEIE);
	uart_write(UART_IER, 0);
	mmio_write32(PLIC_ENABLE(plic_ctx, UART0_IRQ), 0);

	if (bad_claim != ~0UL) {
		printf("FAIL: claimed source %lu, expected %d\n", bad_claim,
		       UART0_IRQ);
		return 2;
	}

	/* Echo through the UART, then report through the SBI console. */
	uart_puts(line);
	int complete = line_len && line[line_len - 1] == '\n';
	if (complete)
		line[line_len - 1] = '\0';
	printf("got: %s\n", line);
	printf("uart-irq: %lu bytes, line %s\n", line_len,
	       complete ? "complete" : "NOT terminated by a newline");
	return complete ? 0 : 1;
}
