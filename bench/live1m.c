/*
 * live1m: holds N live blocks (default 1,000,000) of 16 bytes at exit,
 * all reachable from one pointer array, all allocated from one stack.
 * bench/run.sh runs it under leakcheck with N and with a small N and
 * divides the difference in leakcheck's own peak RSS by the difference
 * in N: leakcheck's memory per live block (table, scan, report).
 *
 * usage: live1m [N]
 */
#include <stdio.h>
#include <stdlib.h>

/* external linkage: the compiler must store it, so the blocks stay
 * reachable from .bss, as in a real program's global table */
void **live1m_blocks;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	unsigned long sum = 0;

	void **blocks = malloc((size_t)n * sizeof(*blocks));
	live1m_blocks = blocks;
	if (!blocks)
		return 1;
	for (long i = 0; i < n; i++) {
		unsigned char *p = malloc(16);
		if (!p)
			return 1;
		p[0] = (unsigned char)(i >> 12);
		blocks[i] = p;
	}
	for (long i = 0; i < n; i += 4096)
		sum += *(unsigned char *)blocks[i];
	printf("%ld blocks live, %lu\n", n, sum);
	return 0;
}
