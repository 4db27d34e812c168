/* stats-calls: a known number of calls to each allocator entry point, for
 * the --stats test in tests/run.sh ("stats-counters"); no stdio, so libc
 * makes no allocator call of its own.  NULL comes from a volatile, or gcc
 * would turn realloc(NULL, n) into malloc(n) and drop free(NULL).
 *
 *   malloc          10  (2 kept in globals, 8 freed)
 *   calloc           3  freed
 *   realloc          4  realloc(NULL, 32), then 64, 4096, 16; freed
 *   reallocarray     1  reallocarray(NULL, 3, 8); freed
 *   posix_memalign   1  freed
 *   memalign         2  aligned_alloc and memalign; freed
 *   valloc           1  freed
 *   free            18  the 17 blocks above, and free(NULL)
 *
 * The two kept: malloc(16 + 8) and malloc(16 + 9), still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=49/2
 */
#include <malloc.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *kept[2];
void *volatile null;

static NOINLINE void calls(void)
{
	/* volatile, or -O2 deletes pairs of calls and changes the counts */
	void *volatile p[10], *volatile q[3], *volatile r, *a = NULL;
	void *volatile b, *volatile c, *volatile v, *volatile ra;

	for (int i = 0; i < 10; i++)
		p[i] = malloc(16 + (size_t)i);
	for (int i = 0; i < 3; i++)
		q[i] = calloc(4, 8);
	r = realloc(null, 32);
	r = realloc(r, 64);
	r = realloc(r, 4096);
	r = realloc(r, 16);
	ra = reallocarray(null, 3, 8);
	if (posix_memalign(&a, 64, 100) != 0)
		exit(2);
	b = aligned_alloc(64, 128);
	c = memalign(32, 48);
	v = valloc(10);

	kept[0] = p[8];
	kept[1] = p[9];
	for (int i = 0; i < 8; i++)
		free(p[i]);
	for (int i = 0; i < 3; i++)
		free(q[i]);
	free(r);
	free(ra);
	free(a);
	free(b);
	free(c);
	free(v);
	free(null);
}

int main(void)
{
	calls();
	return 0;
}
