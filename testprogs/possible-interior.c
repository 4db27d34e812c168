/* possible-interior: only a pointer into the middle of a block survives.
 *
 *   global middle -> (block + 48)     block: calloc(1, 112), all zero
 *
 * No start pointer anywhere; an interior pointer from a root: possibly
 * lost.  None of valgrind's heuristics (stdstring, length64, newarray,
 * multipleinheritance) applies: the offset is not 8 or 24 and the block
 * holds only zeros, so --leak-check-heuristics=all and =none agree.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=112/1 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

char *middle;

static NOINLINE void keep_middle(void)
{
	char *p = calloc(1, 112);

	middle = p + 48;
}

int main(void)
{
	keep_middle();
	return 0;
}
