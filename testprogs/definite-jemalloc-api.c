/* definite-jemalloc-api: leaks through jemalloc's own API, in a program
 * linked with Debian's libjemalloc.
 *
 *   a = mallocx(2000, 0), dropped                        definitely lost
 *   b = mallocx(64, MALLOCX_ZERO); sdallocx(b, 64, 0)   freed
 *   c = mallocx(100, 0); c = rallocx(c, 300, 0); dallocx(c, 0)   freed
 *   d = malloc(50), dropped (jemalloc's malloc)          definitely lost
 *   keep = mallocx(700, MALLOCX_ALIGN(64)) in a global  still reachable
 *   e = mallocx(100, 0); xallocx(e, 110, 0, 0) resizes it in place (its
 *       size class is 112 bytes), dropped: 110 bytes, with mallocx's
 *       stack                                            definitely lost
 *
 * valgrind cannot be the oracle: it replaces malloc and free but not
 * mallocx, rallocx, xallocx, sdallocx or dallocx, so it sees neither the
 * 2,000 bytes nor their frees.
 *
 * LIBS: -ljemalloc
 * EXPECT: definite=2160/3 indirect=0/0 possible=0/0 reachable=700/1
 * EXPECT-STACK: definite mallocx <- leak_mallocx <- main
 * EXPECT-STACK: definite malloc <- leak_malloc <- main
 * EXPECT-STACK: definite mallocx <- leak_xallocx <- main
 * SKIP-VALGRIND: valgrind does not intercept jemalloc's mallocx/rallocx/sdallocx/dallocx
 */
#include <jemalloc/jemalloc.h>
#include <string.h>

void *keep;
static void *volatile sink;

static __attribute__((noinline)) void leak_mallocx(void)
{
	char *a = mallocx(2000, 0);

	memset(a, 1, 2000);
	sink = a; /* what the optimiser cannot drop */
	sink = NULL;
}

static __attribute__((noinline)) void leak_malloc(void)
{
	char *d = malloc(50);

	memset(d, 2, 50);
	sink = d;
	sink = NULL;
}

static __attribute__((noinline)) int leak_xallocx(void)
{
	char *e = mallocx(100, 0);

	if (xallocx(e, 110, 0, 0) < 110)
		return -1; /* not in place: another jemalloc than 5.3's */
	memset(e, 3, 100);
	sink = e;
	sink = NULL;
	return 0;
}

int main(void)
{
	void *b, *c;

	leak_mallocx();
	b = mallocx(64, MALLOCX_ZERO);
	sdallocx(b, 64, 0);
	c = mallocx(100, 0);
	c = rallocx(c, 300, 0);
	dallocx(c, 0);
	leak_malloc();
	keep = mallocx(700, MALLOCX_ALIGN(64));
	return leak_xallocx() ? 2 : 0;
}
