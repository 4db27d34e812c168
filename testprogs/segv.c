/* segv: the program leaks, then dies of SIGSEGV (a store through NULL).
 *
 *   malloc(1024), dropped          definitely lost
 *   global kept -> malloc(64)      still reachable
 *   crash(): a store through a NULL pointer
 *
 * The scan is at the fatal signal's exit stop, with the address space
 * intact.  The report is written, then leakcheck dies of the same signal
 * (as valgrind does): the shell sees 128 + 11.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=64/1
 * EXPECT-STATUS: 139
 * ALLOC-EXTRA[jemalloc,tcmalloc]: reachable=72704/1 (libstdc++'s emergency
 *   exception pool: jemalloc and tcmalloc load libstdc++, and a program
 *   that dies by a signal (or by exit_group) runs no freeres, under
 *   valgrind neither.)
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *kept;

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(1024);

	memset(p, 0, 1024);
	kept = malloc(64);
}

/* NULL, and volatile: a store through a pointer the compiler knows is
 * NULL is undefined behaviour, and gcc -O2 deletes it */
int *volatile nowhere;

static NOINLINE void crash(void)
{
	*nowhere = 1;
}

int main(void)
{
	leak();
	crash();
	return 0;
}
