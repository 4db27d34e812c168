/* abort: the program leaks, then calls abort() (SIGABRT).
 *
 *   malloc(1024), dropped          definitely lost
 *   global kept -> malloc(64)      still reachable
 *   abort()
 *
 * abort() (glibc 2.36) allocates nothing and flushes no stream.  leakcheck
 * reports, then dies of SIGABRT: the shell sees 128 + 6.
 *
 * EXPECT: definite=1024/1 indirect=0/0 possible=0/0 reachable=64/1
 * EXPECT-STATUS: 134
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

int main(void)
{
	leak();
	abort();
}
