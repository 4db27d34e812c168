/* double-alloc: a pointer variable assigned twice without a free.
 *
 *   global g = malloc(100)       overwritten below: definitely lost
 *   global g = malloc(200)       still reachable
 *
 * EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=200/1
 */
#include <stdlib.h>

#include "scrub.h"

void *g;

static NOINLINE void twice(void)
{
	g = malloc(100);
	g = malloc(200);
}

int main(void)
{
	twice();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
