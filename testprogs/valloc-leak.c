/* valloc-leak: a page-aligned allocation lost.
 *
 *   valloc(208), dropped: a 208-byte block at a page boundary
 *
 * EXPECT: definite=208/1 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <stdint.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	if ((uintptr_t)valloc(208) % 4096)
		exit(2);
}

int main(void)
{
	leak();
	return 0;
}
