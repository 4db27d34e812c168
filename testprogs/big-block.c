/* big-block: a 1 MiB block (glibc serves it with its own mmap) lost, and a
 * small block pointed to only from it.
 *
 *   (nothing) -> big (1048576 bytes, mmapped chunk), word 100 -> small (64)
 *
 * big is definitely lost; small indirectly lost.  The mmapped chunk's
 * mapping holds a tracked block, so it is heap, not a root: if it were
 * scanned as a root, small would come out still reachable.
 *
 * EXPECT: definite=1048576/1 indirect=64/1 possible=0/0 reachable=0/0
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* Where the blocks are published, then dropped: gcc -O2 deletes stores
 * into blocks that nothing reads (a volatile local is not enough: it
 * knows what the local holds). */
static void *volatile sink;

static NOINLINE void leak(void)
{
	void **big = malloc(1 << 20);

	big[0] = NULL;
	big[100] = malloc(64);
	sink = big;
	sink = NULL;
}

int main(void)
{
	leak();
	return 0;
}
