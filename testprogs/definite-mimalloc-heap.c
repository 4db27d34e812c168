/* definite-mimalloc-heap: mimalloc's first-class heaps, in a program
 * linked with Debian's libmimalloc.
 *
 *   h = mi_heap_new(); mi_heap_malloc(h, 100), mi_heap_calloc(h, 4, 50),
 *       dropped; mi_heap_destroy(h) frees them     freed
 *   g = mi_heap_new(); mi_heap_zalloc(g, 300), dropped  definitely lost
 *       k = mi_heap_malloc(g, 64); mi_heap_realloc(g, k, 128) -> keep (a
 *       global)                                    still reachable
 *       mi_heap_delete(g): its blocks move to the default heap, alive
 *   mi_heap_malloc(mi_heap_get_default(), 40), dropped  definitely lost
 *
 * 340 bytes in 2 blocks definitely lost, 128 in 1 still reachable.
 * valgrind cannot be the oracle: it does not replace mimalloc's mi_heap_*
 * functions (it would see none of these blocks).
 *
 * LIBS: -lmimalloc
 * EXPECT: definite=340/2 indirect=0/0 possible=0/0 reachable=128/1
 * EXPECT-STACK: definite mi_heap_zalloc <- leak <- main
 * EXPECT-STACK: definite mi_heap_malloc <- leak_default <- main
 * EXPECT-STACK: reachable mi_heap_realloc <- main
 * SKIP-VALGRIND: valgrind does not intercept mimalloc's mi_heap_* functions
 */
#include <mimalloc.h>
#include <string.h>

void *keep;
static void *volatile sink;

static __attribute__((noinline)) void scratch(void)
{
	mi_heap_t *h = mi_heap_new();
	char *a = mi_heap_malloc(h, 100);
	int *b = mi_heap_calloc(h, 4, 50);

	memset(a, 1, 100);
	b[3] = 3;
	mi_heap_destroy(h); /* frees a and b at once */
}

static __attribute__((noinline)) void leak(mi_heap_t *g)
{
	sink = mi_heap_zalloc(g, 300);
	sink = NULL;
}

static __attribute__((noinline)) void leak_default(void)
{
	char *e = mi_heap_malloc(mi_heap_get_default(), 40);

	memset(e, 2, 40);
	sink = e;
	sink = NULL;
}

int main(void)
{
	mi_heap_t *g;
	char *k;

	scratch();
	g = mi_heap_new();
	leak(g);
	k = mi_heap_malloc(g, 64);
	k[0] = 1;
	keep = mi_heap_realloc(g, k, 128);
	mi_heap_delete(g);
	leak_default();
	return 0;
}
