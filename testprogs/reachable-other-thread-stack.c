/* reachable-other-thread-stack: the only pointer is on the stack of a
 * second thread, blocked in pause() while main calls exit().
 *
 *   holder thread's stack: p (volatile local) -> block (4000 bytes)
 *
 * Every thread's stack (from its sp less the red zone) and registers are
 * roots: still reachable.  The thread is alive at exit, so its DTV
 * (calloc'd by pthread_create: 272 bytes) is live too.  The only pointer
 * to it is the TCB's dtv field (at the top of the thread's stack mapping),
 * and glibc stores dtv + 1 there: 16 bytes into the block, which no
 * valgrind heuristic accepts, so valgrind calls it possibly lost.  It is
 * glibc's own memory, in use: leakcheck counts it still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=4272/2
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=4000/1
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static pthread_barrier_t ready;

static NOINLINE void *alloc_block(void)
{
	return calloc(1, 4000);
}

static void *holder(void *arg)
{
	void *volatile p = alloc_block();

	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return (void *)p;
}

static NOINLINE void start(void)
{
	pthread_t t;

	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, holder, NULL);
	pthread_barrier_wait(&ready);
}

int main(void)
{
	start();
	exit(0);
}
