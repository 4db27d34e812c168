/*
 * recurse: N times, descend DEPTH (50) frames and malloc/free at the
 * bottom, so every allocation has a deep stack to unwind (the tracers
 * record 12 frames by default).  2N allocator calls.
 *
 * usage: recurse N [DEPTH]
 */
#include <stdio.h>
#include <stdlib.h>

static unsigned long x = 88172645463325252ull;

__attribute__((noinline)) static unsigned long descend(int depth)
{
	unsigned long r;
	if (depth == 0) {
		size_t size;
		volatile unsigned char *p;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size = 16 + x % 497;
		p = malloc(size);
		if (!p)
			abort();
		p[0] = (unsigned char)x;
		r = p[0];
		free((void *)p);
		return r;
	}
	r = descend(depth - 1);
	/* work after the call: no tail call, a real frame per level */
	__asm__ volatile("" : "+r"(r));
	return r + (unsigned long)depth;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int depth = argc > 2 ? atoi(argv[2]) : 50;
	unsigned long sum = 0;

	for (long i = 0; i < n; i++)
		sum += descend(depth);
	printf("%lu\n", sum);
	return 0;
}
