/* definite-recycled-class: a program that works in rounds, as a server
 * handles batches of requests: each round allocates 20,000 records of 48
 * bytes, the rounds before the last free theirs, the last round's are
 * lost (the array that held them is cleared and freed).
 *
 * The blocks of one size, freed and allocated again, go through the
 * allocator's shared free lists: tcmalloc's central free list hands
 * batches to the thread cache and keeps each batch's head and tail in a
 * slot it does not clear (libtcmalloc's .bss: 64 slots, 128 stale
 * pointers).  Taken for roots, they kept 128 of the lost records "still
 * reachable" under tcmalloc (tests/allocators.sh).
 *
 * 20,000 x 48 = 960,000 bytes definitely lost.
 *
 * EXPECT: definite=960000/20000 indirect=0/0 possible=0/0 reachable=0/0
 * EXPECT-STACK: definite malloc <- new_record <- run_round <- main
 */
#include <stdlib.h>
#include <string.h>

#define N 20000
#define NOINLINE __attribute__((noinline))

struct record {
	char key[16];
	long value[4];
};

static NOINLINE struct record *new_record(int i)
{
	struct record *r = malloc(sizeof(*r));

	if (!r)
		exit(1);
	memset(r->key, 'k', sizeof(r->key));
	for (int k = 0; k < 4; k++)
		r->value[k] = (long)i * k;
	return r;
}

static NOINLINE void run_round(struct record **v)
{
	for (int i = 0; i < N; i++)
		v[i] = new_record(i);
}

int main(void)
{
	struct record **v = calloc(N, sizeof(*v));

	if (!v)
		return 1;
	for (int round = 0; round < 3; round++) {
		run_round(v);
		if (round < 2)
			for (int i = 0; i < N; i++)
				free(v[i]);
	}
	memset(v, 0, N * sizeof(*v));
	free(v);
	return 0;
}
