/*
 * The C string functions the runtime and programs use.  gcc may emit calls to
 * memcpy/memset/memmove/memcmp even in freestanding code (struct copies), so
 * they must exist.  The Makefile builds everything with
 * -fno-tree-loop-distribute-patterns, or gcc would turn these very loops
 * back into calls to themselves.
 */
#include "runtime.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Word copy, 8 words per iteration, when both are 8-byte aligned. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		uint64_t *dw = (uint64_t *)d;
		const uint64_t *sw = (const uint64_t *)s;
		for (; n >= 64; n -= 64, dw += 8, sw += 8) {
			uint64_t a0 = sw[0], a1 = sw[1], a2 = sw[2], a3 = sw[3];
			uint64_t a4 = sw[4], a5 = sw[5], a6 = sw[6], a7 = sw[7];
			dw[0] = a0; dw[1] = a1; dw[2] = a2; dw[3] = a3;
			dw[4] = a4; dw[5] = a5; dw[6] = a6; dw[7] = a7;
		}
		for (; n >= 8; n -= 8)
			*dw++ = *sw++;
		d = (unsigned char *)dw;
		s = (const unsigned char *)sw;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--) /* overlapping, dst above src: copy backwards */
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ULL;

	while (n && ((uintptr_t)d & 7)) {
		*d++ = (unsigned char)c;
		n--;
	}
	uint64_t *dw = (uint64_t *)d;
	for (; n >= 64; n -= 64, dw += 8) {
		dw[0] = w; dw[1] = w; dw[2] = w; dw[3] = w;
		dw[4] = w; dw[5] = w; dw[6] = w; dw[7] = w;
	}
	for (; n >= 8; n -= 8)
		*dw++ = w;
	d = (unsigned char *)dw;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}
