/* threads-8x100k: eight threads at once, each doing 100,000 malloc/free
 * pairs and leaking exactly 10 blocks of known sizes.
 *
 *   thread t (0..7), iteration i (0..99,999):
 *     p = malloc(1 + (i * 37 + t) % 512); p[0] = 1;
 *     if i % 10,000 == 9,999: drop p, leak number k = i / 10,000 (0..9),
 *       of size 16 * (10 * t + k + 1) instead of the size above, all of
 *       it written
 *     else free(p)
 *
 * Leaked sizes are 16 * j for j = 1..80: 16 * 3240 = 51,840 bytes in 80
 * blocks, definitely lost.  The eight DTVs (272 bytes each, one per
 * thread, kept with the cached stacks) are glibc's and freed at exit by
 * __libc_freeres, as in threads-leak-exit: in no summary.  The threads
 * get 1 MiB stacks: glibc caches at most 40 MiB of dead threads' stacks
 * and frees the DTVs of the ones it unmaps, so with the default size
 * (RLIMIT_STACK, usually 8 MiB) only four would stay cached.  No stdio.
 * p is volatile: -O2 would delete every malloc, the freed ones with
 * their free.
 *
 * EXPECT: definite=51840/80 indirect=0/0 possible=0/0 reachable=0/0
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#define NTHREADS 8
#define ITERS 100000

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < ITERS; i++) {
		/* or -O2 deletes every malloc, freed or not */
		char *volatile p;

		if (i % 10000 == 9999) {
			size_t n = 16 * (10 * t + i / 10000 + 1);
			p = malloc(n);
			/* written whole: a recycled chunk's unwritten words
			 * can hold an old pointer to another block (see the
			 * man page, ROOTS), which is not what this tests */
			memset(p, 1, n);
			continue; /* leaked */
		}
		p = malloc(1 + (i * 37 + t) % 512);
		p[0] = 1;
		free(p);
	}
	return NULL;
}

static NOINLINE void run(void)
{
	pthread_t th[NTHREADS];
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (int t = 0; t < NTHREADS; t++)
		if (pthread_create(&th[t], &attr, worker, (void *)(intptr_t)t))
			exit(2);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
}

int main(void)
{
	run();
	return 0;
}
