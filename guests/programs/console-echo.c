/*
 * console-echo: a polled console, as a boot monitor has one.  No interrupts:
 * it reads the ns16550a UART by spinning on LSR.DR, echoes each byte as it
 * comes (through the SBI console, CR as CR LF), and at the end of a line prints
 * it back as `line N: "..."`.  A terminal's Enter is CR, a pipe's is LF; a
 * CR LF pair ends one line, not two.  The line "quit" ends the program with
 * exit code 0; a line longer than LINE_MAX is cut.
 *
 * Without input it spins forever, as such a monitor does.  On QEMU:
 * QEMU_STDIN=file guests/run-qemu.sh build/console-echo.elf.
 */
#include "runtime.h"
#include "platform.h"

#define LINE_MAX 64

static int uart_getc(void)
{
	while (!(mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_DR))
		;
	return mmio_read8(UART0_BASE + UART_RBR);
}

static int is_quit(const char *s, unsigned long n)
{
	return n == 4 && s[0] == 'q' && s[1] == 'u' && s[2] == 'i' && s[3] == 't';
}

int main(void)
{
	char line[LINE_MAX + 1];
	unsigned long n = 0, lines = 0;
	int after_cr = 0;

	puts("--- console-echo ---");
	puts("type a line; \"quit\" ends");
	printf("> ");
	for (;;) {
		int c = uart_getc();
		if (c == '\n' && after_cr) {
			after_cr = 0;
			continue;
		}
		after_cr = c == '\r';
		if (c != '\r' && c != '\n') {
			putchar(c);
			if (n < LINE_MAX)
				line[n++] = (char)c;
			continue;
		}
		line[n] = 0;
		printf("\nline %lu: \"%s\"\n", ++lines, line);
		if (is_quit(line, n))
			exit(0);
		n = 0;
		printf("> ");
	}
}
