/* bench-sort: quicksort of 2^20 pseudo-random 64-bit integers from an LCG,
 * then a check that the result is sorted and is a permutation of the input
 * (same sum and xor).  Prints a checksum that depends on the order. */
#include "runtime.h"

#define N (1UL << 20)

static uint64_t a[N];

static void insertion_sort(uint64_t *v, long n)
{
	for (long i = 1; i < n; i++) {
		uint64_t x = v[i];
		long j = i - 1;
		while (j >= 0 && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

/* Hoare partition around a median-of-three pivot; recurse on the smaller
 * side and loop on the larger, so the stack stays O(log n). */
static void quicksort(uint64_t *v, long n)
{
	while (n > 16) {
		uint64_t p0 = v[0], p1 = v[n / 2], p2 = v[n - 1], pivot;
		if (p0 < p1)
			pivot = p1 < p2 ? p1 : (p0 < p2 ? p2 : p0);
		else
			pivot = p0 < p2 ? p0 : (p1 < p2 ? p2 : p1);
		long i = -1, j = n;
		for (;;) {
			do
				i++;
			while (v[i] < pivot);
			do
				j--;
			while (v[j] > pivot);
			if (i >= j)
				break;
			uint64_t t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		long left = j + 1; /* v[0..j] <= pivot <= v[j+1..n) */
		if (left < n - left) {
			quicksort(v, left);
			v += left;
			n -= left;
		} else {
			quicksort(v + left, n - left);
			n = left;
		}
	}
	insertion_sort(v, n);
}

int main(void)
{
	uint64_t x = 2024, sum = 0, xr = 0;

	puts("--- bench-sort ---");
	for (size_t i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		a[i] = x ^ (x >> 29);
		sum += a[i];
		xr ^= a[i];
	}
	quicksort(a, (long)N);

	uint64_t sum2 = 0, xr2 = 0, weighted = 0;
	for (size_t i = 0; i < N; i++) {
		if (i && a[i - 1] > a[i]) {
			printf("FAIL: not sorted at %lu\n", (unsigned long)i);
			return 1;
		}
		sum2 += a[i];
		xr2 ^= a[i];
		weighted += a[i] * (i + 1);
	}
	if (sum2 != sum || xr2 != xr) {
		puts("FAIL: sorted array is not a permutation of the input");
		return 2;
	}
	printf("sorted %lu integers\n", N);
	printf("min: 0x%016lx max: 0x%016lx\n", a[0], a[N - 1]);
	printf("checksum: 0x%016lx\n", weighted);
	return 0;
}
