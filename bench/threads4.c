/*
 * threads4: 4 threads, each doing N/4 iterations of the alloc.c loop.
 * 2N allocator calls in all (plus the few of thread start and exit).
 *
 * usage: threads4 N
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4

static long per_thread;
static unsigned long sums[NTHREADS];

static void *worker(void *arg)
{
	long id = (long)arg;
	unsigned long sum = 0, x = 88172645463325252ull + (unsigned long)id;

	for (long i = 0; i < per_thread; i++) {
		size_t size;
		volatile unsigned char *p;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size = 16 + x % 497;
		p = malloc(size);
		if (!p)
			abort();
		p[0] = (unsigned char)i;
		p[size - 1] = (unsigned char)x;
		sum += p[0] + p[size - 1];
		free((void *)p);
	}
	sums[id] = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	pthread_t th[NTHREADS];
	unsigned long sum = 0;

	per_thread = n / NTHREADS;
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			return 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		sum += sums[i];
	}
	printf("%lu\n", sum);
	return 0;
}
