/* definite-declared-pool: a program's own bump allocator over a static
 * pool (no malloc at all), declared with --malloc-like.  At -O2 its
 * first instruction loads the pool's cursor rip-relative, from the
 * executable, out of a rel32's reach from leakcheck's page near the
 * libraries: the breakpoint runs it as an absolute load.
 *
 *   kept (a global) -> obj (64)            still reachable
 *   (none)          -> obj (48) -> obj (32)  definite, and indirect
 *
 * The pool is in the executable's .bss: its globals are roots, the
 * blocks in it are not.
 *
 * OPTS: --malloc-like=pool_alloc
 * EXPECT: definite=48/1 indirect=32/1 possible=0/0 reachable=64/1
 * EXPECT-STACK: definite pool_alloc <- make_pair <- main
 * EXPECT-STACK: reachable pool_alloc <- main
 *
 * SKIP-VALGRIND: valgrind knows no declared allocator and sees no allocation here (the pool is not malloc's): there is nothing to compare
 */
#include <stddef.h>
#include <string.h>

#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

static _Alignas(16) char pool[1 << 16];
static size_t used;
static void *volatile kept;
static void *volatile sink;

void *pool_alloc(size_t n);

NOINLINE void *pool_alloc(size_t n)
{
	size_t at = used;

	used = at + ((n + 15) & ~(size_t)15);
	return pool + at;
}

static NOINLINE void make_pair(void)
{
	void **a = pool_alloc(48);
	void *b = pool_alloc(32);

	memset(b, 0, 32);
	memset(a, 0, 48);
	a[0] = b;
	sink = a;
	sink = NULL;
}

int main(void)
{
	kept = pool_alloc(64);
	make_pair();
	return 0;
}
