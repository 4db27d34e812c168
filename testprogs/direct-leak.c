/* direct-leak: the only pointer to a block is dropped.
 *
 *   leak(): p = malloc(1024); return   (p dies with leak()'s frame)
 *
 * No root and no block points to it: definitely lost.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdlib.h>
#include <string.h>

#include "scrub.h"

static NOINLINE void leak(void)
{
	char *p = malloc(1024);

	memset(p, 'x', 1024);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
