/* exit-from-thread: a second thread calls exit(3) while main is blocked in
 * pthread_join holding a pointer in its own frame.
 *
 *   main's frame: keep (volatile) -> malloc(144)     still reachable
 *   thread: malloc(128), dropped; exit(3)            definitely lost
 *
 * The exiting thread is not the main thread: its stack is scanned from its
 * sp at exit() entry, main's from main's sp, with main's registers.  The
 * thread is alive at exit, so its DTV (272 bytes, pointed to at dtv + 1
 * from its TCB) is live and glibc's: still reachable, as in
 * reachable-other-thread-stack (valgrind: possibly lost).
 *
 * EXPECT: definite=128/1 indirect=0/0 possible=0/0 reachable=416/2
 * VG-EXPECT: definite=128/1 indirect=0/0 possible=272/1 reachable=144/1
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * EXPECT-STATUS: 3
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void lose(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

static void *worker(void *arg)
{
	lose(128);
	exit(3);
}

static NOINLINE void *alloc_keep(void)
{
	return malloc(144);
}

int main(void)
{
	void *volatile keep = alloc_keep();
	pthread_t t;

	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	return keep != NULL; /* not reached */
}
