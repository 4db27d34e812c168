/* holders-tls: blocks held only by a __thread variable, of the main
 * thread and of a worker, named by the variable.
 *
 *   main thread's tls_session -> block (200 bytes, session_new)
 *   worker's tls_session -> block (300 bytes, session_new)
 *
 * Each thread opens its session into its own tls_session; the worker
 * then waits for work that never comes and main returns.  Every live
 * thread's TLS is a root: both blocks are still reachable, each held by
 * its thread's copy of tls_session (the main thread's static TLS block,
 * which ld.so maps next to its thread control block; the worker's, at
 * the top of its stack mapping).  The live thread's DTV (288 bytes,
 * pthread_create: one slot more than without a TLS module in the
 * program) is held by its TCB, glibc's own memory.
 *
 * valgrind has no holder paths: the chains are checked in leakcheck's
 * report only (EXPECT-HELD); valgrind is the oracle for the kinds.
 *
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=788/3
 * EXPECT-HELD: reachable main :: ^held by: TLS variable 'tls_session' of thread [0-9]+ \(holders-tls\.c:[0-9]+, in [^ ]+/holders-tls\) \+0 \| -> this block \(0x[0-9A-F]+\), which retains 200 bytes in 1 blocks$
 * EXPECT-HELD: reachable worker :: ^held by: TLS variable 'tls_session' of thread [0-9]+ \(holders-tls\.c:[0-9]+, in [^ ]+/holders-tls\) \+0 \| -> this block \(0x[0-9A-F]+\), which retains 300 bytes in 1 blocks$
 * VG-EXPECT: definite=0/0 indirect=0/0 possible=288/1 reachable=500/2
 * VG-DIFFERS: the live thread's DTV: valgrind calls it possibly lost (its TCB points 16 bytes into it); it is glibc's own memory, which leakcheck counts as still reachable, never an error kind, as LSan does
 * ALLOC-EXTRA[jemalloc]: reachable=32/0 (a thread's DTV is 16 bytes longer
 *   for each module with TLS that the allocator brings: jemalloc and
 *   libstdc++)
 * ALLOC-EXTRA[tcmalloc]: reachable=48/0 (libtcmalloc, libstdc++, libunwind)
 * ALLOC-EXTRA[mimalloc]: reachable=16/0 (libmimalloc)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static __thread char *tls_session;
static pthread_barrier_t ready;

static NOINLINE void session_new(size_t size)
{
	tls_session = malloc(size);
	snprintf(tls_session, size, "session of %zu bytes", size);
}

static void *worker(void *arg)
{
	session_new(300);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return arg;
}

int main(void)
{
	pthread_t t;

	session_new(200);
	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	printf("%s\n", tls_session);
	return 0;
}
