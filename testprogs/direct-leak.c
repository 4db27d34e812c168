/* direct-leak: the only pointer to a block is dropped.
 *
 *   leak(): p = malloc(1024); return   (p dies with leak()'s frame)
 *
 * No root and no block points to it: definitely lost.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- leak <- main
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1024);

	memset(p, 'x', 1024);
}

int main(void)
{
	leak();
	return 0;
}
