/* definite-tcmalloc-api: leaks through tcmalloc's own tc_* API
 * (gperftools), in a program linked with Debian's libtcmalloc.
 *
 *   tc_malloc(1700), dropped                           definitely lost
 *   tc_calloc(4, 25); tc_realloc to 400; tc_free_sized  freed
 *   tc_memalign(64, 96), dropped                       definitely lost
 *   tc_newarray(48) -> keep (a global)                 still reachable
 *   tc_new(32); tc_delete_sized(p, 32)                 freed
 *
 * 1,796 bytes in 2 blocks definitely lost, 48 in 1 still reachable (and
 * tcmalloc's own 24 bytes, taken by the default suppressions).
 * valgrind cannot be the oracle: it replaces malloc and free in
 * libtcmalloc (--soname-synonyms) but not the tc_ functions.
 *
 * LIBS: -ltcmalloc
 * EXPECT: definite=1796/2 indirect=0/0 possible=0/0 reachable=48/1 suppressed=24/2
 * tcmalloc's tc_malloc is malloc (one address, two symbols), tc_memalign
 * is aligned_alloc, tc_newarray is operator new: frame 0 is named by the
 * standard name.
 *
 * EXPECT-STACK: definite malloc <- leak <- main
 * EXPECT-STACK: definite aligned_alloc <- leak_aligned <- main
 * EXPECT-STACK: reachable operator new <- main
 * SKIP-VALGRIND: valgrind does not intercept tcmalloc's tc_* functions
 */
#include <gperftools/tcmalloc.h>
#include <string.h>

/* C linkage, declared by the header for C++ only (they are operator new
 * and delete's bodies) */
void *tc_new(size_t size);
void *tc_newarray(size_t size);
void tc_delete_sized(void *p, size_t size);

void *keep;
static void *volatile sink;

static __attribute__((noinline)) void leak(void)
{
	char *a = tc_malloc(1700);

	memset(a, 1, 1700);
	sink = a; /* what the optimiser cannot drop */
	sink = NULL;
}

static __attribute__((noinline)) void leak_aligned(void)
{
	sink = tc_memalign(64, 96);
	sink = NULL;
}

int main(void)
{
	char *p = tc_calloc(4, 25), *q;

	p[0] = 1;
	q = tc_realloc(p, 400);
	tc_free_sized(q, 400);
	leak();
	leak_aligned();
	keep = tc_newarray(48);
	q = tc_new(32);
	tc_delete_sized(q, 32);
	return 0;
}
