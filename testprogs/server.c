/*
 * server: a stand-in for a long-running service, for the --pid tests
 * (tests/attach.sh; no EXPECT line, tests/run.sh skips it).
 *
 * usage: server SECONDS [READYFILE [masked]]
 *
 * Before anything else it leaks one block of PRE_LEAK bytes (a leak made
 * before any attach).  Then THREADS workers allocate, fill, verify and
 * free blocks continuously (malloc, calloc, realloc), each keeping a ring
 * of live blocks, and every LEAK_EVERY operations one of them leaks a
 * block of LEAK_SIZE bytes from leak_one().  Once started it writes its
 * pid to READYFILE (or stdout).  After SECONDS, or at SIGTERM/SIGINT, it
 * stops the workers, verifies every block still in the rings, and prints
 * "server: OPS ops, LEAKS leaks, ok" and exits 0, or names the first
 * corrupted block and exits 1.  A breakpoint left behind kills it with
 * SIGTRAP; a corrupted return address with SIGSEGV.
 *
 * With "masked", the workers block every signal (pthread_sigmask), as
 * services do so that one thread handles them all: a worker that meets
 * an int3 with no tracer is killed by SIGTRAP whatever its handler.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define RING 64
#define PRE_LEAK 12360 /* fills its glibc chunk: usable size = request */
#define LEAK_SIZE 4242
#define LEAK_EVERY 1000

static volatile sig_atomic_t stop;
static int masked;
static volatile int corrupt;
static unsigned long ops[THREADS], leaks[THREADS];

struct slot {
	unsigned char *p;
	size_t size;
	unsigned seed;
};

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void fill(unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int check(const unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

__attribute__((noinline)) static void leak_one(unsigned seed)
{
	unsigned char *p = malloc(LEAK_SIZE);
	if (p)
		fill(p, LEAK_SIZE, seed);
	/* the pointer dies here */
	__asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct slot ring[RING];
	unsigned x = 2463534242u + (unsigned)id * 7919u;

	memset(ring, 0, sizeof(ring));
	if (masked) {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	while (!stop) {
		struct slot *s;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		s = &ring[x % RING];
		if (s->p) {
			if (!check(s->p, s->size, s->seed)) {
				fprintf(stderr,
					"server: thread %d: block %p of %zu "
					"bytes corrupted\n",
					id, (void *)s->p, s->size);
				corrupt = 1;
			}
			if (x & 0x100) {
				/* grow or shrink it in place or moved */
				size_t nsize = 16 + (x >> 8) % 2000;
				unsigned char *np = realloc(s->p, nsize);
				if (!np)
					abort();
				if (!check(np, nsize < s->size ? nsize : s->size,
					   s->seed)) {
					fprintf(stderr,
						"server: thread %d: realloc "
						"lost data\n",
						id);
					corrupt = 1;
				}
				s->p = np;
				s->size = nsize;
				fill(s->p, s->size, s->seed);
				ops[id]++;
				continue;
			}
			free(s->p);
			s->p = NULL;
		} else {
			s->size = 16 + (x >> 4) % 3000;
			s->seed = x;
			s->p = (x & 1) ? calloc(1, s->size) : malloc(s->size);
			if (!s->p)
				abort();
			if ((x & 1) && s->p[s->size - 1] != 0) {
				fprintf(stderr, "server: calloc not zeroed\n");
				corrupt = 1;
			}
			fill(s->p, s->size, s->seed);
		}
		if (++ops[id] % LEAK_EVERY == 0) {
			leak_one(x);
			leaks[id]++;
		}
	}
	for (int i = 0; i < RING; i++) {
		if (ring[i].p && !check(ring[i].p, ring[i].size, ring[i].seed)) {
			fprintf(stderr, "server: thread %d: block %d corrupted\n",
				id, i);
			corrupt = 1;
		}
		free(ring[i].p);
	}
	return NULL;
}

__attribute__((noinline)) static void leak_before(void)
{
	char *p = malloc(PRE_LEAK);
	if (p)
		memset(p, 0x5a, PRE_LEAK);
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	unsigned long total = 0, nleaks = 0;
	struct sigaction sa;
	time_t end;

	if (argc < 2) {
		fprintf(stderr, "usage: server SECONDS [READYFILE [masked]]\n");
		return 2;
	}
	masked = argc > 3 && !strcmp(argv[3], "masked");
	leak_before();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	end = time(NULL) + atol(argv[1]);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			return 2;
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 2;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	} else {
		printf("%d\n", (int)getpid());
		fflush(stdout);
	}
	while (!stop && time(NULL) < end)
		usleep(20000);
	stop = 1;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		total += ops[i];
		nleaks += leaks[i];
	}
	printf("server: %lu ops, %lu leaks, %s\n", total, nleaks,
	       corrupt ? "CORRUPTED" : "ok");
	return corrupt ? 1 : 0;
}
