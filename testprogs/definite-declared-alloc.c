/* definite-declared-alloc: a program's own allocator over malloc, each
 * block behind a 16-byte header, its functions declared to leakcheck
 * with --malloc-like, --free-like and --realloc-like.
 *
 *   kept (a global) -> my_alloc(ctx, 100)     still reachable, 100 bytes
 *   (none)          -> my_alloc(ctx, 40)      definitely lost, 40 bytes
 *   my_alloc(ctx, 24), then my_free(ctx, p)   not a leak
 *   (none) -> my_realloc(ctx, my_alloc(ctx, 10), 300)
 *                                             definitely lost, 300 bytes
 *
 * The blocks are the allocator's: their size is what was asked for and
 * the first frame is the declared function; the malloc inside is a
 * nested call and not recorded.
 *
 * OPTS: --malloc-like=my_alloc:size=2 --free-like=my_free:ptr=2 --realloc-like=my_realloc:ptr=2,size=3
 * EXPECT: definite=340/2 indirect=0/0 possible=0/0 reachable=100/1
 * EXPECT-STACK: definite my_alloc <- leak_one <- main
 * EXPECT-STACK: definite my_realloc <- main
 * EXPECT-STACK: reachable my_alloc <- main
 *
 * VG-DIFFERS: valgrind knows no declared allocator: it sees the malloc'd blocks, 16 bytes larger, and the kept one through an interior pointer
 * VG-EXPECT: definite=372/2 indirect=0/0 possible=116/1 reachable=0/0
 * VG-EXPECT-STACK: definite malloc <- my_alloc <- leak_one <- main
 * VG-EXPECT-STACK: definite realloc <- my_realloc <- main
 * VG-EXPECT-STACK: possible malloc <- my_alloc <- main
 * VG-HEAP-DIFFERS: valgrind counts the malloc'd blocks, 16 bytes more each
 */
#include <stdlib.h>
#include <string.h>

#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

struct hdr {
	size_t size;
	void *ctx;
};

void *my_alloc(void *ctx, size_t n);
void my_free(void *ctx, void *p);
void *my_realloc(void *ctx, void *p, size_t n);

NOINLINE void *my_alloc(void *ctx, size_t n)
{
	struct hdr *h = malloc(sizeof(*h) + n);

	h->size = n;
	h->ctx = ctx;
	return h + 1;
}

NOINLINE void my_free(void *ctx, void *p)
{
	(void)ctx;
	if (p)
		free((struct hdr *)p - 1);
}

NOINLINE void *my_realloc(void *ctx, void *p, size_t n)
{
	struct hdr *h = p ? (struct hdr *)p - 1 : NULL;

	h = realloc(h, sizeof(*h) + n);
	h->size = n;
	h->ctx = ctx;
	return h + 1;
}

static void *volatile kept;
static void *volatile sink;
static char ctx_data[8];
static void *volatile ctx = ctx_data;

static NOINLINE void leak_one(void)
{
	char *p = my_alloc(ctx, 40);

	memset(p, 0, 40);
	sink = p;
	sink = NULL;
}

int main(void)
{
	char *p;

	kept = my_alloc(ctx, 100);
	leak_one();
	p = my_alloc(ctx, 24);
	my_free(ctx, p);
	p = my_alloc(ctx, 10);
	p = my_realloc(ctx, p, 300);
	memset(p, 0, 300);
	sink = p;
	sink = NULL;
	return 0;
}
