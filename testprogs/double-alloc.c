/* double-alloc: a pointer variable assigned twice without a free.
 *
 *   global g = malloc(100)       overwritten below: definitely lost
 *   global g = malloc(200)       still reachable
 *
 * (At -O2 the compiler drops a store that the next one overwrites, and
 * then the malloc: g is volatile.)
 *
 * EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=200/1
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *volatile g; /* volatile, or -O2 deletes the first, dead, store */

static NOINLINE void twice(void)
{
	g = malloc(100);
	g = malloc(200);
}

int main(void)
{
	twice();
	return 0;
}
