/*
 * compute: a compute-bound loop that (almost) never calls the allocator.
 * Sieve of Eratosthenes over a static bitmap, repeated ROUNDS times.
 * Under a breakpoint tracer this should run at native speed.
 *
 * usage: compute [ROUNDS]   (default 40; ~1 s native here)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (8u << 20)
static unsigned char composite[LIMIT];

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 40;
	unsigned long total = 0;

	for (long r = 0; r < rounds; r++) {
		unsigned count = 0;
		memset(composite, 0, sizeof(composite));
		for (unsigned i = 2; i < LIMIT; i++) {
			if (composite[i])
				continue;
			count++;
			for (unsigned long j = (unsigned long)i * i; j < LIMIT; j += i)
				composite[j] = 1;
		}
		total += count;
	}
	printf("%lu\n", total);
	return 0;
}
