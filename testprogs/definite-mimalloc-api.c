/* definite-mimalloc-api: leaks through mimalloc's own API, in a program
 * linked with Debian's libmimalloc.
 *
 *   mi_zalloc(900), dropped                            definitely lost
 *   mi_malloc_aligned(64, 64); mi_free                 freed
 *   mi_recalloc(NULL, 4, 10); mi_free_size(p, 40)      freed
 *   mi_calloc(3, 100) -> keep (a global)               still reachable
 *
 * valgrind cannot be the oracle: it does not replace mimalloc's mi_*
 * functions (Debian's build aliases malloc to mi_malloc; mi_zalloc and
 * the others are mimalloc's own).
 *
 * LIBS: -lmimalloc
 * EXPECT: definite=900/1 indirect=0/0 possible=0/0 reachable=300/1
 * EXPECT-STACK: definite mi_zalloc <- leak <- main
 * SKIP-VALGRIND: valgrind does not intercept mimalloc's mi_* functions
 */
#include <mimalloc.h>

void *keep;
static void *volatile sink;

static __attribute__((noinline)) void leak(void)
{
	char *a = mi_zalloc(900);

	a[1] = 1;
	sink = a; /* what the optimiser cannot drop */
	sink = NULL;
}

int main(void)
{
	void *b, *c;

	leak();
	b = mi_malloc_aligned(64, 64);
	mi_free(b);
	c = mi_recalloc(NULL, 4, 10);
	mi_free_size(c, 40);
	keep = mi_calloc(3, 100);
	return 0;
}
