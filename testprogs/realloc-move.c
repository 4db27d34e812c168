/* realloc-move: a realloc that grows and moves the block, then the new
 * block is leaked.
 *
 *   p = malloc(16); blocker = malloc(16) (so p cannot grow in place)
 *   q = realloc(p, 4096)   p freed by realloc, q a new address
 *   free(blocker); q dropped
 *
 * The old block is gone from the table; q is definitely lost, with its
 * size from realloc.
 *
 * EXPECT: definite=4096/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void grow(void)
{
	char *p = malloc(16);
	char *volatile blocker = malloc(16); /* volatile, or -O2 deletes it */
	char *volatile q; /* volatile, or -O2 deletes the unread block */

	memset(p, 'p', 16);
	q = realloc(p, 4096);
	if (q == p)
		exit(2); /* did not move: the test would not test anything */
	q[4095] = 'q';
	free(blocker);
}

int main(void)
{
	grow();
	return 0;
}
