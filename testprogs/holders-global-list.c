/* holders-global-list: a global cache holding a growing list, each node
 * holding a payload; who holds them (--show-holders, --top-holders).
 *
 *   global cache (.head at +8) -> node 9 -> node 8 -> ... -> node 0
 *   each node (24 bytes, cache_add) .payload at +8 -> payload (40 bytes,
 *   make_payload)
 *
 * Everything is still reachable.  The nodes' record is shown with its
 * shortest chain: the newest node, held by the global; it retains the
 * whole list (it dominates every node and payload): 10 * (24 + 40)
 * bytes in 20 blocks.  A payload's shortest chain goes through that node
 * (the pointer at +8 in it) and the payload retains only itself.  The top
 * holder is the global, retaining all 640 bytes; then the nodes' stack
 * (the list counted once, at its head), then the payloads (each 40).
 *
 * valgrind has no holder paths: the chains are checked in leakcheck's
 * report only (EXPECT-HELD, EXPECT-LINE); valgrind is the oracle for the
 * kinds (EXPECT).
 *
 * (The count comes from the command line, as a real cache's input would:
 * with a constant one, clang -O2 unrolls the loop and each call site is
 * a loss record of its own.)
 *
 * Usage: holders-global-list [COUNT [READY-FILE]].  With READY-FILE, a
 * service's way: it fills the cache, writes its pid to READY-FILE and
 * waits (pause) instead of exiting; tests/core.sh takes a core there and
 * compares its holder paths with leakcheck --pid --once's.
 *
 * ARGS: 10
 * EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=640/20
 * EXPECT-HELD: reachable cache_add :: ^held by: global 'cache' \(holders-global-list\.c:[0-9]+, in [^ ]+/holders-global-list\) \+8 \| -> this block \(0x[0-9A-F]+\), which retains 640 bytes in 20 blocks$
 * EXPECT-HELD: reachable make_payload :: ^held by: global 'cache' \(holders-global-list\.c:[0-9]+, in [^ ]+/holders-global-list\) \+8 \| -> 0x[0-9A-F]+ \(24 bytes, allocated at cache_add \(holders-global-list\.c:[0-9]+\)\) \+8 \| -> this block \(0x[0-9A-F]+\), which retains 40 bytes in 1 blocks$
 * EXPECT-LINE: ^TOP HOLDERS, by the bytes each keeps alive alone:$
 * EXPECT-LINE: ^1: global 'cache' \(holders-global-list\.c:[0-9]+, in [^ ]+/holders-global-list\) retains 640 bytes in 20 blocks$
 * EXPECT-LINE: ^2: 10 blocks allocated here retain 640 bytes in 20 blocks$
 * EXPECT-LINE: ^3: 10 blocks allocated here retain 400 bytes in 10 blocks$
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	char *payload;
	long key;
};

struct cache {
	long count;
	struct node *head;
} cache;

static NOINLINE char *make_payload(long key)
{
	char *p = malloc(40);

	snprintf(p, 40, "payload %ld", key);
	return p;
}

static NOINLINE void cache_add(long key)
{
	struct node *n = malloc(sizeof(*n));

	n->payload = make_payload(key);
	n->key = key;
	n->next = cache.head;
	cache.head = n;
	cache.count++;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10;

	for (long i = 0; i < n; i++)
		cache_add(i);
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 1;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
		for (;;)
			pause();
	}
	return 0;
}
