/* definite-vg-mempool: a program's own pool allocator, annotated for
 * valgrind with valgrind.h's mempool requests (as glib, Python and
 * LuaJIT are): leakcheck honours them as memcheck does.
 *
 *   pool (a global) -> superblock (malloc'd 4,096 bytes, the pool's)
 *   kept   -> chunk A (64)                       still reachable
 *   (none) -> chunk B (96) -> chunk D (48)       B definitely lost,
 *                                                D indirectly lost
 *   chunk C (32): MEMPOOL_FREE'd                 not a leak
 *
 * The superblock holds chunks, so it is the pool's memory, not a block
 * of its own (memcheck's find_active_chunks): it is in no loss record.
 *
 * EXPECT: definite=96/1 indirect=48/1 possible=0/0 reachable=88/2
 * EXPECT-STACK: definite pool_alloc <- make_pair <- main
 * EXPECT-STACK: indirect pool_alloc <- make_pair <- main
 */
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#define NOINLINE __attribute__((noinline))

struct pool {
	char *base;
	size_t used, size;
};

static struct pool *pool;
static void *volatile kept;

static NOINLINE struct pool *pool_new(size_t size)
{
	struct pool *p = malloc(sizeof(*p));

	p->base = malloc(size);
	p->used = 0;
	p->size = size;
	VALGRIND_CREATE_MEMPOOL(p, 0, 0);
	return p;
}

static NOINLINE void *pool_alloc(struct pool *p, size_t n)
{
	void *r;

	n = (n + 15) & ~(size_t)15;
	if (p->used + n > p->size)
		return NULL;
	r = p->base + p->used;
	p->used += n;
	VALGRIND_MEMPOOL_ALLOC(p, r, n);
	return r;
}

static NOINLINE void pool_free(struct pool *p, void *obj)
{
	VALGRIND_MEMPOOL_FREE(p, obj);
}

static NOINLINE void make_pair(void)
{
	void **b = pool_alloc(pool, 96);
	void *d = pool_alloc(pool, 48);

	memset(d, 0, 48);
	memset(b, 0, 96);
	b[0] = d;
}

int main(void)
{
	void *c;

	pool = pool_new(4096);
	kept = pool_alloc(pool, 64);
	c = pool_alloc(pool, 32);
	pool_free(pool, c);
	make_pair();
	return 0;
}
