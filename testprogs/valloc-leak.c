/* valloc-leak: a page-aligned allocation lost.
 *
 *   valloc(208), dropped: a 208-byte block at a page boundary
 *
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdint.h>
#include <stdlib.h>

#include "scrub.h"

static NOINLINE void leak(void)
{
	if ((uintptr_t)valloc(208) % 4096)
		exit(2);
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	return 0;
}
