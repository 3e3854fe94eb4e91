/*
 * scenario-uart-race: an interrupt-driven UART receive driver that loses a
 * byte to a race on its ring buffer's head index.
 *
 * The driver (a small "interrupt mitigation" design, as NAPI does it):
 *
 *   - the RX interrupt handler takes the byte that raised the interrupt,
 *     appends it to the ring (ring[head] = c; head++) and masks the RX
 *     interrupt (IER = 0), so that a burst does not cost one trap per byte;
 *   - the main loop then polls the FIFO itself, up to BURST bytes at a time,
 *     appends them to the ring (head += n), and re-arms the interrupt
 *     (IER = RDI) to be woken when more input comes.
 *
 * Both sides write rx_head.  The handler's update is atomic with respect to
 * main (main cannot run inside the handler), but main's is not: rx_poll()
 * reads head into a register, polls, re-arms the interrupt, and only then
 * writes back head + n.  The author assumed the interrupt fires only when
 * *new* bytes arrive, later.  But the 16550's RX interrupt is a level: it is
 * asserted whenever the FIFO holds data and IER.RDI is set.  When the burst
 * budget left bytes in the FIFO, the interrupt is taken at the instruction
 * right after the IER write, the handler appends one byte at the stale head
 * and bumps head, and main's write-back (head = old head + n) then
 * overwrites both the byte and the handler's head update: one byte lost.
 *
 * Under hindsight the whole input waits in the FIFO from the start, so the
 * race hits at the same instruction on every run, and only when more than
 * BURST bytes wait after the first one, i.e. for lines longer than 17 bytes
 * (counting the '\n'): "hello uart\n" gets through intact, and
 * "the quick brown fox\n" loses byte 17, its second 'o'.  (An 18-byte line
 * loses its '\n', and the program then waits for it forever.)  On QEMU the
 * input trickles in while the program runs, so what is lost changes from
 * run to run.
 *
 * The fix: publish head before re-arming the interrupt, or mask interrupts
 * (sstatus.SIE) across the read-modify-write of head.
 *
 * The program counts and sums every byte it takes from the UART (separately
 * in the handler and in main, so those counters do not race) and compares
 * them with the line it assembled from the ring.
 *
 * Exit codes: 1 a byte was lost, 2 no '\n' within LINE_MAX bytes,
 * 99 an unexpected trap.
 */
#include "runtime.h"
#include "platform.h"

#define RING 64 /* a power of two; the indices run free */
#define BURST 16 /* main polls at most this many bytes per call */
#define LINE_MAX 64

static unsigned long plic_ctx;
static volatile char ring[RING];
static volatile unsigned long rx_head; /* written by the handler AND by main */
static unsigned long rx_tail; /* main only */

/* What each side took from the UART (each counter has a single writer). */
static volatile unsigned long irq_bytes, irq_sum;
static unsigned long poll_bytes, poll_sum;

static char line[LINE_MAX + 1];
static unsigned long line_len, line_sum;
static int line_done;

static uint8_t uart_read(unsigned reg)
{
	return mmio_read8(UART0_BASE + reg);
}

static void uart_write(unsigned reg, uint8_t v)
{
	mmio_write8(UART0_BASE + reg, v);
}

/* Prints n bytes between quotes q, with '\n' spelled out so that it stays
 * on the trace line. */
static void put_quoted(const volatile char *s, unsigned long n, char q)
{
	putchar(q);
	for (unsigned long i = 0; i < n; i++) {
		if (s[i] == '\n')
			printf("\\n");
		else
			putchar(s[i]);
	}
	putchar(q);
}

void handle_trap(struct trap_frame *f)
{
	if (f->scause != (CAUSE_INTERRUPT | IRQ_S_EXT)) {
		printf("unexpected trap: scause=0x%lx stval=0x%lx sepc=0x%lx\n",
		       f->scause, f->stval, f->sepc);
		exit(TRAP_EXIT_CODE);
	}
	uint32_t id = mmio_read32(PLIC_CLAIM(plic_ctx));
	if (id == UART0_IRQ && (uart_read(UART_LSR) & UART_LSR_DR)) {
		char c = (char)uart_read(UART_RBR);
		unsigned long h = rx_head;
		ring[h % RING] = c;
		rx_head = h + 1;
		irq_bytes++;
		irq_sum += (uint8_t)c;
		/* Mitigation: main polls the rest of the burst. */
		uart_write(UART_IER, 0);
		printf("irq:  took ");
		put_quoted(&c, 1, '\'');
		printf(" into ring[%lu], head %lu -> %lu, RX interrupt masked\n",
		       h, h, h + 1);
	}
	if (id != 0)
		mmio_write32(PLIC_CLAIM(plic_ctx), id); /* complete */
}

/* Polls up to BURST bytes from the FIFO into the ring; returns how many.
 * (noinline: a real function, so a debugger can stop in it.) */
static __attribute__((noinline)) unsigned rx_poll(void)
{
	char got[BURST];
	unsigned n = 0;

	unsigned long h = rx_head; /* (1) read the shared index */
	while (n < BURST && (uart_read(UART_LSR) & UART_LSR_DR)) {
		got[n] = (char)uart_read(UART_RBR);
		poll_sum += (uint8_t)got[n];
		n++;
	}
	poll_bytes += n;
	printf("main: head=%lu, polled %u byte(s) ", h, n);
	put_quoted(got, n, '"');
	printf(", re-arming the RX interrupt\n");

	/* Done with the UART's registers: let the interrupt wake us for more.
	 * BUG: if bytes are still waiting, the interrupt is taken right here,
	 * and the handler moves head behind our back. */
	uart_write(UART_IER, UART_IER_RDI);

	for (unsigned i = 0; i < n; i++)
		ring[(h + i) % RING] = got[i];
	rx_head = h + n; /* (2) write back: overwrites the handler's update */
	printf("main: head %lu -> %lu (%lu + %u)\n", h, h + n, h, n);
	return n;
}

/* Moves what the ring holds into the line, up to and including '\n'. */
static __attribute__((noinline)) void consume(void)
{
	while (rx_tail != rx_head && !line_done) {
		char c = ring[rx_tail % RING];
		rx_tail++;
		line[line_len++] = c;
		line_sum += (uint8_t)c;
		if (c == '\n' || line_len == LINE_MAX)
			line_done = 1;
	}
}

int main(void)
{
	puts("--- scenario-uart-race ---");
	plic_ctx = plic_s_context();

	/* UART: 8N1, OUT2; PLIC: IRQ 10 at priority 1 for our context. */
	uart_write(UART_LCR, 0x03);
	uart_write(UART_MCR, UART_MCR_OUT2);
	mmio_write32(PLIC_PRIORITY(UART0_IRQ), 1);
	mmio_write32(PLIC_ENABLE(plic_ctx, UART0_IRQ), 1U << (UART0_IRQ % 32));
	mmio_write32(PLIC_THRESHOLD(plic_ctx), 0);
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SSTATUS_SIE);

	puts("main: arming the RX interrupt");
	uart_write(UART_IER, UART_IER_RDI);

	while (!line_done) {
		unsigned n = rx_poll();
		consume();
		/* The FIFO was empty: sleep until the interrupt brings a byte. */
		if (n == 0 && !line_done)
			while (rx_tail == rx_head)
				__asm__ volatile("wfi");
	}

	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_SEIE);
	uart_write(UART_IER, 0);
	mmio_write32(PLIC_ENABLE(plic_ctx, UART0_IRQ), 0);

	unsigned long uart_bytes = irq_bytes + poll_bytes;
	unsigned long uart_sum = irq_sum + poll_sum;
	printf("line: ");
	put_quoted(line, line_len, '"');
	printf("\n");
	printf("from the UART: %lu bytes (%lu by the interrupt, %lu polled), "
	       "checksum 0x%04lx\n", uart_bytes, irq_bytes, poll_bytes, uart_sum);
	printf("in the line:   %lu bytes, checksum 0x%04lx\n", line_len,
	       line_sum);
	if (line_len != uart_bytes) {
		unsigned long lost = uart_bytes - line_len;
		unsigned long diff = uart_sum - line_sum;
		printf("LOST %lu byte(s): the checksums differ by 0x%02lx", lost,
		       diff);
		if (lost == 1 && diff >= 0x20 && diff < 0x7f)
			printf(" ('%c')", (char)diff);
		printf("\n");
		return 1;
	}
	if (!line_len || line[line_len - 1] != '\n') {
		puts("no newline within 64 bytes");
		return 2;
	}
	puts("scenario-uart-race: no byte lost");
	return 0;
}
