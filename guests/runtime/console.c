/*
 * Console output through the legacy SBI putchar (EID 0x01): the simplest
 * console both OpenSBI and hindsight offer, and needs no UART driver.
 * OpenSBI turns "\n" into "\r\n" on the way out; hindsight leaves bytes as
 * they are, so compare outputs with '\r' removed.
 */
#include "runtime.h"

int putchar(int ch)
{
	sbi_console_putchar(ch);
	return (unsigned char)ch;
}

static void put_string(const char *s)
{
	while (*s)
		putchar(*s++);
}

int puts(const char *s)
{
	put_string(s);
	putchar('\n');
	return 0;
}

/* Print v in base 10 or 16 in at least |width| characters: right-aligned
 * and padded with pad when width > 0, left-aligned (spaces after) when
 * width < 0, the '-' flag. */
static int put_unsigned(unsigned long v, unsigned base, int upper, int width,
			char pad, int negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, count = 0;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	int len = n + negative;
	if (negative && pad == '0') /* "-0042", not "00-42" */
		putchar('-');
	for (; width > len; width--, count++)
		putchar(pad);
	if (negative && pad != '0')
		putchar('-');
	while (n)
		putchar(buf[--n]);
	for (count += len; width < 0 && count < -width; count++)
		putchar(' ');
	return count;
}

int vprintf(const char *fmt, va_list ap)
{
	int count = 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar(*fmt);
			count++;
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0, left = 0;
		for (;; fmt++) {
			if (*fmt == '0')
				pad = '0';
			else if (*fmt == '-')
				left = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (left) { /* left-justify: pad with spaces after */
			width = -width;
			pad = ' ';
		}
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long v = longs ? va_arg(ap, long) : va_arg(ap, int);
			unsigned long mag = v < 0 ? -(unsigned long)v
						  : (unsigned long)v;
			count += put_unsigned(mag, 10, 0, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long v = longs ? va_arg(ap, unsigned long)
						: va_arg(ap, unsigned int);
			count += put_unsigned(v, *fmt == 'u' ? 10 : 16,
					      *fmt == 'X', width, pad, 0);
			break;
		}
		case 'p':
			put_string("0x");
			count += 2 + put_unsigned((unsigned long)va_arg(ap, void *),
						  16, 0, width, pad, 0);
			break;
		case 'c':
			putchar(va_arg(ap, int));
			count++;
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = (int)strlen(s);
			for (; width > len; width--, count++)
				putchar(' ');
			put_string(s);
			count += len;
			for (; width < 0 && len < -width; width++, count++)
				putchar(' ');
			break;
		}
		case '%':
			putchar('%');
			count++;
			break;
		case '\0':
			return count;
		default: /* unknown conversion: show it as written */
			putchar('%');
			putchar(*fmt);
			count += 2;
			break;
		}
	}
	return count;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
