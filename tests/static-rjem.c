/* static-rjem: a program with a prefixed jemalloc linked in statically,
 * as Rust's tikv-jemallocator links one (every function named _rjem_*,
 * none named malloc), beside glibc's malloc.  tests/allocators.sh builds
 * the jemalloc (Debian's librust-jemalloc-sys-dev source, configured
 * --with-jemalloc-prefix=_rjem_) and this program against it.
 *
 *   a = _rjem_mallocx(2000, 0), dropped                  definitely lost
 *   b = _rjem_mallocx(64, MALLOCX_ZERO); _rjem_sdallocx   freed
 *   c = _rjem_malloc(100); _rjem_rallocx(c, 300, 0), kept  still reachable
 *   d = malloc(50) (glibc's), dropped                    definitely lost
 *   e = _rjem_calloc(10, 10), dropped                    definitely lost
 *
 * 2,150 bytes in 3 blocks definitely lost, 300 in 1 still reachable.
 * valgrind cannot be the oracle: it intercepts no _rjem_ function (it
 * would see glibc's 50 bytes only).
 *
 * EXPECT: definite=2150/3 indirect=0/0 possible=0/0 reachable=300/1
 * EXPECT-STACK: definite _rjem_mallocx <- leak_mallocx <- main
 * EXPECT-STACK: definite _rjem_calloc <- leak_calloc <- main
 * EXPECT-STACK: definite malloc <- leak_malloc <- main
 * EXPECT-STACK: reachable _rjem_rallocx <- main
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* what the Rust crate declares: jemalloc's API under its prefix */
void *_rjem_mallocx(size_t size, int flags);
void *_rjem_rallocx(void *ptr, size_t size, int flags);
void _rjem_sdallocx(void *ptr, size_t size, int flags);
void *_rjem_malloc(size_t size);
void *_rjem_calloc(size_t n, size_t size);
#define MALLOCX_ZERO 0x40

void *keep;
static void *volatile sink;

static __attribute__((noinline)) void leak_mallocx(void)
{
	char *a = _rjem_mallocx(2000, 0);

	memset(a, 1, 2000);
	sink = a;
	sink = NULL;
}

static __attribute__((noinline)) void leak_calloc(void)
{
	sink = _rjem_calloc(10, 10);
	sink = NULL;
}

static __attribute__((noinline)) void leak_malloc(void)
{
	char *d = malloc(50);

	memset(d, 2, 50);
	sink = d;
	sink = NULL;
}

int main(void)
{
	void *b = _rjem_mallocx(64, MALLOCX_ZERO), *c;

	_rjem_sdallocx(b, 64, 0);
	c = _rjem_malloc(100);
	keep = _rjem_rallocx(c, 300, 0);
	leak_mallocx();
	leak_calloc();
	leak_malloc();
	return 0;
}
