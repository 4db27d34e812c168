/* segv: the program leaks, then dies of SIGSEGV (a store through NULL).
 *
 *   malloc(1024), dropped          definitely lost
 *   global kept -> malloc(64)      still reachable
 *   crash(): *(int *)0 = 1
 *
 * The scan is at the fatal signal's exit stop, with the address space
 * intact.  The report is written, then leakcheck dies of the same signal
 * (as valgrind does): the shell sees 128 + 11.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=64/1
 * EXPECT-STATUS: 139
 */
#include <stdlib.h>
#include <string.h>

#include "scrub.h"

void *kept;

static NOINLINE void leak(void)
{
	char *p = malloc(1024);

	memset(p, 0, 1024);
	kept = malloc(64);
}

static NOINLINE void crash(void)
{
	*(volatile int *)0 = 1;
}

int main(void)
{
	leak();
	clear_stack();
	CLEAR_REGS();
	crash();
	return 0;
}
