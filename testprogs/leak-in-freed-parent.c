/* leak-in-freed-parent: pointers to blocks stored in blocks that were
 * freed afterwards.  The stale words stay in the freed chunks.
 *
 *   child1 (48 bytes)  <- word 4 of parent1 (64 bytes), parent1 freed
 *                         (goes to tcache; glibc writes only words 0-1)
 *   child2 (80 bytes)  <- word 125 of parent2 (2000 bytes), parent2 freed
 *                         (too big for tcache: merged into the top chunk)
 *
 * Freed memory is no root and no block: both children definitely lost.
 * A scanner that reads the whole [heap] mapping calls them reachable.
 *
 * EXPECT: definite=128/2 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	/* volatile words, or -O2 deletes the stores into blocks about to be
	 * freed, and the blocks */
	void *volatile *parent1, *volatile *parent2;

	parent1 = calloc(1, 64);
	parent1[4] = malloc(48);
	parent2 = calloc(1, 2000);
	parent2[125] = malloc(80);
	free((void *)parent1);
	free((void *)parent2);
}

int main(void)
{
	leak();
	return 0;
}
