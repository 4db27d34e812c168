/*
 * alloc: allocation-dense, single thread.  N iterations of
 * p = malloc(16..512); touch it; free(p).  2N allocator calls.
 *
 * usage: alloc N
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	unsigned long sum = 0, x = 88172645463325252ull;

	for (long i = 0; i < n; i++) {
		size_t size;
		volatile unsigned char *p;
		x ^= x << 13; /* xorshift: sizes 16..512 */
		x ^= x >> 7;
		x ^= x << 17;
		size = 16 + x % 497;
		p = malloc(size);
		if (!p)
			return 1;
		p[0] = (unsigned char)i;
		p[size - 1] = (unsigned char)x;
		sum += p[0] + p[size - 1];
		free((void *)p);
	}
	printf("%lu\n", sum);
	return 0;
}
