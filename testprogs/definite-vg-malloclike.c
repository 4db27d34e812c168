/* definite-vg-malloclike: a program's own allocator carving objects out
 * of a malloc'd arena, annotated for valgrind with MALLOCLIKE_BLOCK,
 * FREELIKE_BLOCK and RESIZEINPLACE_BLOCK: leakcheck honours them as
 * memcheck does.  The first object starts where the arena does.
 *
 *   arena (a global) -> 8,192 bytes malloc'd: the allocator's memory,
 *                       in no loss record, as it holds objects
 *   kept   -> obj A (80)                      still reachable
 *   (none) -> obj B (64) -> obj C (32)        B definitely lost,
 *                                             C indirectly lost
 *   obj D (48): FREELIKE'd                    not a leak
 *   (none) -> obj E (200, resized to 40)      definitely lost, 40 bytes
 *
 * EXPECT: definite=104/2 indirect=32/1 possible=0/0 reachable=80/1
 * EXPECT-STACK: definite obj_alloc <- make_pair <- main
 * EXPECT-STACK: indirect obj_alloc <- make_pair <- main
 * EXPECT-STACK: definite obj_alloc <- main
 */
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#define NOINLINE __attribute__((noinline))

static char *arena;
static size_t used;
static void *volatile kept;
static void *volatile sink;

static NOINLINE void *obj_alloc(size_t n)
{
	void *r = arena + used;

	used += (n + 15) & ~(size_t)15;
	VALGRIND_MALLOCLIKE_BLOCK(r, n, 0, 0);
	return r;
}

static NOINLINE void obj_free(void *p)
{
	VALGRIND_FREELIKE_BLOCK(p, 0);
}

static NOINLINE void obj_shrink(void *p, size_t from, size_t to)
{
	VALGRIND_RESIZEINPLACE_BLOCK(p, from, to, 0);
}

static NOINLINE void make_pair(void)
{
	void **b = obj_alloc(64);
	void *c = obj_alloc(32);

	memset(c, 0, 32);
	memset(b, 0, 64);
	b[0] = c;
}

int main(void)
{
	void *d, *e;

	arena = malloc(8192);
	kept = obj_alloc(80);
	d = obj_alloc(48);
	obj_free(d);
	make_pair();
	e = obj_alloc(200);
	memset(e, 0, 200);
	obj_shrink(e, 200, 40);
	sink = e;
	sink = NULL;
	return 0;
}
