/* realloc-null: realloc(NULL, n) is malloc(n); glibc's realloc calls
 * malloc internally for it, and the block must be counted once.
 *
 *   realloc(NULL, 208), dropped           definitely lost
 *   global kept -> realloc(NULL, 48)      still reachable
 *
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=48/1
 */
#include <stdlib.h>

#include "scrub.h"

void *kept;

static NOINLINE void leak(void)
{
	realloc(NULL, 208);
	kept = realloc(NULL, 48);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
