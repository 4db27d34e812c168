/* zero-size: malloc(0) blocks, one lost and one kept.
 *
 *   malloc(0), dropped                definitely lost, 0 bytes in 1 block
 *   global kept -> malloc(0)          still reachable, 0 bytes in 1 block
 *
 * glibc returns a unique non-NULL pointer for malloc(0); it is a block of
 * size 0, and a pointer equal to its start points to it.
 *
 * EXPECT: definite=0/1 indirect=0/0 possible=0/0 reachable=0/1
 */
#include <stdlib.h>

#include "scrub.h"

void *kept;

static NOINLINE void leak(void)
{
	if (malloc(0) == NULL)
		exit(2);
	kept = malloc(0);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
