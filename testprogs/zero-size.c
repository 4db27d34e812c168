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

#define NOINLINE __attribute__((noinline))

void *kept;

static NOINLINE void leak(void)
{
	void *volatile p = malloc(0); /* volatile, or clang -O2 deletes it */

	if (p == NULL)
		exit(2);
	kept = malloc(0);
}

int main(void)
{
	leak();
	return 0;
}
