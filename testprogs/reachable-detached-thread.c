/* reachable-detached-thread: a detached thread, blocked in pause() when
 * main returns, holds a block in a local.
 *
 *   watcher thread (detached): buf = malloc(512), a local; loops in pause()
 *   main: waits until buf is allocated, returns
 *
 * The watcher is alive when the process exits: its stack is a root, and
 * buf is still reachable.  Its DTV (272 bytes, calloc'd by pthread_create)
 * is in use too, pointed to from its TCB 16 bytes in: valgrind calls it
 * possibly lost; it is glibc's own memory, which leakcheck counts as
 * still reachable.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=784/2
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=512/1
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * EXPECT-STACK: reachable malloc <- watcher
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static sem_t ready;

static void *watcher(void *arg)
{
	char *volatile buf = malloc(512); /* volatile: held in this frame */

	snprintf(buf, 512, "watching %s", (const char *)arg);
	sem_post(&ready);
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;

	sem_init(&ready, 0, 0);
	if (pthread_create(&t, NULL, watcher, "/tmp") != 0)
		return 2;
	pthread_detach(t);
	sem_wait(&ready);
	return 0;
}
