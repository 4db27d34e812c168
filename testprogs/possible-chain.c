/* possible-chain: a block reached only through an interior pointer, and the
 * block it points to.
 *
 *   global mid -> (a + 40)      a: calloc(1, 208)
 *   a->child   -> b             b: calloc(1, 96), a start pointer
 *
 * a is possibly lost (interior pointer only).  b has a start pointer, but
 * only from a possibly-lost block, and valgrind marks what it reaches from
 * a "possible" block as possible too: both possibly lost.
 * No heuristic applies (offset 40, zero-filled blocks).
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=304/2 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

struct a {
	long pad[2];
	void *child;
	long rest[23];
};

char *mid;

static NOINLINE void build(void)
{
	struct a *a = calloc(1, sizeof(*a));

	a->child = calloc(1, 96);
	mid = (char *)a + 40;
}

int main(void)
{
	build();
	return 0;
}
