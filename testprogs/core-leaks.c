/* core-leaks: leak patterns held still for a core, at a known point.
 *
 *   (nothing) -> d                 100 bytes: definitely lost
 *   (nothing) -> n0 -> n1 -> n2    32 bytes each: n0 definite, n1 n2 indirect
 *   keep_inner -> 8 bytes into p   64 bytes: possibly lost
 *   keep       -> r                200 bytes: still reachable
 *   a thread's arena: t_lost       48 bytes, definitely lost, in a non-main
 *                                  arena; t_kept (on its stack) reachable
 *   big        -> 200,000 bytes    mmapped chunk, still reachable
 *   (nothing) -> z                 640 bytes, calloc'd, never written:
 *                                  definitely lost (the size of glibc's
 *                                  tcache, and all zeros like an empty one)
 *
 * In a core and live (usable sizes, as the heap walk finds them):
 *   definite=848/4 indirect=80/2 possible=72/1 reachable=201256/4
 * or, when a stale word in the worker's registers or red zone at its
 * pause still points to t_lost (a user's program is not scrubbed):
 *   definite=792/3 indirect=80/2 possible=72/1 reachable=201312/5
 *
 * Usage: core-leaks READY-FILE: makes the blocks, writes its pid to
 * READY-FILE and waits (pause) for a core to be taken, by gcore or by a
 * signal (SIGABRT dumps one where the core limit allows).  No EXPECT
 * line: tests/run.sh does not run it; tests/core.sh compares a core of
 * it with leakcheck --pid --once at the same point.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	long payload[3];
};

char *keep;
char *keep_inner;
char *big;
static pthread_barrier_t ready;
void *volatile sink;

static NOINLINE void leak_list(int n)
{
	struct node *head = NULL;

	while (n-- > 0) {
		struct node *nd = malloc(sizeof(*nd));
		nd->next = head;
		nd->payload[0] = n;
		head = nd;
	}
	sink = head;
	sink = NULL;
}

static NOINLINE void leak_plain(void)
{
	char *d = malloc(100);
	memset(d, 'd', 100);
	sink = d;
	sink = NULL;
}

static NOINLINE void leak_zeroed(void)
{
	sink = calloc(1, 640);
	sink = NULL;
}

static void *worker(void *arg)
{
	char *t_kept = malloc(80);
	char *t_lost = malloc(48);

	memset(t_lost, 't', 48);
	sink = t_lost;
	t_lost = NULL;
	sink = NULL;
	strcpy(t_kept, "kept on the worker's stack");
	pthread_barrier_wait(&ready);
	for (;;) {
		pause();
		sink = t_kept; /* in use: live across pause() */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	char *p;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: core-leaks READY-FILE\n");
		return 2;
	}
	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	leak_plain();
	leak_list(3);
	leak_zeroed();
	p = malloc(64);
	keep_inner = p + 8;
	p = NULL;
	keep = malloc(200);
	big = malloc(200000);
	big[0] = 1;
	pthread_barrier_wait(&ready);
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	for (;;)
		pause();
}
