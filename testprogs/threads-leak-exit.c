/* threads-leak-exit: four threads run at once, each leaks 100 bytes and
 * exits; main joins them all.
 *
 *   thread i: malloc(100) (from its own malloc arena), dropped; return
 *
 * 400 bytes in 4 blocks definitely lost.  The threads are gone at exit,
 * and their stacks are in glibc's stack cache (still mapped); each
 * thread's DTV (calloc'd by pthread_create, 272 bytes) is kept with the
 * cached stack, pointed to only from the dead TCB at dtv + 1 (16 bytes
 * in).  They are glibc's: __libc_freeres frees the cache and the DTVs at
 * exit (valgrind's default), so they are in no summary.  All four are
 * created before the first join, so no stack is reused: 4 DTVs, 1088
 * bytes, that a checker must not report.  The stacks are 1 MiB (not
 * RLIMIT_STACK's size), so glibc's 40 MiB stack cache keeps all four
 * whatever `ulimit -s` says.
 *
 * EXPECT: definite=400/4 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE void leak(void)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(100);

	memset(p, 0, 100);
}

static void *worker(void *arg)
{
	leak();
	return NULL;
}

static NOINLINE void run(void)
{
	pthread_t t[4];
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], &attr, worker, NULL) != 0)
			exit(2);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	run();
	return 0;
}
