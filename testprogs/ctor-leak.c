/* ctor-leak: leaks in a constructor of the executable, which runs before
 * main (a tracer that starts at the entry point or at main misses them).
 *
 *   constructor: malloc(160), dropped                  definitely lost
 *                global kept -> malloc(96)             still reachable
 *                a 3-node list of 32-byte nodes, head dropped:
 *                  head definitely lost, 2 nodes indirectly lost
 *   main: nothing
 *
 * (A constructor of a shared library: see dlopen-leak.)
 *
 * EXPECT: definite=192/2 indirect=64/2 possible=0/0 reachable=96/1
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct node {
	struct node *next;
	long payload[3];
};

void *kept;

static NOINLINE void lose(size_t n)
{
	/* volatile, or -O2 deletes the unread block */
	char *volatile p = malloc(n);

	memset(p, 0, n);
}

/* Where the blocks are published, then dropped: gcc -O2 deletes stores
 * into blocks that nothing reads (a volatile local is not enough: it
 * knows what the local holds). */
static void *volatile sink;

static NOINLINE void lose_list(void)
{
	struct node *head = NULL, *n;

	for (int i = 0; i < 3; i++) {
		n = calloc(1, sizeof(*n));
		n->next = head;
		head = n;
	}
	sink = head;
	sink = NULL;
}

__attribute__((constructor)) static void init(void)
{
	lose(160);
	kept = malloc(96);
	lose_list();
}

int main(void)
{
	return 0;
}
