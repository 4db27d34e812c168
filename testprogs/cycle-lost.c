/* cycle-lost: two blocks pointing at each other, nothing pointing at them.
 *
 *   a (48 bytes) <-> b (80 bytes), allocated in that order
 *
 * Both lost.  valgrind reports a lost cycle at one member, its clique
 * leader: it walks unreached blocks in address order, so the leader is the
 * lower-addressed block (a, allocated first, under both valgrind's and
 * glibc's allocator) -- definitely lost -- and b, reached from the leader,
 * is indirectly lost.
 *
 * EXPECT: definite=48/1 indirect=80/1 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* Where the blocks are published, then dropped: gcc -O2 deletes stores
 * into blocks that nothing reads (a volatile local is not enough: it
 * knows what the local holds). */
static void *volatile sink;

static NOINLINE void make_cycle(void)
{
	void **a = calloc(1, 48);
	void **b = calloc(1, 80);

	a[0] = b;
	b[0] = a;
	sink = a;
	sink = NULL;
}

int main(void)
{
	make_cycle();
	return 0;
}
